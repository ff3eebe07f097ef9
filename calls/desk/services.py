"""Writes of the desk: take a call, verify a caller by hand, identify a client, record
requests and promises, log disclosures, close a call and append remarks.

Every service runs in one transaction and writes its own audit rows; a closed handling is
never changed again (``HandlingClosed``).
"""

import datetime
import logging
import secrets
import unicodedata
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boundary.fields import is_ascii_digits
from calls import opening_hours, push
from calls.models import CallTicket, VerificationAttempt
from certificates.models import DocumentType, LibraryDocument
from certificates.selectors import NotEligible
from certificates.services import DeliverySpec, certificate_request_create
from claims.services import PhoneReport, claim_report_by_phone
from outbox.enqueue import enqueue_on_commit
from outbox.services import email_queue
from partners.models import Contract, ContractVehicle, DirektCode, Invoice, Policyholder
from partners.verification import direkt_verify, stored_calling_number

from . import connection
from .access import client_is_identified
from .models import (
    AgentPresence,
    CallHandling,
    ClaimReport,
    DeskEmail,
    DeskRequest,
    IdentificationCheck,
    Remark,
    WrittenRequestType,
)
from .selectors import promise_kept_by, unsubmitted_reports
from .tasks import connect_call_task

State = CallTicket.State
logger = logging.getLogger(__name__)


class CallAlreadyTaken(Exception):
    """Another agent took the call first (or the caller left the queue)."""


class AgentBusy(Exception):
    """The agent still has an open call; close it before taking another."""


class NoExtension(Exception):
    """The agent has no telephone extension, so the caller cannot be put through to them."""


class CannotReconnect(Exception):
    """The caller cannot be put through again: the call ended or the connection did not fail."""


class HandlingClosed(Exception):
    """The call is closed: its record is immutable."""


class VerificationFailed(Exception):
    """A manual verification did not succeed; ``outcome`` says why (for the agent's wording)."""

    def __init__(self, outcome: str):
        super().__init__(outcome)
        self.outcome = outcome


def _ensure_open(handling: CallHandling) -> None:
    if handling.closed_at is not None:
        raise HandlingClosed


@transaction.atomic
def call_take(*, ticket_id: int, agent) -> CallHandling:
    """Take a waiting verified call for ``agent``.

    The ticket moves from ``waiting`` to ``with_agent`` by one conditional UPDATE, so of two
    agents clicking at once exactly one succeeds; the other gets ``CallAlreadyTaken``.
    Raises ``AgentBusy`` when the agent has an open call, ``NoExtension`` when a caller waiting
    in the provider's queue could not be put through to the agent's phone. Side effects: the
    ticket's state, a new ``CallHandling``; for a call from the provider's queue, after the
    commit, the task that has the provider put the caller through (a PBX's call is on the
    agent's phone already).
    """
    if CallHandling.objects.filter(agent=agent, closed_at__isnull=True).exists():
        raise AgentBusy
    ticket = CallTicket.objects.filter(pk=ticket_id).only("source").first()
    connect = ticket is not None and ticket.needs_connection
    if connect and not agent.extension:
        raise NoExtension
    updated = CallTicket.objects.filter(
        pk=ticket_id, state=State.WAITING, firm__isnull=False, verified_at__isnull=False
    ).update(state=State.WITH_AGENT)
    if updated != 1:
        raise CallAlreadyTaken
    Connection = CallHandling.Connection
    try:
        with transaction.atomic():
            handling = CallHandling.objects.create(
                ticket_id=ticket_id,
                agent=agent,
                origin=CallHandling.Origin.QUEUE,
                taken_at=timezone.now(),
                connect_state=Connection.PENDING if connect else Connection.NOT_NEEDED,
            )
    except IntegrityError as exc:  # a parallel take by the same agent
        raise AgentBusy from exc
    if connect:
        _connect_enqueue(handling.pk)
    push.ticket_changed(ticket_id)  # after the commit: it leaves every other desk
    # Taking a call ends a wrap-up or a break: the agent chose to work.
    AgentPresence.objects.filter(agent=agent).update(wrap_up_until=None, break_since=None)
    push.presence_changed(agent.pk)
    return handling


@transaction.atomic
def call_connect_retry(*, handling: CallHandling) -> None:
    """Have the provider put the caller through to the agent's phone again, after the
    connection failed (the phone did not answer, the provider was unreachable).

    One conditional UPDATE moves the connection from ``failed`` back to ``pending`` with its
    tries counted afresh, so of two clicks one queues the task. Raises ``HandlingClosed`` for a
    closed call, ``CannotReconnect`` when the caller hung up or the connection has not failed.
    Side effects: the handling's connection fields; after the commit, the connection task.
    """
    Connection = CallHandling.Connection
    updated = CallHandling.objects.filter(
        pk=handling.pk,
        closed_at__isnull=True,
        connect_state=Connection.FAILED,
        ticket__ended_at__isnull=True,
    ).update(
        connect_state=Connection.PENDING,
        connect_error="",
        connect_attempts=0,
        connect_started_at=None,
        connected_at=None,
    )
    if not updated:
        if CallHandling.objects.filter(pk=handling.pk, closed_at__isnull=False).exists():
            raise HandlingClosed
        raise CannotReconnect
    logger.info("handling %s: putting the caller through again", handling.pk)
    handling.connect_state, handling.connect_error = Connection.PENDING, ""
    handling.connect_attempts, handling.connected_at = 0, None
    _connect_enqueue(handling.pk)


def _connect_enqueue(handling_id: int) -> None:
    # After the commit. With the broker down, the provider is asked now, in this request (the
    # agent waits for just this); after a temporary failure the connection stays pending for
    # the sweep.
    enqueue_on_commit(
        connect_call_task,
        handling_id,
        what=f"the connection of handling {handling_id}",
        fallback=partial(connection.call_connect, handling_id=handling_id),
    )


def _desk_email(*, handling: CallHandling, to: str, template: str, context: dict) -> DeskEmail:
    """Queue an e-mail of the call in the outbox (the mail worker sends it after the commit)
    and link it to the call, which shows whether it went out."""
    email = email_queue(to=to, template=template, context=context)
    return DeskEmail.objects.create(handling=handling, email=email)


def call_verify_manually(
    *, agent, grid: str, code: str, phone_number: str, menu: str
) -> CallHandling:
    """Verify a caller the agent reached another way (an outbound callback) with the GRID and
    Direkt code they say, through the IVR's verifier and throttles, and open the call.

    The code is neither stored nor logged. Side effects: a desk ``CallTicket`` (a random call
    id) and its ``VerificationAttempt`` (kept also on failure, for the supervisors); on
    success a ``CallHandling`` for the agent. Raises ``VerificationFailed`` or ``AgentBusy``.
    """
    if CallHandling.objects.filter(agent=agent, closed_at__isnull=True).exists():
        raise AgentBusy
    # The verification commits on its own: a failure must count even though we raise.
    result = direkt_verify(grid=grid, code=code, calling_number=phone_number)
    with transaction.atomic():
        now = timezone.now()
        ticket = CallTicket.objects.create(
            source=CallTicket.Source.DESK,
            call_sid=secrets.token_hex(16),
            from_number=stored_calling_number(phone_number),
            menu=menu,
            grid_entered=grid if is_ascii_digits(grid, length=9) else "",
            queue_name="desk",
            stage=CallTicket.Stage.DONE,
            state=State.WITH_AGENT if result.ok else State.FAILED_VERIFICATION,
            firm=result.firm if result.ok else None,
            verified_at=now if result.ok else None,
            ended_at=None if result.ok else now,
            failed_verifications=0 if result.ok else 1,
        )
        VerificationAttempt.objects.create(
            ticket=ticket,
            number=1,
            menu=menu,
            grid_entered=ticket.grid_entered,
            firm=result.firm,
            role=DirektCode.Role.STAFF,
            outcome=result.outcome,
        )
        if not result.ok:
            handling = None
        else:
            handling = CallHandling.objects.create(
                ticket=ticket, agent=agent, origin=CallHandling.Origin.MANUAL, taken_at=now
            )
    if handling is None:
        raise VerificationFailed(result.outcome)
    return handling


# --- client identification ---------------------------------------------------------------------

IDENTIFYING_FACTS = ("name", "birth_date", "tax_number", "mothers_name", "plate", "postcode")


def _plain(value: str) -> str:
    """Compare texts without case, accents' composition, extra spaces or punctuation."""
    text = unicodedata.normalize("NFC", str(value)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def holder_fact_matches(holder: Policyholder, fact: str, given) -> bool:
    """Tell whether what the caller gave for ``fact`` matches the client on file (the facts
    of the person; a contract's vehicle is ``_fact_matches``'s)."""
    if fact == "name":
        return _plain(given) == _plain(holder.name)
    if fact == "birth_date":
        return holder.birth_date is not None and given == holder.birth_date
    if fact == "tax_number":
        return bool(holder.tax_number) and _plain(given) == _plain(holder.tax_number)
    if fact == "mothers_name":
        return bool(holder.mothers_name) and _plain(given) == _plain(holder.mothers_name)
    if fact == "postcode":
        return _plain(given) == _plain(holder.postal_code)
    return False


def _fact_matches(contract: Contract, fact: str, given) -> bool:
    if fact == "plate":
        plates = ContractVehicle.objects.filter(contract=contract).values_list(
            "vehicle__plate", flat=True
        )
        return _plain(given) in {_plain(p) for p in plates}
    return holder_fact_matches(contract.policyholder, fact, given)


class IdentificationRefused(Exception):
    """Too many failed identifications of this client in this call."""


def identification_check(
    *, handling: CallHandling, model, subject: dict, fact_names, matches, facts: dict
):
    """The desk's one identification rule, for a contract's and an offer's client: at least
    two facts given, two matches identify, ``DESK_IDENTIFICATION_TRIES`` failures per record
    and call at most; only the names of the facts given and matched are stored, never the
    values. ``model`` is the check's model, ``subject`` its record (``{"contract": …}``),
    ``matches(fact, value)`` compares one fact.

    Raises ``HandlingClosed``, ``IdentificationRefused`` after the allowed failures, or
    ``ValidationError`` when fewer than two facts were given.
    """
    _ensure_open(handling)
    given = [f for f in fact_names if facts.get(f) not in (None, "")]
    if len(given) < 2:
        raise ValidationError(_("Give at least two identifying facts."))
    failures = model.objects.filter(handling=handling, passed=False, **subject).count()
    if failures >= settings.DESK_IDENTIFICATION_TRIES:
        raise IdentificationRefused
    matched = [f for f in given if matches(f, facts[f])]
    return model.objects.create(
        handling=handling,
        **subject,
        facts_given=given,
        facts_matched=matched,
        passed=len(matched) >= 2,
        at=timezone.now(),
    )


@transaction.atomic
def client_identify(
    *, handling: CallHandling, contract: Contract, facts: dict
) -> IdentificationCheck:
    """Compare the facts the caller gave with the contract's client; two matches identify
    (``identification_check``). ``facts`` maps fact names (``IDENTIFYING_FACTS``) to what the
    caller said; empty ones are ignored."""
    return identification_check(
        handling=handling,
        model=IdentificationCheck,
        subject={"contract": contract},
        fact_names=IDENTIFYING_FACTS,
        matches=partial(_fact_matches, contract),
        facts=facts,
    )


# --- requests and promises ---------------------------------------------------------------------


class NotIdentified(Exception):
    """The client must be identified before a document is released."""


@transaction.atomic
def desk_library_send(
    *,
    handling: CallHandling,
    document: LibraryDocument,
    channel: str,
    destination: str = "",
    read_back: bool = False,
) -> DeskRequest:
    """Send the calling firm a library document (a form, conditions, a tariff…: "SOS").

    No client is concerned, so no identification; by default it goes to the firm's e-mail or
    fax on file. Raises ``HandlingClosed``, ``NotEligible`` (no published version) or
    ``ValidationError`` (a bad destination, or one not on file and not read back); then nothing
    is saved. Side effects: the certificate request and its delivery (sent by the certificates
    worker), a ``DeskRequest``.
    """
    _ensure_open(handling)
    request = certificate_request_create(
        document_type=DocumentType.LIBRARY,
        requested_by=handling.agent,
        library_document=document,
        deliveries=[DeliverySpec(channel=channel, destination=destination, read_back=read_back)],
        source=f"call:{handling.ticket_id}",
        firm=handling.ticket.firm,
    )
    return DeskRequest.objects.create(
        handling=handling,
        kind=DeskRequest.Kind.CERTIFICATE,
        certificate_request=request,
        subject=document.title,
        created_at=timezone.now(),
    )


# The period parameters (from, until) of the documents that have one.
_PERIOD_PARAMS: dict[str, tuple[str, str]] = {
    DocumentType.COVERAGE: ("period_from", "period_to"),
    DocumentType.GREEN_CARD: ("valid_from", "valid_until"),
}


@transaction.atomic
def desk_certificate_request(
    *,
    handling: CallHandling,
    contract: Contract,
    document_type: str,
    channel: str = "",
    destination: str = "",
    read_back: bool = False,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    invoice: Invoice | None = None,
) -> DeskRequest:
    """Record a certificate request through the certificates service and link it to the call.

    With no channel the document goes by post to the policyholder (the default without other
    request). The period (coverage certificate, green card) defaults to the certificates
    app's: today for a coverage certificate (one day: the end defaults to the start), today to
    the contract's end for a green card. Raises ``HandlingClosed``, ``NotIdentified``,
    ``NotEligible`` (reason for the agent) or ``ValidationError``; then nothing is saved. Side
    effects: the certificate request and its deliveries (queued after commit by the
    certificates app), a ``DeskRequest``.
    """
    _ensure_open(handling)
    if not client_is_identified(handling=handling, contract=contract):
        raise NotIdentified
    deliveries = None
    if channel:
        deliveries = [DeliverySpec(channel=channel, destination=destination, read_back=read_back)]
    keys = _PERIOD_PARAMS.get(document_type)
    if keys is None and (period_start or period_end):
        raise NotEligible(_("Only a coverage certificate or a green card has a period."))
    if document_type == DocumentType.COVERAGE and period_start and not period_end:
        period_end = period_start
    params = {}
    if keys:
        dates = (period_start, period_end)
        params = {k: d.isoformat() for k, d in zip(keys, dates, strict=True) if d}
    request = certificate_request_create(
        document_type=document_type,
        requested_by=handling.agent,
        contract=contract,
        invoice=invoice if document_type == DocumentType.INVOICE_COPY else None,
        params=params,
        deliveries=deliveries,
        source=f"call:{handling.ticket_id}",
    )
    return DeskRequest.objects.create(
        handling=handling,
        kind=DeskRequest.Kind.CERTIFICATE,
        contract=contract,
        certificate_request=request,
        subject=request.get_document_type_display(),
        created_at=timezone.now(),
    )


def promise_default_dues(
    *, now: datetime.datetime | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the default due times of a callback and of a written answer promised now, from
    one read of the calendar (the call screen proposes both)."""
    now = now or opening_hours.now()
    intervals = opening_hours.open_intervals(now)
    return (
        callback_default_due(now=now, intervals=intervals),
        written_answer_default_due(now=now, intervals=intervals),
    )


def callback_default_due(
    *, now: datetime.datetime | None = None, intervals: opening_hours.Intervals | None = None
) -> datetime.datetime:
    """Return when a callback promised now is due: ``DESK_CALLBACK_DEADLINE_MINUTES`` of
    opening hours later (a promise made after hours counts from the next opening)."""
    now = now or opening_hours.now()
    remaining = datetime.timedelta(minutes=settings.DESK_CALLBACK_DEADLINE_MINUTES)
    last = now
    for begin, end in opening_hours.open_intervals(now) if intervals is None else intervals:
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
        last = end
    return last + remaining


def written_answer_default_due(
    *, now: datetime.datetime | None = None, intervals: opening_hours.Intervals | None = None
) -> datetime.datetime:
    """Return the closing time of the ``DESK_WRITTEN_ANSWER_DAYS``-th open day after today."""
    start = now or opening_hours.now()
    count = 0
    last = start
    for _begin, end in opening_hours.open_intervals(start) if intervals is None else intervals:
        if end.date() == timezone.localtime(start).date():
            continue
        count += 1
        last = end
        if count >= settings.DESK_WRITTEN_ANSWER_DAYS:
            break
    return last


@transaction.atomic
def desk_promise(
    *,
    handling: CallHandling,
    kind: str,
    due_at: datetime.datetime,
    contact: str,
    subject: str,
    contract: Contract | None = None,
) -> DeskRequest:
    """Record a callback or written answer promise; it joins the agent's queue of promises.

    Raises ``HandlingClosed`` or ``ValidationError`` (a due time in the past, a bad kind).
    """
    _ensure_open(handling)
    if kind not in DeskRequest.PROMISES:
        raise ValidationError(_("Unknown kind of promise."))
    if due_at <= timezone.now():
        raise ValidationError(_("The due time must be in the future."))
    return DeskRequest.objects.create(
        handling=handling,
        kind=kind,
        contract=contract,
        due_at=due_at,
        contact=contact,
        subject=subject,
        created_at=timezone.now(),
    )


def _open_promise(request_id: int):
    return DeskRequest.objects.filter(
        pk=request_id, kind__in=DeskRequest.PROMISES, done_at__isnull=True
    )


@transaction.atomic
def desk_promise_done(*, request_id: int, agent) -> bool:
    """Mark a promise the agent keeps as kept, by them, now. Returns whether it was theirs
    and still open."""
    kept = _open_promise(request_id).filter(promise_kept_by(agent))
    return bool(kept.update(done_at=timezone.now(), done_by=agent))


@transaction.atomic
def desk_promise_take_over(*, request_id: int, agent) -> bool:
    """Make the agent the keeper of a colleague's open promise that is overdue (its keeper is
    away or busy). Returns whether it was taken over: a promise not due yet, already kept, or
    the agent's own stays as it is (only its keeper keeps a promise before it is overdue)."""
    taken = (
        _open_promise(request_id)
        .filter(due_at__lt=timezone.now())
        .exclude(promise_kept_by(agent))
        .update(assignee=agent)
    )
    return bool(taken)


# The written-request type whose guidance points to the printed-forms order channel.
PRINTED_FORMS_CODE = "printed-forms"


@transaction.atomic
def desk_written_guidance_send(
    *, handling: CallHandling, request_type: WrittenRequestType, email: str
) -> DeskRequest:
    """E-mail the caller the written-request guidance (form and channels) of a change.

    The channels are the type's own, else the insurer's (``WRITTEN_REQUEST_*`` settings); an
    order of printed forms is pointed to ``PRINTED_FORMS_ORDER_EMAIL`` only.

    Side effects: a ``DeskEmail`` (sent through the outbox), a ``DeskRequest``. Raises
    ``HandlingClosed``.
    """
    _ensure_open(handling)
    if request_type.code == PRINTED_FORMS_CODE:
        # Printed forms are ordered on their own channel, not with the written requests.
        channels = {"fax": "", "email": settings.PRINTED_FORMS_ORDER_EMAIL, "post": ""}
    else:
        # A type may name its own channel; else the insurer's written-request channels.
        channels = {
            "fax": request_type.fax or settings.WRITTEN_REQUEST_FAX,
            "email": request_type.email or settings.WRITTEN_REQUEST_EMAIL,
            "post": request_type.postal_address or settings.WRITTEN_REQUEST_POSTAL_ADDRESS,
        }
    _desk_email(
        handling=handling,
        to=email,
        template="desk/email/written_guidance",
        context={"request_type": request_type, "channels": channels},
    )
    return DeskRequest.objects.create(
        handling=handling,
        kind=DeskRequest.Kind.WRITTEN_GUIDANCE,
        contact=email,
        subject=request_type.title,
        created_at=timezone.now(),
    )


# --- notes, closing, remarks -------------------------------------------------------------------


@transaction.atomic
def call_notes_save(*, handling: CallHandling, notes: str) -> None:
    """Save the working notes of an open call. Raises ``HandlingClosed``."""
    updated = CallHandling.objects.filter(pk=handling.pk, closed_at__isnull=True).update(
        notes=notes
    )
    if not updated:
        raise HandlingClosed
    handling.notes = notes


class UnsubmittedClaimReport(Exception):
    """The call has a claim report that was started but not submitted."""


@transaction.atomic
def call_close(
    *, handling: CallHandling, notes: str, outcome: str, discard_drafts: bool = False
) -> None:
    """Close the call with its notes and outcome; from now on the record is immutable.

    A claim report started on the call and not submitted stops the close, unless the agent
    chose to discard it (``discard_drafts``: it is kept, marked discarded); "claim reported"
    needs a submitted report. Side effects: the handling's notes, outcome and ``closed_at``; a
    ticket still with the agent is marked completed (the provider's status callback adds the
    end time). Raises ``HandlingClosed`` when it was already closed, ``UnsubmittedClaimReport``,
    and ``ValidationError`` for a bad outcome.
    """
    if outcome not in CallHandling.Outcome.values:
        raise ValidationError(_("Choose the outcome of the call."))
    drafts = unsubmitted_reports(handling=handling)
    if drafts.exists() and not discard_drafts:
        raise UnsubmittedClaimReport
    if (
        outcome == CallHandling.Outcome.CLAIM_REPORTED
        and not handling.claim_reports.filter(state=ClaimReport.State.SUBMITTED).exists()
    ):
        raise ValidationError(
            _("No claim was reported on this call: submit the report, or choose another outcome.")
        )
    now = timezone.now()
    updated = CallHandling.objects.filter(pk=handling.pk, closed_at__isnull=True).update(
        notes=notes, outcome=outcome, closed_at=now
    )
    if not updated:
        raise HandlingClosed
    drafts.update(state=ClaimReport.State.DISCARDED, updated_at=now)
    CallTicket.objects.filter(pk=handling.ticket_id, state=State.WITH_AGENT).update(
        state=State.COMPLETED
    )
    handling.notes, handling.outcome, handling.closed_at = notes, outcome, now
    # The set time to finish the call's work before the next call is offered.
    AgentPresence.objects.update_or_create(
        agent_id=handling.agent_id,
        defaults={
            "wrap_up_until": now + datetime.timedelta(seconds=settings.DESK_WRAP_UP_SECONDS),
            "break_since": None,
        },
    )
    push.presence_changed(handling.agent_id)


@transaction.atomic
def remark_add(*, handling: CallHandling, by, text: str) -> Remark:
    """Append a remark to a call (the only change a closed call accepts)."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the remark."))
    return Remark.objects.create(handling=handling, by=by, at=timezone.now(), text=text)


__all__ = [
    "AgentBusy",
    "CallAlreadyTaken",
    "CannotReconnect",
    "HandlingClosed",
    "IdentificationRefused",
    "NoExtension",
    "NotEligible",
    "NotIdentified",
    "UnsubmittedClaimReport",
    "VerificationFailed",
]


# --- phone claim report (first notice of loss) ------------------------------------------------


def claim_report_kind(contract: Contract) -> str:
    return ClaimReport.Kind.MOTOR if contract.is_motor else ClaimReport.Kind.PROPERTY


def claim_report_start(
    *, handling: CallHandling, contract: Contract, form_key: str = ""
) -> ClaimReport:
    """Return the call's draft report on this contract, or start one (motor or property by
    the contract's product) for the form page ``form_key``. Called when something is saved or
    sent, never when the form is only opened. Raises ``HandlingClosed``."""

    _ensure_open(handling)
    report = ClaimReport.objects.filter(
        handling=handling, contract=contract, state=ClaimReport.State.DRAFT
    ).first()
    if report is None:
        report = ClaimReport.objects.create(
            handling=handling,
            contract=contract,
            kind=claim_report_kind(contract),
            form_key=form_key[:32],
        )
    return report


@transaction.atomic
def claim_report_save_draft(*, report: ClaimReport, data: dict) -> None:
    """Keep what was typed so far (unvalidated), so the agent can pause and come back."""

    _ensure_open(report.handling)
    ClaimReport.objects.filter(pk=report.pk, state=ClaimReport.State.DRAFT).update(
        data=data, updated_at=timezone.now()
    )
    report.data = data


_PROPERTY_COVER = {"fire": "fire", "water": "water", "storm": "storm", "burglary": "burglary"}


def _phone_report(report: ClaimReport, cleaned: dict) -> PhoneReport:
    """Pick from the answers what the core claims system needs to open the claim; the
    identification facts asked on the call (birth date, mother's name) stay here."""
    common = {
        "reported_by": report.handling.ticket.firm,
        "call_reference": str(report.handling.ticket_id),
        "event_at": cleaned["event_at"],
        "noticed_at": cleaned.get("noticed_at"),
        "what_happened": cleaned["description"],
    }
    if report.kind == ClaimReport.Kind.MOTOR:
        return PhoneReport(
            **common,
            place=cleaned["place"],
            damaged_plate=cleaned["damaged_plate"],
            damaged_vehicle_type=cleaned["damaged_vehicle_type"],
            at_fault_plate=cleaned.get("at_fault_plate", ""),
            inspection_place=cleaned["inspection_place"],
            authorities_involved=cleaned.get("police_involved", False),
            contact_name=cleaned["owner_name"],
            contact_address=cleaned["owner_address"],
            contact_phone_or_email=cleaned["owner_phone"],
        )
    return PhoneReport(
        **common,
        place=cleaned["risk_address"],
        authorities_involved=cleaned.get("authorities_involved", False),
        estimated_amount=cleaned["estimated_amount"],
        contact_name=cleaned["insured_name"],
        contact_address=cleaned["risk_address"],
        contact_phone_or_email=cleaned["contact"],
    )


@transaction.atomic
def claim_report_submit(*, report_id: int, handling: CallHandling, cleaned: dict, raw: dict):
    """Submit the report once: create the claim with its number and e-mail it to the firm.

    The report row is locked; a report already submitted (a double click, a resent form)
    returns its claim and creates nothing. Side effects: a ``Claim`` (origin phone) through
    ``claims.services``, the report's state and answers, and the e-mail with the claim number
    to the partner firm (a ``DeskEmail``, sent through the outbox).
    """

    _ensure_open(handling)
    report = (
        ClaimReport.objects.select_for_update(of=("self",))
        .select_related("contract", "handling__ticket__firm")
        .get(pk=report_id, handling=handling)
    )
    if report.state == ClaimReport.State.SUBMITTED:
        return report.claim
    contract = report.contract
    vehicle = None
    if report.kind == ClaimReport.Kind.MOTOR:
        cover = cleaned["cover"]
        plate = _plain(cleaned["damaged_plate"])
        for link in ContractVehicle.objects.filter(contract=contract).select_related("vehicle"):
            if _plain(link.vehicle.plate) == plate:
                vehicle = link.vehicle
                break
    else:
        cover = _PROPERTY_COVER.get(cleaned["event_type"], "other")
    lines = [f"{k}: {v}" for k, v in raw.items() if v not in ("", None)]
    claim = claim_report_by_phone(
        contract=contract,
        cover=cover,
        event_date=timezone.localtime(cleaned["event_at"]).date(),
        description="\n".join(lines)[:4000],
        vehicle=vehicle,
        report=_phone_report(report, cleaned),
    )
    ClaimReport.objects.filter(pk=report.pk).update(
        state=ClaimReport.State.SUBMITTED, claim=claim, data=raw, submitted_at=timezone.now()
    )
    firm = report.handling.firm
    if firm.email:
        _desk_email(
            handling=handling,
            to=firm.email,
            template="desk/email/claim_number",
            context={"contract": contract, "claim": claim},
        )
    return claim


# --- presence ------------------------------------------------------------------------------


class PresenceAction:
    BREAK = "break"
    BACK = "back"
    EXTEND = "extend"


@transaction.atomic
def presence_set(*, agent, action: str) -> bool:
    """Change the agent's presence: ``break`` (no call is offered until back), ``back`` (end a
    break or a wrap-up: available), ``extend`` (a wrap-up lasts ``DESK_WRAP_UP_EXTEND_SECONDS``
    longer). Returns whether anything changed (extending outside a wrap-up does not; nor a
    break during a call). Side effects: the ``AgentPresence`` row; a push to the agent's desks.
    """
    now = timezone.now()
    row, _created = AgentPresence.objects.select_for_update().get_or_create(agent=agent)
    if action == PresenceAction.BREAK:
        if CallHandling.objects.filter(agent=agent, closed_at__isnull=True).exists():
            return False
        row.break_since, row.wrap_up_until = now, None
    elif action == PresenceAction.BACK:
        row.break_since = row.wrap_up_until = None
    elif action == PresenceAction.EXTEND:
        if row.break_since is not None or not row.wrap_up_until or row.wrap_up_until <= now:
            return False
        row.wrap_up_until += datetime.timedelta(seconds=settings.DESK_WRAP_UP_EXTEND_SECONDS)
    else:
        raise ValueError(action)
    row.save()
    push.presence_changed(agent.pk)
    return True
