"""Masked calling numbers: the prefix and the last two digits, never enough to dial."""

import re

import pytest
from django.utils import translation

from calls.phones import mask_calling_number


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+36301234567", "+36 30 ••• •• 67"),
        ("06301234567", "+36 30 ••• •• 67"),  # the domestic form of the same number
        ("0036301234567", "+36 30 ••• •• 67"),
        ("+36 30 123 4567", "+36 30 ••• •• 67"),
        ("+3614623800", "+36 1 ••• •• 00"),  # Budapest's one-digit area code
        ("+3622123456", "+36 22 ••• • 56"),  # a six-digit local number
        ("+441234567890", "+4412 ••• ••• 90"),
        ("12345678", "••• ••• 78"),
    ],
)
def test_number_keeps_its_prefix_and_last_two_digits(number, masked):
    assert mask_calling_number(number) == masked


@pytest.mark.parametrize(
    "number", ["+36301234567", "06209876543", "+3614623800", "+441234567890", "+12025550143"]
)
def test_masked_number_never_shows_the_subscriber_part(number):
    digits = re.sub(r"[^0-9]", "", number)
    masked = mask_calling_number(number)
    shown = re.sub(r"[^0-9]", "", masked)
    assert len(shown) <= len(digits) - 4
    # No run of five digits of the number survives.
    assert not any(digits[i : i + 5] in shown for i in range(len(digits) - 4))


@pytest.mark.parametrize(
    "number", ["", "   ", None, "anonymous", "Restricted", "+266696687", "+86282452253"]
)
def test_withheld_number_is_hidden(number):
    with translation.override("hu"):
        assert mask_calling_number(number) == "rejtett"
    with translation.override("en"):
        assert mask_calling_number(number) == "hidden"


def test_short_number_shows_no_digit():
    assert mask_calling_number("+3611") == "••••"
    assert mask_calling_number("1234567") == "•••••••"
