"""Reads of the desk. Every portfolio read goes through the firm-scoped selectors of
``partners`` and ``claims`` with the firm the call verified: a record outside that firm's
portfolio raises the same ``DoesNotExist`` as a wrong number (a 404 on the desk)."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from boundary.fields import int_or_none
from calls.models import CallTicket
from claims.models import Claim
from claims.selectors import claim_search, firm_claims
from partners.models import BonusMalusEntry, Contract, ContractVehicle, Invoice, Offer, Payment
from partners.selectors import (
    PremiumStatus,
    mandate_diagnosis,
    offer_search,
    portfolio_search,
)

from .masking import mask
from .models import AgentPresence, CallHandling, ClaimReport, DeskRequest, IdentificationCheck

FIRM_HISTORY_DAYS = 30


def waiting_calls() -> QuerySet[CallTicket]:
    """Return the verified calls waiting for an agent, longest waiting first."""
    return (
        CallTicket.objects.filter(
            state=CallTicket.State.WAITING, firm__isnull=False, verified_at__isnull=False
        )
        .select_related("firm")
        .order_by("enqueued_at", "pk")
    )


def open_handling_of(*, agent) -> CallHandling | None:
    return (
        CallHandling.objects.filter(agent=agent, closed_at__isnull=True)
        .select_related("ticket", "ticket__firm")
        .first()
    )


def _open_promises() -> QuerySet[DeskRequest]:
    return (
        DeskRequest.objects.filter(kind__in=DeskRequest.PROMISES, done_at__isnull=True)
        .select_related("handling__ticket__firm", "contract")
        .order_by("due_at", "pk")
    )


def promise_kept_by(agent) -> Q:
    """The promises ``agent`` keeps: taken over by them, or made by them and not taken over."""
    return Q(assignee=agent) | Q(assignee__isnull=True, handling__agent=agent)


def promises_due(*, agent) -> list[DeskRequest]:
    """Return the open callback and written answer promises the agent keeps (made, or taken
    over from a colleague), earliest due first (so the overdue ones lead)."""
    return list(_open_promises().filter(promise_kept_by(agent)))


def colleagues_overdue_promises(*, agent, now) -> list[DeskRequest]:
    """Return the overdue open promises that colleagues keep: any agent may take one over
    (its keeper is away, or busy)."""
    return list(
        _open_promises()
        .filter(due_at__lt=now)
        .exclude(promise_kept_by(agent))
        .select_related("handling__agent", "assignee")[:50]
    )


def handling_for_agent(*, agent, ticket_id: int) -> CallHandling:
    """Return the agent's handling of this (verified) call, or raise ``Http404``.

    Another agent's call, an unverified ticket or a ticket nobody took do not exist here.
    """
    try:
        return CallHandling.objects.select_related(
            "ticket", "ticket__firm", "ticket__firm__referent", "agent"
        ).get(ticket_id=ticket_id, agent=agent, ticket__firm__isnull=False)
    except CallHandling.DoesNotExist as exc:
        raise Http404 from exc


def unsubmitted_reports(*, handling: CallHandling) -> QuerySet[ClaimReport]:
    """Return the claim reports started on the call and not submitted (drafts)."""
    return ClaimReport.objects.filter(handling=handling, state=ClaimReport.State.DRAFT)


def callback_promise(*, ticket: CallTicket) -> DeskRequest | None:
    """Return the promise this call keeps, when it is a callback the desk dialled: its subject,
    when and by whom it was made (for the call screen's note)."""
    if ticket.source != CallTicket.Source.CALLBACK:
        return None
    return (
        DeskRequest.objects.filter(callback_attempts__ticket=ticket)
        .select_related("handling__agent", "handling__ticket", "contract")
        .first()
    )


def handling_has_work(*, handling: CallHandling) -> bool:
    """Tell whether anything was recorded or started on the call: requests, claim reports
    (a caller who hung up then leaves work to finish, not a call to close as dropped)."""
    return handling.requests.exists() or ClaimReport.objects.filter(handling=handling).exists()


def submitted_report(
    *, handling: CallHandling, report_id, form_key: str = ""
) -> ClaimReport | None:
    """Return the call's report with this id (or started by the form with this key) if it was
    submitted (with its claim), else None."""
    report_id = int_or_none(report_id, min_value=1)
    if report_id is not None:
        match = Q(pk=report_id)
    elif form_key:
        match = Q(form_key=form_key[:32])
    else:
        return None
    return (
        ClaimReport.objects.filter(match, handling=handling, state=ClaimReport.State.SUBMITTED)
        .select_related("claim")
        .first()
    )


def draft_report(*, handling: CallHandling, contract: Contract) -> ClaimReport | None:
    """Return the call's draft report on this contract, if one was saved."""
    return ClaimReport.objects.filter(
        handling=handling, contract=contract, state=ClaimReport.State.DRAFT
    ).first()


def firm_recent_calls(*, handling: CallHandling, days: int = FIRM_HISTORY_DAYS) -> list:
    """Return the firm's other calls of the last ``days`` days with their handling."""
    since = timezone.now() - datetime.timedelta(days=days)
    return list(
        CallTicket.objects.filter(firm_id=handling.ticket.firm_id, started_at__gte=since)
        .exclude(pk=handling.ticket_id)
        .select_related("handling", "handling__agent")
        .order_by("-started_at")[:50]
    )


@dataclass
class SearchResult:
    contracts: list[Contract]
    claims: list[Claim]
    offers: list[Offer] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.contracts) + len(self.claims) + len(self.offers)


def call_search(*, handling: CallHandling, query: str, limit: int = 20) -> SearchResult:
    """Search the verified firm's portfolio as the agent types (contracts by every number and
    name, claims by claim number, offers by a part of their number), best match first; each
    contract carries its policyholder's name masked (``holder_masked``: the caller is not
    identified by a search) and what matched.
    """
    firm = handling.firm
    contracts: list[Any] = portfolio_search(firm=firm, query=query, limit=limit)
    for contract in contracts:
        contract.holder_masked = mask(contract.policyholder.name)
    return SearchResult(
        contracts=contracts,
        claims=claim_search(firm=firm, query=query),
        offers=offer_search(firm=firm, query=query),
    )


def contract_details(
    *,
    handling: CallHandling,
    contract: Contract,
    premium: PremiumStatus,
    vehicle_page: str | int | None,
    per_page: int,
) -> dict:
    """Return what the contract view shows (``premium``: the contract's premium status, read
    by the caller); a fixed number of queries whatever the size of the fleet, the ledger or the
    claims."""
    links = (
        ContractVehicle.objects.filter(contract=contract)
        .select_related("vehicle")
        .order_by("vehicle__plate", "pk")
    )
    vehicles = Paginator(links, per_page).get_page(vehicle_page)
    instalment = _instalment(contract)
    mandates = [
        (m, mandate_diagnosis(mandate=m, premium=instalment)) for m in contract.mandates.all()
    ]
    checks = list(
        IdentificationCheck.objects.filter(handling=handling, contract=contract).order_by("at")
    )
    return {
        "vehicles": vehicles,
        "bonus_malus": list(BonusMalusEntry.objects.filter(contract=contract)[:10]),
        "premium": premium,
        "payments": list(Payment.objects.filter(contract=contract).order_by("-paid_on")[:5]),
        "invoices": list(Invoice.objects.filter(contract=contract).order_by("-due_on")[:12]),
        "mandates": mandates,
        "claims": list(
            firm_claims(firm=handling.firm).filter(contract=contract).order_by("-event_date")[:50]
        ),
        "checks": checks,
        "identified": any(c.passed for c in checks),
        "requests": list(
            DeskRequest.objects.filter(handling=handling, contract=contract).select_related(
                "certificate_request"
            )
        ),
    }


def _instalment(contract: Contract) -> int:
    per_year = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}
    return contract.annual_premium // per_year.get(contract.payment_frequency, 1)


def disclosures_for_review(*, ticket_id: int | None = None, record_ref: str = "") -> QuerySet:
    """Return the disclosure log for supervisors, newest first."""
    from .models import Disclosure

    qs = Disclosure.objects.select_related("agent", "ticket", "firm")
    if ticket_id:
        qs = qs.filter(ticket_id=ticket_id)
    if record_ref:
        qs = qs.filter(Q(record_ref__iexact=record_ref.strip()))
    return qs


@dataclass(frozen=True)
class Presence:
    """An agent's presence now: ``state`` (``AgentPresence.State``) and, for a wrap-up, when it
    ends; for a call or a break, since when."""

    state: str
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None

    @property
    def offered_calls(self) -> bool:
        return self.state == AgentPresence.State.AVAILABLE

    def get_state_display(self) -> str:
        return str(AgentPresence.State(self.state).label)


_UNREAD: Any = object()


def agent_presence(
    *, agent, now: datetime.datetime | None = None, handling: Any = _UNREAD
) -> Presence:
    """Return where ``agent`` is: on a call (an open handling), on a break, in wrap-up (until
    its end), else available. ``handling``: the agent's open handling (or None) if the caller
    has already read it (``open_handling_of``)."""
    now = now or timezone.now()
    if handling is _UNREAD:
        handling = CallHandling.objects.filter(agent=agent, closed_at__isnull=True).first()
    if handling is not None:
        return Presence(AgentPresence.State.ON_CALL, since=handling.taken_at)
    row = AgentPresence.objects.filter(agent=agent).first()
    if row is not None and row.break_since is not None:
        return Presence(AgentPresence.State.BREAK, since=row.break_since)
    if row is not None and row.wrap_up_until is not None and row.wrap_up_until > now:
        return Presence(AgentPresence.State.WRAP_UP, until=row.wrap_up_until)
    return Presence(AgentPresence.State.AVAILABLE)


@dataclass(frozen=True)
class PresenceRow:
    agent: AbstractUser
    presence: Presence


def presence_board(*, now: datetime.datetime | None = None) -> list[PresenceRow]:
    """Return every active desk user with their presence (for supervisors), in three queries."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    users = list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__codename="use_desk")
            | Q(user_permissions__codename="use_desk")
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    on_call = dict(
        CallHandling.objects.filter(closed_at__isnull=True).values_list("agent_id", "taken_at")
    )
    rows = AgentPresence.objects.in_bulk([u.pk for u in users])
    board = []
    for user in users:
        row = rows.get(user.pk)
        if user.pk in on_call:
            presence = Presence(AgentPresence.State.ON_CALL, since=on_call[user.pk])
        elif row is not None and row.break_since is not None:
            presence = Presence(AgentPresence.State.BREAK, since=row.break_since)
        elif row is not None and row.wrap_up_until and row.wrap_up_until > now:
            presence = Presence(AgentPresence.State.WRAP_UP, until=row.wrap_up_until)
        else:
            presence = Presence(AgentPresence.State.AVAILABLE)
        board.append(PresenceRow(agent=user, presence=presence))
    return board
