"""The filtered call log as CSV (streamed row by row) and XLSX (openpyxl's write-only mode,
spooled to a temporary file): memory stays flat whatever the number of calls."""

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .models import CallLogEntry

XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header


def headers() -> list[str]:
    return [
        _("Call"),
        _("Call SID"),
        _("Started"),
        _("State"),
        _("Menu"),
        _("GRID"),
        _("Firm"),
        _("Agent"),
        _("Verification"),
        _("Failed verifications"),
        _("Outcome"),
        _("Waiting (s)"),
        _("Handling (s)"),
        _("Requests"),
        _("Documents sent"),
        _("Failed delivery"),
        _("Open promise due"),
        _("Recorded"),
    ]


def _safe(value):
    """Keep a spreadsheet from reading a text cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def row_values(e: CallLogEntry) -> list:
    due = e.open_promise_due_at
    return [
        e.ticket_id,
        e.ticket.call_sid,
        timezone.localtime(e.started_at).strftime("%Y-%m-%d %H:%M:%S"),
        e.state,
        e.menu,
        e.grid,
        _safe(e.firm.name) if e.firm else "",
        _safe(e.agent.get_full_name() or e.agent.username) if e.agent else "",
        e.verification,
        e.failed_verifications,
        e.outcome,
        e.wait_seconds,
        e.handle_seconds,
        e.requests,
        int(e.documents_sent),
        int(e.failed_delivery),
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
        int(e.has_recording),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[CallLogEntry]) -> Iterator[str]:
    """Yield the CSV text line by line (UTF-8 BOM first, so that Excel reads the accents)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers())
    for e in rows:
        yield writer.writerow(row_values(e))


def xlsx_file(rows: Iterable[CallLogEntry]):
    """Write the rows into an XLSX workbook on a temporary file; return the open file."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Calls"))
    ws.append(headers())
    for i, e in enumerate(rows):
        if i >= XLSX_MAX_ROWS:
            break
        ws.append(row_values(e))
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    wb.save(out)
    out.seek(0)
    return out
