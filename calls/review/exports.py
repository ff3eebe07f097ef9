"""The filtered call log as CSV (streamed row by row) and XLSX (openpyxl's write-only mode,
spooled to a temporary file): memory stays flat whatever the number of calls.

Both speak the reader's language: states, menus and outcomes as words, yes/no instead of 0/1,
Budapest time. The XLSX holds real dates and numbers (a supervisor sorts and sums them), column
widths, an autofilter and a frozen header row. The CSV opens as columns in a Hungarian Excel by
default: semicolons (Excel takes the list separator from the locale, which is ";" where the
decimal mark is a comma) and UTF-8 with a byte-order mark; ``comma`` gives the international
variant."""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .models import CallLogEntry

XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
CSV_DELIMITERS = {"semicolon": ";", "comma": ","}
# The house's date format (2026. 12. 06. 10:00:00), which a Hungarian Excel also reads as a date.
CSV_DATETIME = "%Y. %m. %d. %H:%M:%S"
XLSX_DATETIME = "yyyy. mm. dd. hh:mm:ss"


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # in characters, for the XLSX


def columns() -> list[Column]:
    return [
        Column(_("Call"), 9),
        Column(_("Call SID"), 36),
        Column(_("Started"), 21),
        Column(_("State"), 22),
        Column(_("Source"), 24),
        Column(_("Menu"), 26),
        Column(_("GRID"), 11),
        Column(_("Firm"), 30),
        Column(_("Agent"), 22),
        Column(_("Verification"), 14),
        Column(_("Failed verifications"), 10),
        Column(_("Outcome"), 32),
        Column(_("Waiting (s)"), 10),
        Column(_("Handling (s)"), 10),
        Column(_("Requests"), 10),
        Column(_("Documents sent"), 10),
        Column(_("Failed delivery"), 10),
        Column(_("Open promise due"), 21),
        Column(_("Recorded"), 10),
        Column(_("Complaint"), 10),
    ]


def headers() -> list[str]:
    return [c.title for c in columns()]


def _safe(value):
    """Keep a spreadsheet from reading a text cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Return ``moment`` as a Budapest wall-clock time without a zone (what a sheet shows)."""
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0) if moment else None


def row_values(e: CallLogEntry) -> list:
    """Return one call's cells: numbers as numbers and times as naive Budapest datetimes."""
    return [
        e.ticket_id,
        e.ticket.call_sid,
        _local(e.started_at),
        e.state_display,
        e.source_display,
        e.menu_display,
        e.grid,
        _safe(e.firm.name) if e.firm else "",
        _safe(e.agent.get_full_name() or e.agent.username) if e.agent else "",
        e.get_verification_display(),
        e.failed_verifications,
        e.outcome_display,
        e.wait_seconds,
        e.handle_seconds,
        e.requests,
        _yes_no(e.documents_sent),
        _yes_no(e.failed_delivery),
        _local(e.open_promise_due_at),
        _yes_no(e.has_recording),
        _yes_no(getattr(e, "is_complaint", False)),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value):
    return value.strftime(CSV_DATETIME) if isinstance(value, datetime.datetime) else value


def csv_stream(
    rows: Iterable[CallLogEntry], *, delimiter: str = ";", language: str | None = None
) -> Iterator[str]:
    """Yield the CSV text line by line (UTF-8 BOM first, so that Excel reads the accents).

    The server reads the stream after the view has returned: ``language`` keeps the words in
    the language of the request that asked for it."""
    writer = csv.writer(_Echo(), delimiter=delimiter)
    with translation.override(language):
        yield "\ufeff" + writer.writerow(headers())
        for e in rows:
            yield writer.writerow([_csv_cell(v) for v in row_values(e)])


def xlsx_file(rows: Iterable[CallLogEntry]):
    """Write the rows into an XLSX workbook on a temporary file; return the open file."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Calls"))
    cols = columns()
    for i, column in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    # Write-only sheets take these before the first row.
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in cols:
        cell = WriteOnlyCell(ws, value=column.title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    n = 0
    for n, e in enumerate(rows, start=1):  # noqa: B007 - n is the row count below
        if n > XLSX_MAX_ROWS:
            n -= 1
            break
        values = []
        for value in row_values(e):
            if isinstance(value, datetime.datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = XLSX_DATETIME
                values.append(cell)
            else:
                values.append(value)
        ws.append(values)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{n + 1}"
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    wb.save(out)
    out.seek(0)
    return out
