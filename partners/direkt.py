"""The Direkt code's keyed hash and its policy. Nothing here stores or logs the digits."""

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.utils.translation import gettext_lazy as _

CODE_RE = re.compile(r"[0-9]{4}\Z")
HISTORY_DEPTH = 5  # a new code may not repeat any of the firm's last five codes of the role


def new_salt() -> str:
    return secrets.token_hex(16)


def keyed_hash(*, grid: str, salt: str, code: str) -> str:
    """Return HMAC-SHA256 under the pepper of the GRID, the row's salt and the code, as hex."""
    message = f"{grid}:{salt}:{code}".encode()
    return hmac.new(settings.DIREKT_CODE_PEPPER.encode(), message, hashlib.sha256).hexdigest()


def hash_matches(*, grid: str, salt: str, code_hash: str, code: str) -> bool:
    """Compare in constant time, whatever the typed code looks like."""
    return hmac.compare_digest(keyed_hash(grid=grid, salt=salt, code=code), code_hash)


def is_trivial(code: str) -> bool:
    """Tell whether a 4-digit code is too easy to guess.

    Trivial: one digit repeated (0000), a run up or down (1234, 4321, also wrapping 8901), a
    repeated pair (1212), a mirrored pair (1221), or a plausible year (19xx, 20xx).
    """
    digits = [int(c) for c in code]
    steps = {(b - a) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return (
        len(set(digits)) == 1
        or steps in ({1}, {9})
        or code[:2] == code[2:]
        or code == code[::-1]
        or code[:2] in ("19", "20")
    )


def random_code() -> str:
    """Return a random code that passes the triviality rule."""
    while True:
        code = f"{secrets.randbelow(10_000):04d}"
        if not is_trivial(code):
            return code


POLICY_MESSAGES = {
    "format": _("The Direkt code is exactly 4 digits."),
    "trivial": _("This code is too easy to guess (repeated digits, a sequence or a year)."),
    "reused": _("This code was used recently; choose one that differs from the last five."),
    "same_as_other_role": _("The staff code and the manager code must differ."),
}
