"""Which requests may take seconds, for the web workers' page thread.

Under ASGI (``make serve``) a web worker serves its pages one at a time on one thread
(``gratisz.asgi``). A view that may take seconds (a bulk import through the API, a large export)
would hold up every page queued behind it on that worker, agents' pages among them:
``long_request`` marks it, and the handler runs it on threads of its own. Here, at the bottom
layer, so that every app's views can mark theirs.
"""

from collections.abc import Callable
from typing import TypeVar

_LONG = "gratisz_long_request"

View = TypeVar("View", bound=Callable)


def long_request(view: View) -> View:
    """Mark ``view`` as one that may take seconds."""
    setattr(view, _LONG, True)
    return view


def is_long_request(view: Callable) -> bool:
    return bool(getattr(view, _LONG, False))
