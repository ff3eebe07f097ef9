"""Reads on calls."""

from .models import CallTicket


def ticket_by_call_sid(*, call_sid: str) -> CallTicket | None:
    """Return the ticket of a call with its verified firm, or None."""
    return CallTicket.objects.select_related("firm").filter(call_sid=call_sid).first()
