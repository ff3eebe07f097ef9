"""Which requests count as the user's own activity, for the idle-session rule.

A page's own poll (the desk's queue, the board's refresh) is not the user's activity: a view that
answers one calls ``mark_passive(request)``, and ``gratisz.middleware.IdleSessionMiddleware``
then leaves the session's expiry where it was, so a desk left open with nobody at it still logs
out. Here, at the bottom layer, so that every app's views can mark their polls.
"""

from django.http import HttpRequest

_PASSIVE = "gratisz_passive"


def mark_passive(request: HttpRequest) -> None:
    """Mark ``request`` as the page's own poll, not the user's activity."""
    setattr(request, _PASSIVE, True)


def is_passive(request: HttpRequest) -> bool:
    """Tell whether ``request`` was marked as a poll."""
    return bool(getattr(request, _PASSIVE, False))
