"""boundary.fields: the one set of validators every input goes through."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve
from django.urls.exceptions import Resolver404
from django.utils import translation

from boundary import fields


@pytest.mark.parametrize("value", ["²", "١٢٣", "１２３", "12³", "", "1 2", "-1"])
def test_only_ascii_digits_are_digits(value):
    assert value.isdigit() in (True, False)  # str.isdigit() says yes to several of them
    assert not fields.is_ascii_digits(value)
    with pytest.raises(ValidationError):
        fields.parse_digits(value)


def test_integers_are_ascii_and_within_64_bits():
    assert fields.parse_int("42") == 42
    for value in ["١٢", "１２", "²", "9" * 30, str(2**63), "1e3", "4.0"]:
        with pytest.raises(ValidationError):
            fields.parse_int(value)
    assert fields.int_or_none("99999999999999999999") is None
    assert fields.int_or_none("7", max_value=5) is None


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_refused_in_the_users_language(value):
    with translation.override("hu"):
        with pytest.raises(ValidationError) as refused:
            fields.DateField().clean(value)
        # Read while Hungarian is active: the message is lazy, and an earlier test in the same
        # process may have left another language active.
        assert refused.value.messages == ["1900-01-01 és 2199-12-31 közötti dátumot adjon meg."]


@pytest.mark.parametrize("value", ["２０２６-１１-２７", "2026-02-30", "2026-11-27²"])
def test_dates_in_odd_digits_are_refused(value):
    with pytest.raises(ValidationError):
        fields.DateField().clean(value)
    assert fields.DateField().clean("2026-11-27") == datetime.date(2026, 11, 27)


def test_text_without_nul_and_within_its_length():
    assert fields.text_errors("Szeged") == []
    with translation.override("hu"):
        assert fields.text_errors("Szeged\x00") == ["A szöveg nem megengedett karaktert tartalmaz."]
    assert fields.text_errors("x" * 11, max_length=10)


@pytest.mark.parametrize("path", ["/desk/call/99999999999999999999/", "/desk/call/１２/"])
def test_url_ids_beyond_64_bits_or_not_ascii_do_not_resolve(path):
    with pytest.raises(Resolver404):
        resolve(path)
    assert resolve("/desk/call/12/").kwargs == {"ticket_id": 12}


@pytest.mark.parametrize(
    "path",
    [
        "/certificates/GR-2026-1\x00/pdf/",
        "/verify/GR\x01/",
        "/desk/call/12/contract/GFB\x00DEMO/",
        "/desk/call/12/claim/TK\x1b/",
        "/desk/call/12/offer/" + "A" * 101 + "/",
        "/partner/invitation/tok\x00en/",
    ],
)
def test_record_numbers_in_urls_with_control_characters_or_too_long_do_not_resolve(path):
    # PostgreSQL refuses a NUL in a query: such a number must be a 404 before any query.
    with pytest.raises(Resolver404):
        resolve(path)
    assert resolve("/desk/call/12/contract/GFB-DEMO-0001/").kwargs["policy_number"] == (
        "GFB-DEMO-0001"
    )


@pytest.mark.django_db
def test_a_typed_certificate_number_with_control_characters_is_answered_not_a_server_error(
    client,
):
    response = client.get("/verify/", {"number": "GR-2026\x00-1"})
    assert response.status_code == 404
    assert "GR-2026" in response.content.decode()
