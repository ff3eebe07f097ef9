"""API tokens: made from 32 random bytes, shown once, stored as their SHA-256 digest."""

import hashlib
import secrets

TOKEN_PREFIX = "gtz_"  # noqa: S105  (a marker, not a secret)


def token_make() -> str:
    """Return a new token: a recognisable prefix and 43 URL-safe characters of randomness."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
