"""Structured logs: one JSON object a line, with the call ticket's id where there is one.

Views that work on a call ticket bind its id (``bind_ticket``); every line logged while the
request runs carries it. Nothing here logs request bodies: a Direkt code or a personal record
never reaches a log line through this module.
"""

import contextvars
import datetime

from pythonjsonlogger import json as jsonlogger

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


class JsonFormatter(jsonlogger.JsonFormatter):
    """python-json-logger's formatter: ``time``, ``level``, ``logger``, ``message``, the call
    ticket when one is bound, and every ``extra`` field the call passed (certificate number,
    batch id …)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("json_ensure_ascii", False)
        kwargs.setdefault(
            "rename_fields", {"levelname": "level", "name": "logger", "exc_info": "exception"}
        )
        super().__init__("{levelname}{name}{message}", *args, style="{", **kwargs)

    def add_fields(self, log_record, record, message_dict) -> None:
        super().add_fields(log_record, record, message_dict)
        created = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        log_record["time"] = created.isoformat(timespec="milliseconds")
        ticket = _ticket.get()
        if ticket is not None:
            log_record.setdefault("ticket", ticket)
