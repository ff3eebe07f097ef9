"""Callbacks of promises dialled through the telephony provider (click-to-call).

From an open callback promise the agent presses *Call back*: ``callback_start`` checks the
hours, the number and the agent, opens the callback's own ticket (source ``callback``) and a
``CallbackAttempt`` on the promise, and has the provider ring the agent's phone and then the
broker's number (``calls.telephony.dialling``). The provider's callbacks drive the outcome:
``callback_answered`` (the broker answered: the recording notice), ``callback_dial_ended``
(how the ring to the broker ended) and ``callback_status`` (the call to the agent's phone).
Before any data is given the broker is verified on the callback as on an inbound call
(``callback_verify``: GRID and Direkt code through the IVR's verifier and its limits); then the
call screen opens as for any call and the promise is kept, at the time the broker answered.

The numbers dialled are the promise's (its contact, the original call's number) or those the
firm verified itself from (its verified calls of the last ``DESK_CALLBACK_FIRM_NUMBER_DAYS``
days); any other number is dialled only once the agent read it back, and the attempt keeps
that it was typed. The agent's phone is their telephone extension (``User.extension``), the one
queued calls are put through to.
"""

import datetime
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from twilio.twiml.voice_response import VoiceResponse

from boundary.fields import DURATION_MAX, int_or_none, is_ascii_digits
from calls import opening_hours
from calls.ivr.flow import ivr_prompts
from calls.ivr.prompts import DEFAULT_PROMPTS
from calls.models import CallTicket, IvrPrompt, VerificationAttempt
from calls.telephony import dialling
from calls.telephony.errors import TelephonyError
from partners.models import DirektCode
from partners.verification import direkt_verify, e164

from .models import CallbackAttempt, CallHandling, DeskRequest
from .selectors import promise_kept_by

logger = logging.getLogger(__name__)
security_log = logging.getLogger("gratisz.security")

Outcome = CallbackAttempt.Outcome
State = CallTicket.State
PENDING_SID = "pending-"  # the callback ticket's call id until the provider gives its own
VERIFICATION_TRIES = 2  # as the IVR: the broker may give the codes again once
# Twilio's statuses of the call to the agent's phone that end it before it answered.
AGENT_UNANSWERED = {"no-answer", "busy", "failed", "canceled"}
FINAL_STATUSES = AGENT_UNANSWERED | {"completed"}
# How the ring to the broker ended (the <Dial> action's DialCallStatus).
DIAL_OUTCOMES = {
    "no-answer": Outcome.NO_ANSWER,
    "busy": Outcome.BUSY,
    "failed": Outcome.WRONG_NUMBER,
    "canceled": Outcome.CANCELED,
}


class CallbackRefused(Exception):
    """The callback is not dialled; ``message`` tells the agent why (translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


CLOSED = _("Callbacks are dialled only inside opening hours.")
NO_PHONE = _(
    "You have no telephone extension, so the provider cannot ring your phone. Ask an "
    "administrator to set your extension."
)
BUSY = _("Close your current call before calling back.")
IN_PROGRESS = _("A callback of yours is in progress: finish it first.")
BAD_NUMBER = _("This is not a phone number that can be called.")
NOT_ON_FILE = _(
    "This number is neither on the promise nor on file for the firm: read it back to the "
    "broker and confirm it."
)
NOT_SENT = _("The telephony provider did not place the call; try again in a moment.")


@dataclass(frozen=True)
class Number:
    """A number the callback may dial, where it comes from, and what it is."""

    number: str
    source: str
    label: str


# --- which promises, which numbers -----------------------------------------------------------


def callback_promise_for(*, agent, request_id: int, now=None) -> DeskRequest | None:
    """Return the open callback promise ``agent`` may call back: one they keep, or a
    colleague's overdue one (calling it back takes it over). None otherwise."""
    now = now or timezone.now()
    return (
        DeskRequest.objects.filter(
            pk=request_id, kind=DeskRequest.Kind.CALLBACK, done_at__isnull=True
        )
        .filter(promise_kept_by(agent) | Q(due_at__lt=now))
        .select_related("handling__ticket__firm", "contract")
        .first()
    )


def callback_numbers(promise: DeskRequest) -> list[Number]:
    """Return the numbers the callback of ``promise`` may dial, the promise's first."""
    ticket = promise.handling.ticket
    candidates = [
        (promise.contact, CallbackAttempt.NumberSource.PROMISE, _("number on the promise")),
        (ticket.from_number, CallbackAttempt.NumberSource.PROMISE, _("number of the call")),
    ]
    if ticket.firm_id:
        since = timezone.now() - datetime.timedelta(days=settings.DESK_CALLBACK_FIRM_NUMBER_DAYS)
        verified = (
            CallTicket.objects.filter(
                firm_id=ticket.firm_id, verified_at__gte=since, source=CallTicket.Source.IVR
            )
            .values_list("from_number", flat=True)
            .distinct()[:5]
        )
        for number in verified:
            candidates.append(
                (number, CallbackAttempt.NumberSource.FIRM, _("the firm called from it"))
            )
    numbers: dict[str, Number] = {}
    for raw, source, label in candidates:
        formatted = e164(raw)
        if formatted and formatted not in numbers:
            numbers[formatted] = Number(formatted, source, str(label))
    return list(numbers.values())


def next_try_proposal(now: datetime.datetime | None = None) -> datetime.datetime:
    """Return when to try again after the broker was not reached: ``DESK_CALLBACK_RETRY_MINUTES``
    of opening hours from now (after hours, from the next opening)."""
    now = now or opening_hours.now()
    remaining = datetime.timedelta(minutes=settings.DESK_CALLBACK_RETRY_MINUTES)
    last = now
    for begin, end in opening_hours.open_intervals(now):
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
        last = end
    return last + remaining


# --- dialling --------------------------------------------------------------------------------


def _url(name: str, ticket_id: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse(name)}?t={ticket_id}"


def _expire_stale(agent, now: datetime.datetime) -> None:
    """End the agent's callbacks the provider never finished reporting (a lost callback), so
    that they do not hold the agent's one callback at a time for ever."""
    stale = now - datetime.timedelta(minutes=settings.DESK_CALLBACK_STALE_MINUTES)
    for attempt in CallbackAttempt.objects.filter(
        agent=agent, ended_at__isnull=True, started_at__lt=stale
    ).select_related("ticket"):
        _attempt_end(attempt, Outcome.CANCELED if attempt.outcome == Outcome.DIALLING else None)
        _ticket_end_unreported(attempt)


def _checked_number(promise, number: str, *, confirmed: bool) -> tuple[str, str]:
    """Return the number in E.164 and where it comes from; a number not on file needs the
    agent's confirmation that it was read back."""
    dialled = e164(number)
    if not dialled:
        raise CallbackRefused(BAD_NUMBER)
    known = {n.number: n.source for n in callback_numbers(promise)}
    if dialled in known:
        return dialled, known[dialled]
    if not confirmed:
        raise CallbackRefused(NOT_ON_FILE)
    return dialled, CallbackAttempt.NumberSource.TYPED


def callback_start(
    *, agent, promise: DeskRequest, number: str, confirmed: bool = False
) -> CallbackAttempt:
    """Dial the callback of ``promise`` for ``agent`` to ``number``.

    Refused (``CallbackRefused``) outside opening hours, for an agent without an extension,
    with an open call or callback, and for a number neither on file nor read back. Side
    effects: a colleague's overdue promise is taken over; the callback's ``CallTicket`` (source
    ``callback``) and ``CallbackAttempt``; then, outside the transaction, the provider's call
    (a refusal ends the attempt as not sent, nothing counted against the broker).
    """
    now = timezone.now()
    if not opening_hours.is_open(now):
        raise CallbackRefused(CLOSED)
    if not agent.extension:
        raise CallbackRefused(NO_PHONE)
    dialled, source = _checked_number(promise, number, confirmed=confirmed)
    attempt = _attempt_open(agent=agent, promise=promise, number=dialled, source=source, now=now)
    if source == CallbackAttempt.NumberSource.TYPED:
        security_log.info(
            "callback %s: agent %s dialled a number typed by hand (%s) for promise %s",
            attempt.pk,
            agent.pk,
            dialled,
            promise.pk,
        )
    _dial(attempt, extension=agent.extension)
    return attempt


@transaction.atomic
def _attempt_open(*, agent, promise, number: str, source: str, now) -> CallbackAttempt:
    if CallHandling.objects.filter(agent=agent, closed_at__isnull=True).exists():
        raise CallbackRefused(BUSY)
    _expire_stale(agent, now)
    mine = DeskRequest.objects.filter(pk=promise.pk, done_at__isnull=True)
    if not mine.filter(promise_kept_by(agent)).exists():
        if not mine.filter(due_at__lt=now).update(assignee=agent):  # take the overdue one over
            raise CallbackRefused(_("This promise is no longer yours to keep, or it is kept."))
    ticket = CallTicket.objects.create(
        source=CallTicket.Source.CALLBACK,
        call_sid=PENDING_SID + secrets.token_hex(16),
        # The other party, as on every ticket: the broker's number (the line's is ours).
        from_number=number,
        to_number=settings.GRATISZ_PHONE.replace(" ", ""),
        state=State.WITH_AGENT,
        stage=CallTicket.Stage.DONE,
        queue_name="callback",
    )
    try:
        with transaction.atomic():
            return CallbackAttempt.objects.create(
                promise=promise,
                ticket=ticket,
                agent=agent,
                number=number,
                number_source=source,
                started_at=now,
            )
    except IntegrityError as exc:  # a callback of this agent is still under way
        raise CallbackRefused(IN_PROGRESS) from exc


def _dial(attempt: CallbackAttempt, *, extension: str) -> None:
    ticket_id = attempt.ticket_id
    twiml = dialling.callback_twiml(
        broker_number=attempt.number,
        answered_url=_url("callback-answered", ticket_id),
        dial_action_url=_url("callback-dial-result", ticket_id),
        recording_url=_url("callback-recording", ticket_id),
    )
    try:
        call_sid = dialling.callback_dial(
            extension=extension, twiml=twiml, status_callback=_url("callback-status", ticket_id)
        )
    except TelephonyError as exc:
        logger.error("callback %s not placed: %s", attempt.pk, exc)
        now = timezone.now()
        CallbackAttempt.objects.filter(pk=attempt.pk).update(outcome=Outcome.NOT_SENT, ended_at=now)
        CallTicket.objects.filter(pk=ticket_id).update(state=State.ABANDONED, ended_at=now)
        attempt.outcome, attempt.ended_at = Outcome.NOT_SENT, now
        raise CallbackRefused(NOT_SENT) from exc
    # A status callback may have come first and set it already.
    CallTicket.objects.filter(pk=ticket_id, call_sid__startswith=PENDING_SID).update(
        call_sid=call_sid[:64]
    )


# --- the provider's callbacks ----------------------------------------------------------------


def _attempt_of(ticket_id: int | None) -> CallbackAttempt | None:
    if ticket_id is None:
        return None
    return (
        CallbackAttempt.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(ticket_id=ticket_id, ticket__source=CallTicket.Source.CALLBACK)
        .first()
    )


def _note_sid(attempt: CallbackAttempt, call_sid: str) -> None:
    if call_sid and attempt.ticket.call_sid.startswith(PENDING_SID):
        attempt.ticket.call_sid = call_sid[:64]
        attempt.ticket.save(update_fields=["call_sid"])


def notice_twiml() -> str:
    """Return what the broker hears on answering: the recording notice (``callback_notice``,
    spoken, or its recording when the admin set one)."""
    hu, en, audio = ivr_prompts().get(IvrPrompt.Key.CALLBACK_NOTICE) or (
        *DEFAULT_PROMPTS["callback_notice"],
        "",
    )
    response = VoiceResponse()
    if audio:
        response.play(audio)
    else:
        english = settings.IVR_LANGUAGE == "en" and en
        response.say(
            en if english else hu,
            language="en-GB" if english else "hu-HU",
            voice=settings.IVR_VOICE,
        )
    return str(response)


@transaction.atomic
def callback_answered(*, ticket_id: int | None) -> str:
    """The broker answered (the ``<Number url>``): the attempt is reached, at this time; the
    broker hears the recording notice before being bridged to the agent."""
    attempt = _attempt_of(ticket_id)
    if attempt is not None and attempt.outcome == Outcome.DIALLING:
        attempt.outcome, attempt.answered_at = Outcome.REACHED, timezone.now()
        attempt.save(update_fields=["outcome", "answered_at"])
    return notice_twiml()


@transaction.atomic
def callback_dial_ended(*, ticket_id: int | None, call_sid: str, dial_status: str) -> str:
    """How the ring to the broker ended (the ``<Dial>`` action): not reached (no answer, busy,
    a number that cannot be called), or the agent hung up first; a conversation that took
    place changes nothing. Then the call ends."""
    attempt = _attempt_of(ticket_id)
    if attempt is not None:
        _note_sid(attempt, call_sid)
        outcome = DIAL_OUTCOMES.get(dial_status)
        if outcome and attempt.outcome == Outcome.DIALLING:
            _attempt_end(attempt, outcome)
        elif dial_status in ("completed", "answered") and attempt.outcome == Outcome.DIALLING:
            attempt.outcome, attempt.answered_at = Outcome.REACHED, timezone.now()
            attempt.save(update_fields=["outcome", "answered_at"])
    response = VoiceResponse()
    response.hangup()
    return str(response)


def _attempt_end(attempt: CallbackAttempt, outcome: str | None) -> None:
    """End the attempt (with ``outcome``, else as it is); a broker not reached gets the next
    try proposed."""
    now = timezone.now()
    attempt.outcome = outcome or attempt.outcome
    attempt.ended_at = attempt.ended_at or now
    if outcome in CallbackAttempt.BROKER_MISSED:
        attempt.next_try_at = next_try_proposal(now)
    attempt.save(update_fields=["outcome", "ended_at", "next_try_at"])


def _ticket_end_unreported(attempt: CallbackAttempt) -> None:
    """End the ticket of a callback the provider did not report the end of, unless it is a
    verified call the agent works on (closing it ends it)."""
    CallTicket.objects.filter(
        pk=attempt.ticket_id, ended_at__isnull=True, handling__isnull=True
    ).update(
        ended_at=attempt.ended_at,
        state=State.COMPLETED if attempt.answered_at else State.ABANDONED,
    )


@transaction.atomic
def callback_status(
    *, ticket_id: int | None, call_sid: str, call_status: str, duration: str | None
) -> None:
    """The status of the call to the agent's phone: it ends the callback's ticket; ended
    before the agent answered, it counts nothing against the broker. Repeats change nothing."""
    attempt = _attempt_of(ticket_id)
    if attempt is None:
        return
    _note_sid(attempt, call_sid)
    ticket = attempt.ticket
    ticket.provider_status = call_status[:20]
    if call_status in FINAL_STATUSES and ticket.ended_at is None:
        ticket.ended_at = timezone.now()
        seconds = int_or_none(duration, max_value=DURATION_MAX)
        if seconds is not None:
            ticket.duration_seconds = seconds
        if attempt.outcome == Outcome.DIALLING:
            _attempt_end(
                attempt,
                Outcome.AGENT_NO_ANSWER if call_status in AGENT_UNANSWERED else Outcome.CANCELED,
            )
        elif attempt.ended_at is None:
            attempt.ended_at = ticket.ended_at
            attempt.save(update_fields=["ended_at"])
        if ticket.state == State.WITH_AGENT:
            reached = attempt.answered_at is not None
            ticket.state = State.COMPLETED if reached else State.ABANDONED
    ticket.save()


# --- on the call -----------------------------------------------------------------------------


class VerificationRefused(Exception):
    """The broker was not verified on the callback; ``outcome`` says why."""

    def __init__(self, outcome: str):
        super().__init__(outcome)
        self.outcome = outcome


OTHER_FIRM = "other_firm"
NOT_REACHED = "not_reached"
AGENT_BUSY = "agent_busy"


def callback_verify(*, attempt: CallbackAttempt, grid: str, code: str) -> CallHandling:
    """Verify the broker who answered the callback with the GRID and Direkt code they say,
    through the IVR's verifier (same limits and back-off), and open the call for the agent.

    The broker must be on the line (reached, the call not ended) and the firm the promise's.
    On success: the ticket is verified, a ``CallHandling``
    (origin ``callback``) opens the call screen, the attempt and the promise are kept (at the
    time the broker answered). A failure is a ``VerificationAttempt`` on the ticket; the
    second ends the callback's verification. Raises ``VerificationRefused``.
    """
    if attempt.outcome != Outcome.REACHED or attempt.ticket.ended_at is not None:
        raise VerificationRefused(NOT_REACHED)
    if CallHandling.objects.filter(agent=attempt.agent, closed_at__isnull=True).exists():
        raise VerificationRefused(AGENT_BUSY)
    result = direkt_verify(grid=grid, code=code, calling_number=attempt.number)
    firm = attempt.promise.handling.ticket.firm
    ok = result.ok and result.firm == firm
    with transaction.atomic():
        locked = _attempt_of(attempt.ticket_id)
        if locked is None or locked.outcome != Outcome.REACHED or locked.ticket.ended_at:
            raise VerificationRefused(NOT_REACHED)
        attempt = locked
        ticket = attempt.ticket
        ticket.failed_verifications += 0 if ok else 1
        VerificationAttempt.objects.create(
            ticket=ticket,
            number=ticket.verification_attempts.count() + 1,
            menu=CallTicket.Menu.CONTRACTS,
            grid_entered=grid if is_ascii_digits(grid, length=9) else "",
            firm=result.firm,
            role=DirektCode.Role.STAFF,
            outcome=result.outcome,
        )
        if not ok:
            if ticket.failed_verifications >= VERIFICATION_TRIES:
                attempt.outcome = Outcome.NOT_VERIFIED
                attempt.save(update_fields=["outcome"])
                ticket.state = State.FAILED_VERIFICATION
            ticket.save()
            outcome = OTHER_FIRM if result.ok else result.outcome
        else:
            return _verified(attempt, firm)
    raise VerificationRefused(outcome)


def _verified(attempt: CallbackAttempt, firm) -> CallHandling:
    now = timezone.now()
    ticket = attempt.ticket
    ticket.firm, ticket.verified_at = firm, now
    ticket.grid_entered = firm.grid
    ticket.menu = CallTicket.Menu.CONTRACTS
    ticket.save()
    try:
        with transaction.atomic():
            handling = CallHandling.objects.create(
                ticket=ticket,
                agent=attempt.agent,
                origin=CallHandling.Origin.CALLBACK,
                taken_at=now,
            )
    except IntegrityError as exc:
        raise VerificationRefused(AGENT_BUSY) from exc
    attempt.outcome = Outcome.KEPT
    attempt.save(update_fields=["outcome"])
    DeskRequest.objects.filter(pk=attempt.promise_id, done_at__isnull=True).update(
        done_at=attempt.answered_at or now, done_by=attempt.agent
    )
    return handling


@transaction.atomic
def callback_finish(*, attempt: CallbackAttempt) -> bool:
    """The agent ends a callback the provider has not finished reporting (hung up, or the call
    never came): one still dialling counts nothing against the broker. Returns whether it was
    still open."""
    locked = _attempt_of(attempt.ticket_id)
    if locked is None or locked.ended_at is not None:
        return False
    attempt = locked
    _attempt_end(attempt, Outcome.CANCELED if attempt.outcome == Outcome.DIALLING else None)
    _ticket_end_unreported(attempt)
    return True


# --- reading ---------------------------------------------------------------------------------


def callback_attempt_for(*, agent, attempt_id: int) -> CallbackAttempt | None:
    """Return the agent's own callback attempt, or None."""
    return (
        CallbackAttempt.objects.select_related("ticket", "promise__handling__ticket__firm")
        .filter(pk=attempt_id, agent=agent)
        .first()
    )


def promise_attempts(promise_ids) -> dict[int, list[CallbackAttempt]]:
    """Return the callback attempts of these promises, newest first, by promise."""
    attempts: dict[int, list[CallbackAttempt]] = {}
    for a in CallbackAttempt.objects.filter(promise_id__in=list(promise_ids)):
        attempts.setdefault(a.promise_id, []).append(a)
    return attempts


def attach_attempts(promises) -> None:
    """Give each promise its ``attempts`` (newest first) and its ``next_try_at`` (proposed after
    the last one, when the broker was not reached), for the desk's lists; two queries."""
    attempts = promise_attempts(p.pk for p in promises)
    for p in promises:
        p.attempts = attempts.get(p.pk, [])
        last = p.attempts[0] if p.attempts else None
        p.next_try_at = last.next_try_at if last is not None else None


@dataclass(frozen=True)
class CallbackStats:
    """Callback promises due in a period: kept by a callback call by their due time, and the
    callbacks tried per promise that had one."""

    due: int
    kept_by_call_on_time: int
    promises_tried: int
    attempts: int

    @property
    def percent_on_time(self) -> int | None:
        return round(100 * self.kept_by_call_on_time / self.due) if self.due else None

    @property
    def attempts_per_promise(self) -> str:
        if not self.promises_tried:
            return "–"
        return f"{self.attempts / self.promises_tried:.1f}".replace(".", ",")


# What counts as a try on the promise: the broker's phone rang (the agent's did not count).
_TRIED = [*CallbackAttempt.BROKER_MISSED, Outcome.REACHED, Outcome.KEPT, Outcome.NOT_VERIFIED]


def callback_stats(*, start: datetime.datetime, end: datetime.datetime) -> CallbackStats:
    """Return ``CallbackStats`` of the callback promises due in [start, end).

    Counted from the attempts (a few per callback promise) rather than from every promise of
    the period, so that a 90-day report stays fast however many promises the history holds."""
    due = DeskRequest.objects.filter(
        kind=DeskRequest.Kind.CALLBACK, due_at__gte=start, due_at__lt=end
    ).count()
    attempts = CallbackAttempt.objects.filter(
        promise__kind=DeskRequest.Kind.CALLBACK,
        promise__due_at__gte=start,
        promise__due_at__lt=end,
    )
    tried = attempts.filter(outcome__in=_TRIED).aggregate(
        attempts=Count("pk"), promises=Count("promise", distinct=True)
    )
    kept = attempts.filter(outcome=Outcome.KEPT, answered_at__lte=F("promise__due_at"))
    return CallbackStats(
        due=due,
        kept_by_call_on_time=kept.values("promise").distinct().count(),
        promises_tried=tried["promises"],
        attempts=tried["attempts"],
    )


def timeline_events(ticket: CallTicket) -> list[tuple]:
    """Return (at, kind, what, detail) of the callbacks on this call: for a callback's own
    ticket, what it called back and how it went; for an original call, its promises' callbacks."""
    attempts = CallbackAttempt.objects.filter(
        Q(ticket=ticket) | Q(promise__handling__ticket=ticket)
    ).select_related("promise__handling", "agent")
    events: list[tuple] = []
    for a in attempts:
        what = _("callback dialled") if a.ticket_id == ticket.pk else _("callback of a promise")
        detail = f"{a.number} ({a.get_number_source_display()}) · {a.agent}"
        if a.ticket_id == ticket.pk:
            detail += " · " + str(_("original call #%(id)s") % {"id": a.promise.handling.ticket_id})
        else:
            detail += f" · #{a.ticket_id}"
        events.append((a.started_at, "callback", what, detail))
        if a.answered_at:
            events.append((a.answered_at, "callback", _("the broker answered"), a.number))
        if a.ended_at or a.outcome != Outcome.DIALLING:
            events.append(
                (a.ended_at or a.started_at, "callback", a.get_outcome_display(), a.number)
            )
    return events
