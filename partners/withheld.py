"""Calling numbers that are no number: what providers send when the caller withheld it."""

# Twilio sends these names, and for "anonymous", "restricted", "unavailable" and "private" also
# these pseudo-numbers (in E.164 form).
WITHHELD_NAMES = frozenset(
    {"anonymous", "restricted", "unavailable", "unknown", "private", "blocked"}
)
WITHHELD_NUMBERS = frozenset({"+266696687", "+86282452253", "+7378742833", "+2562533", "+8656696"})


def is_withheld(number: str | None) -> bool:
    """Tell whether ``number`` says that the caller withheld the number (or is empty)."""
    raw = (number or "").strip()
    digits = "".join(ch for ch in raw if ch in "0123456789")
    return not digits or raw.lower() in WITHHELD_NAMES or f"+{digits}" in WITHHELD_NUMBERS
