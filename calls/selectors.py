"""Reads on calls."""

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.translation import gettext

from certificates.models import Delivery, DocumentType
from partners.models import PartnerFirm
from partners.verification import Outcome

from .desk.models import CallHandling, DeskRequest
from .models import CallTicket, VerificationAttempt
from .phones import mask_calling_number


def ticket_by_call_sid(*, call_sid: str) -> CallTicket | None:
    """Return the ticket of a call through the provider with its verified firm, or None."""
    return (
        CallTicket.objects.select_related("firm")
        .filter(source=CallTicket.Source.IVR, call_sid=call_sid)
        .first()
    )


# --- the partner portal: a firm's own calls and the failed verifications on its GRID ----------


@dataclass(frozen=True)
class FirmCallRequest:
    """A request made on one of the firm's calls, as the firm's managers see it."""

    kind: str
    document: str  # the document asked for, for a certificate request
    subject: str
    due_at: datetime.datetime | None
    done_at: datetime.datetime | None


@dataclass(frozen=True)
class FirmCallDocument:
    """A document that went out (or is on its way) on a request made during the call."""

    document: str
    channel: str
    state: str
    is_sent: bool
    sent_at: datetime.datetime | None
    dictated_to: str  # the destination, only when the caller dictated it (not on file)


@dataclass(frozen=True)
class FirmCall:
    """One verified call of the firm: never the agent's notes, never another firm's data."""

    started_at: datetime.datetime
    menu: str
    calling_number: str  # masked
    outcome: str
    requests: list[FirmCallRequest] = field(default_factory=list)
    documents: list[FirmCallDocument] = field(default_factory=list)


@dataclass(frozen=True)
class FirmCallHistory:
    page: Page
    calls: list[FirmCall]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _call_outcome(ticket: CallTicket, handling: CallHandling | None) -> str:
    if handling is not None and handling.outcome:
        return handling.get_outcome_display()
    if ticket.code_changed_at is not None:
        return gettext("Direkt code changed by phone")
    return ticket.get_state_display()


def firm_call_history(
    *,
    firm: PartnerFirm,
    page: int | str | None = 1,
    per_page: int = 25,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> FirmCallHistory:
    """Return one page of the calls verified for ``firm``, newest first, with the requests
    made on each and the documents sent on them; ``since`` and ``until`` are local days,
    both included. Four queries whatever the page size (count, calls, requests, documents).

    Only calls whose verification named ``firm`` are listed; the calling number is masked.
    """
    tickets = (
        CallTicket.objects.filter(firm=firm)
        .select_related("handling")
        .only(
            "pk",
            "started_at",
            "menu",
            "from_number",
            "state",
            "code_changed_at",
            "handling__id",
            "handling__outcome",
        )
        .order_by("-started_at", "-pk")
    )
    if since is not None:
        tickets = tickets.filter(started_at__gte=_day_start(since))
    if until is not None:
        tickets = tickets.filter(started_at__lt=_day_start(until + datetime.timedelta(days=1)))
    current = Paginator(tickets, per_page).get_page(page)
    rows = list(current.object_list)
    ids = [t.pk for t in rows]
    requests: dict[int, list[FirmCallRequest]] = {}
    request_ticket: dict[int, int] = {}
    document_names = dict(DocumentType.choices)
    for r in (
        DeskRequest.objects.filter(handling__ticket_id__in=ids)
        .order_by("created_at", "pk")
        .values(
            "handling__ticket_id",
            "kind",
            "subject",
            "due_at",
            "done_at",
            "certificate_request_id",
            "certificate_request__document_type",
        )
    ):
        ticket_id = r["handling__ticket_id"]
        document = document_names.get(r["certificate_request__document_type"] or "", "")
        requests.setdefault(ticket_id, []).append(
            FirmCallRequest(
                kind=str(DeskRequest.Kind(r["kind"]).label),
                document=str(document),
                subject=r["subject"],
                due_at=r["due_at"],
                done_at=r["done_at"],
            )
        )
        if r["certificate_request_id"]:
            request_ticket[r["certificate_request_id"]] = ticket_id
    documents: dict[int, list[FirmCallDocument]] = {}
    for d in (
        Delivery.objects.filter(request_id__in=list(request_ticket))
        .order_by("created_at", "pk")
        .values(
            "request_id",
            "request__document_type",
            "channel",
            "state",
            "sent_at",
            "on_file",
            "destination",
        )
    ):
        documents.setdefault(request_ticket[d["request_id"]], []).append(
            FirmCallDocument(
                document=str(document_names.get(d["request__document_type"], "")),
                channel=str(Delivery.Channel(d["channel"]).label),
                state=str(Delivery.State(d["state"]).label),
                is_sent=d["state"] == Delivery.State.SENT,
                sent_at=d["sent_at"],
                dictated_to="" if d["on_file"] else d["destination"],
            )
        )
    calls = []
    for t in rows:
        handling = _handling(t)
        calls.append(
            FirmCall(
                started_at=t.started_at,
                menu=t.get_menu_display(),
                calling_number=mask_calling_number(t.from_number),
                outcome=_call_outcome(t, handling),
                requests=requests.get(t.pk, []),
                documents=documents.get(t.pk, []),
            )
        )
    return FirmCallHistory(page=current, calls=calls)


def _handling(ticket: CallTicket) -> CallHandling | None:
    """Return the ticket's handling as ``select_related`` cached it (no query)."""
    try:
        return ticket.handling
    except CallHandling.DoesNotExist:
        return None


@dataclass(frozen=True)
class FailedVerification:
    """A failed identification with the firm's GRID: when, in which menu, why, from where."""

    at: datetime.datetime
    menu: str
    outcome: str
    calling_number: str  # masked


@dataclass(frozen=True)
class FirmFailures:
    days: int
    rows: list[FailedVerification]
    more: bool  # older failures within ``days`` than the ``limit`` shown


def firm_failed_verifications(
    *, firm: PartnerFirm, days: int = 30, limit: int = 50
) -> FirmFailures:
    """Return the latest failed verifications typed with ``firm``'s GRID in the last ``days``
    days, newest first, at most ``limit`` (one query).

    A failure belongs to the firm whose GRID was typed; a failure with a GRID of no firm, or
    with none, is listed nowhere. The calling number is masked.
    """
    since = timezone.now() - datetime.timedelta(days=days)
    attempts = list(
        VerificationAttempt.objects.filter(grid_entered=firm.grid, at__gte=since)
        .exclude(outcome=Outcome.VERIFIED)
        .select_related("ticket")
        .only("at", "menu", "outcome", "ticket__from_number")
        .order_by("-at", "-pk")[: limit + 1]
    )
    rows = [
        FailedVerification(
            at=a.at,
            menu=a.get_menu_display(),
            outcome=a.get_outcome_display(),
            calling_number=mask_calling_number(a.ticket.from_number),
        )
        for a in attempts[:limit]
    ]
    return FirmFailures(days=days, rows=rows, more=len(attempts) > limit)
