"""Structured logs: one JSON object a line, with the call ticket's id where there is one.

Views that work on a call ticket bind its id (``bind_ticket``); every line logged while the
request runs carries it. Nothing here logs request bodies: a Direkt code or a personal record
never reaches a log line through this module.
"""

import contextvars
import datetime
import json
import logging

_ticket: contextvars.ContextVar[int | None] = contextvars.ContextVar("ticket", default=None)


def bind_ticket(ticket_id: int | None) -> None:
    """Tag the log lines of the current request (or task) with this call ticket."""
    _ticket.set(ticket_id)


class TicketContextMiddleware:
    """Start each request untagged, and tag it when its URL names a call ticket."""

    URL_KWARGS = ("ticket_id", "ticket_pk")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _ticket.set(None)
        try:
            return self.get_response(request)
        finally:
            _ticket.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for name in self.URL_KWARGS:
            if name in view_kwargs:
                bind_ticket(int(view_kwargs[name]))
        return None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ticket = _ticket.get()
        if ticket is not None:
            entry["ticket"] = ticket
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
