"""Validators and field types for every value that arrives as text.

- ASCII digits only: ``str.isdigit()`` is true for ``²``, Arabic-Indic and full-width digits and
  ``int()`` accepts some of them, so digits are checked against ``0-9`` here and nowhere else.
- Integers within 64 bits (SQLite refuses larger ones with an OverflowError, not a 4xx), and
  within the bounds the caller gives.
- Dates between DATE_MIN and DATE_MAX: the ends of the calendar (0001-01-01, 9999-12-31) overflow
  as soon as a day is added or a time zone applied.
- Text without NUL characters (PostgreSQL refuses them) and within a length.

Each ``parse_*`` function returns the value or raises Django's ``ValidationError`` with a
translated message; the form and serializer fields below wrap them.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

INT64_MAX = 2**63 - 1
# Database ids and other counts: positive and within a signed 64-bit column.
ID_MAX = INT64_MAX
# The dates anyone may ask about: wide enough for every birth date and contract, narrow enough
# that adding a year or converting to a time zone never leaves Python's calendar.
DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2199, 12, 31)
TEXT_MAX = 10_000
# A call's duration in seconds (a day is plenty) and an IVR step number.
DURATION_MAX = 86_400
STEP_MAX = 1_000
# One field of a claim report draft (the longest, the description, takes 4,000 characters).
DRAFT_FIELD_MAX = 4_000

_DIGITS = re.compile(r"[0-9]+\Z")
_INTEGER = re.compile(r"[-+]?[0-9]+\Z")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")


def is_ascii_digits(value, length: int | None = None) -> bool:
    """True for a non-empty string of 0-9 only (of ``length`` characters when given)."""
    return (
        isinstance(value, str)
        and _DIGITS.match(value) is not None
        and (length is None or len(value) == length)
    )


def int_or_none(value, *, min_value: int = 0, max_value: int = INT64_MAX) -> int | None:
    """The whole number ``value`` writes in ASCII digits if it lies within the bounds, else
    None: for inputs that are dropped rather than refused (a provider's duration, an id in a
    hidden field)."""
    try:
        return parse_int(value, min_value=min_value, max_value=max_value)
    except ValidationError:
        return None


def parse_digits(value, *, length: int | None = None, max_length: int = 64) -> str:
    """A string of ASCII digits (exactly ``length`` of them when given)."""
    value = "" if value is None else str(value).strip()
    if not is_ascii_digits(value):
        raise ValidationError(_("Enter digits 0-9 only."), code="digits")
    if length is not None and len(value) != length:
        raise ValidationError(
            _("Enter exactly %(length)d digits."), code="digits_length", params={"length": length}
        )
    if len(value) > max_length:
        raise ValidationError(_("The number is too long."), code="digits_length")
    return value


def parse_int(value, *, min_value: int = -INT64_MAX, max_value: int = INT64_MAX) -> int:
    """A whole number written with ASCII digits, between the bounds (64-bit by default)."""
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number."), code="integer")
    if isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        if len(text) > 25 or not _INTEGER.match(text):
            raise ValidationError(_("Enter a whole number."), code="integer")
        number = int(text)
    if number < min_value:
        raise ValidationError(
            _("Enter a number of at least %(limit)s."), code="min", params={"limit": min_value}
        )
    if number > max_value:
        raise ValidationError(
            _("Enter a number of at most %(limit)s."), code="max", params={"limit": max_value}
        )
    return number


def check_date(value: datetime.date) -> datetime.date:
    """Refuse a date outside DATE_MIN … DATE_MAX."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="date_range",
            params={"first": DATE_MIN.isoformat(), "last": DATE_MAX.isoformat()},
        )
    return value


def parse_date(value) -> datetime.date:
    """An ISO date (YYYY-MM-DD, ASCII digits) between DATE_MIN and DATE_MAX."""
    if isinstance(value, datetime.datetime):
        return check_date(value.date())
    if isinstance(value, datetime.date):
        return check_date(value)
    match = _ISO_DATE.match("" if value is None else str(value).strip())
    if not match:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="date")
    try:
        day = datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="date") from None
    return check_date(day)


def check_text(value: str, *, max_length: int = TEXT_MAX) -> str:
    """Refuse NUL characters (PostgreSQL cannot store them) and text over ``max_length``."""
    if "\x00" in value:
        raise ValidationError(_("The text contains a character that is not allowed."), code="nul")
    if len(value) > max_length:
        raise ValidationError(
            _("Enter at most %(limit)d characters."),
            code="max_length",
            params={"limit": max_length},
        )
    return value


def text_errors(value, *, max_length: int = TEXT_MAX) -> list[str]:
    """The messages ``check_text`` would raise for ``value`` (empty when it may be stored)."""
    try:
        check_text("" if value is None else str(value), max_length=max_length)
    except ValidationError as error:
        return error.messages
    return []


# --- form fields -------------------------------------------------------------------------------


class IntegerField(forms.IntegerField):
    """A whole number in ASCII digits, bounded to 64 bits unless tighter bounds are given."""

    def __init__(self, *, min_value=-INT64_MAX, max_value=INT64_MAX, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_int(value)


class DateField(forms.DateField):
    """A date in the field's input formats (ASCII digits only) between DATE_MIN and
    DATE_MAX."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        parsed = super().to_python(value)
        return parsed if parsed is None else check_date(parsed)


class DateTimeField(forms.DateTimeField):
    """A date and time (the widget's formats, ASCII digits) whose day lies between DATE_MIN
    and DATE_MAX, so that making it aware and adding to it never overflows."""

    def to_python(self, value):
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            parsed = super().to_python(value)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return parsed if parsed is None else check_date(parsed)


class TextField(forms.CharField):
    """Text without NUL characters, at most ``max_length`` (TEXT_MAX by default)."""

    def __init__(self, *, max_length: int = TEXT_MAX, **kwargs):
        super().__init__(max_length=max_length, **kwargs)


# --- API serializer fields ---------------------------------------------------------------------


def _drf(call, value, **kwargs):
    try:
        return call(value, **kwargs)
    except ValidationError as error:
        raise serializers.ValidationError(error.messages) from None


class IntegerSerializerField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -INT64_MAX)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return _drf(parse_int, data)


class DateSerializerField(serializers.DateField):
    def to_internal_value(self, value):
        return _drf(parse_date, value)


class DateTimeSerializerField(serializers.DateTimeField):
    """A date-time whose day lies between DATE_MIN and DATE_MAX (ASCII digits)."""

    def to_internal_value(self, value):
        if isinstance(value, str) and not value.isascii():
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        parsed = super().to_internal_value(value)
        return _drf(check_date, parsed)
