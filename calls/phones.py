"""Calling numbers as a partner may see them: enough to recognise a colleague's phone, not
enough to dial it."""

import re

from django.utils.translation import gettext as _

from partners.withheld import is_withheld

MASK = "•"
# Budapest has the one-digit area code 1; every other Hungarian area and mobile code has two.
_HU_AREA = re.compile(r"^(1|[2-9][0-9])")


def _group_masked(count: int) -> str:
    """Return ``count`` mask characters in groups of three, like the digits they stand for."""
    if count <= 3:
        return MASK * count
    return f"{MASK * 3} {MASK * (count - 3)}"


def mask_calling_number(number: str) -> str:
    """Return ``number`` with only its country and area prefix and its last two digits.

    ``+36301234567`` (or ``06301234567``) becomes ``+36 30 ••• •• 67``; a withheld or empty
    number is "hidden"; a number too short to mask safely shows no digit at all.
    """
    raw = (number or "").strip()
    digits = re.sub(r"[^0-9]", "", raw)
    if is_withheld(raw):
        return _("hidden")
    international = raw.startswith(("+", "00"))
    if raw.startswith("00"):
        digits = digits[2:]
    elif raw.startswith("06"):  # Hungarian domestic form of +36
        digits, international = "36" + digits[2:], True
    if len(digits) < 8:
        return MASK * max(len(digits), 4)
    if not international:
        prefix, rest = "", digits
    elif digits.startswith("36") and (area := _HU_AREA.match(digits[2:])):
        prefix, rest = f"+36 {area.group(1)}", digits[2 + len(area.group(1)) :]
    else:
        # Elsewhere the prefix lengths vary: keep four digits at most, mask at least four.
        keep = min(4, len(digits) - 6)
        prefix, rest = f"+{digits[:keep]}", digits[keep:]
    return " ".join(p for p in (prefix, _group_masked(len(rest) - 2), rest[-2:]) if p)
