"""CTI events from a telephone system that does not speak TwiML (an Asterisk or other PBX).

The PBX runs its own voice menu and reports the life of each call: started, identified, answered
by an extension, ended. Identification is never the PBX's verdict: it forwards the GRID and
Direkt code the caller keyed, and GrATISZ checks them with the IVR's verifier, throttles and
lock, records the attempt (never the code) and answers whether the caller is verified, so that
the PBX can queue the call or say goodbye. A verified call waits in the desk's queue like an IVR
call; "answered by extension" opens it on the desk of the agent with that extension.

Every event is recorded once per call (per attempt, for identification): a PBX that resends an
event gets the first answer again and changes nothing.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boundary.fields import is_ascii_digits
from partners.models import DirektCode
from partners.verification import direkt_verify, stored_calling_number

from . import push
from .desk.services import AgentBusy, CallAlreadyTaken, call_take
from .models import CallTicket, CtiEvent, VerificationAttempt

MAX_IDENTIFICATION_ATTEMPTS = 2  # as the IVR: a second failure ends the call

State = CallTicket.State
Kind = CtiEvent.Kind


class CtiConflict(Exception):
    """The event does not fit the call's state; ``code`` is stable, the message for people."""

    def __init__(self, code: str, message, **details):
        super().__init__(code)
        self.code, self.message, self.details = code, message, details


@dataclass(frozen=True)
class CtiResult:
    ticket: CallTicket
    event: CtiEvent
    repeated: bool  # the same event was already recorded: nothing changed now

    @property
    def attempts_left(self) -> int:
        """Return the identification attempts the caller still has (0 once out of the menu)."""
        if self.ticket.state != CallTicket.State.IN_IVR:
            return 0
        return MAX_IDENTIFICATION_ATTEMPTS - self.ticket.failed_verifications


def _ticket_locked(call_id: str, from_number: str, to_number: str) -> CallTicket:
    key = {"source": CallTicket.Source.PBX, "call_sid": call_id}
    # One number however the PBX writes it (E.164), as the IVR and the verifier count it.
    from_number, to_number = stored_calling_number(from_number), stored_calling_number(to_number)
    try:
        with transaction.atomic():
            CallTicket.objects.get_or_create(
                **key,
                defaults={
                    "from_number": from_number[:40],
                    "to_number": to_number[:40],
                    "stage": CallTicket.Stage.DONE,
                },
            )
    except IntegrityError:  # the same call's first event, in parallel
        pass
    ticket = CallTicket.objects.select_for_update().get(**key)
    if not ticket.from_number and from_number:
        ticket.from_number = from_number[:40]
    if not ticket.to_number and to_number:
        ticket.to_number = to_number[:40]
    return ticket


@transaction.atomic
def cti_event_record(
    *,
    call_id: str,
    kind: str,
    at: datetime.datetime,
    from_number: str = "",
    to_number: str = "",
    menu: str = "",
    grid: str = "",
    code: str = "",
    attempt: int = 1,
    extension: str = "",
) -> CtiResult:
    """Apply one PBX event to the call's ticket (created by its first event, whichever it is).

    ``identified`` needs ``menu`` (1 or 2), ``grid``, ``code`` and the ``attempt`` number (the
    call's failures so far + 1); ``answered`` needs ``extension``. Raises ``CtiConflict`` when
    the event does not fit the call (identification after success, after the call ended, out of
    turn). Side effects: the ticket, a ``CtiEvent``; for ``identified`` a
    ``VerificationAttempt`` and the verifier's throttle counters; for ``answered`` possibly a
    desk ``CallHandling``.
    """
    ticket = _ticket_locked(call_id, from_number, to_number)
    attempt = attempt if kind == Kind.IDENTIFIED else 1
    earlier = CtiEvent.objects.filter(ticket=ticket, kind=kind, attempt=attempt).first()
    if earlier is not None:
        return CtiResult(ticket=ticket, event=earlier, repeated=True)
    result = _HANDLERS[kind](
        ticket, at=at, menu=menu, grid=grid, code=code, attempt=attempt, extension=extension
    )
    ticket.save()
    event = CtiEvent.objects.create(
        ticket=ticket,
        kind=kind,
        attempt=attempt,
        occurred_at=at,
        extension=extension[:20],
        result=result[:40],
    )
    return CtiResult(ticket=ticket, event=event, repeated=False)


def _started(ticket: CallTicket, **_event) -> str:
    return ticket.state


def _identified(ticket: CallTicket, *, menu, grid, code, attempt, **_event) -> str:
    if ticket.ended_at is not None or ticket.state != State.IN_IVR:
        raise CtiConflict(
            "call_not_identifying",
            _("This call is not waiting for identification."),
            state=ticket.state,
        )
    expected = ticket.failed_verifications + 1
    if attempt != expected:
        raise CtiConflict(
            "attempt_out_of_turn",
            _("This identification attempt is out of turn."),
            expected_attempt=expected,
        )
    result = direkt_verify(
        grid=grid, code=code, calling_number=ticket.from_number, role=DirektCode.Role.STAFF
    )
    is_grid = is_ascii_digits(grid, length=9)
    ticket.menu = menu
    ticket.grid_entered = grid if is_grid else ""
    VerificationAttempt.objects.create(
        ticket=ticket,
        number=attempt,
        menu=menu,
        grid_entered=ticket.grid_entered,
        firm=result.firm,
        role=DirektCode.Role.STAFF,
        outcome=result.outcome,
    )
    if result.ok:
        now = timezone.now()
        ticket.firm = result.firm
        ticket.verified_at = ticket.enqueued_at = now
        ticket.state = State.WAITING
        ticket.queue_name = settings.IVR_QUEUES[menu]
        push.ticket_changed(ticket.pk)
        return "verified"
    ticket.failed_verifications += 1
    if ticket.failed_verifications >= MAX_IDENTIFICATION_ATTEMPTS:
        ticket.state = State.FAILED_VERIFICATION
    return "failed"


def _answered(ticket: CallTicket, *, extension, **_event) -> str:
    """Open a waiting verified call on the desk of the agent with ``extension``. Without such a
    free agent the call stays in the queue, where any agent can take it on the desk."""
    if ticket.ended_at is not None:
        return "ignored: call ended"
    if ticket.state == State.IN_IVR:  # an unverified caller put through to an agent
        ticket.state = State.WITH_AGENT
        return "with agent, not verified"
    if ticket.state != State.WAITING:
        return f"ignored: {ticket.state}"
    agent = _desk_agent_with_extension(extension)
    if agent is None:
        return "no agent with this extension"
    # call_take moves the ticket with one conditional UPDATE; save ours after it, not over it.
    try:
        call_take(ticket_id=ticket.pk, agent=agent)
    except (AgentBusy, CallAlreadyTaken):
        return "agent busy"
    ticket.refresh_from_db()
    return f"agent {agent.get_username()}"[:40]


def _desk_agent_with_extension(extension: str):
    agent = get_user_model().objects.filter(extension=extension, is_active=True).first()
    return agent if agent is not None and agent.has_perm("gratisz.use_desk") else None


def _ended(ticket: CallTicket, *, at, **_event) -> str:
    if ticket.ended_at is not None:
        return ticket.state
    ticket.ended_at = timezone.now()
    started = ticket.cti_events.filter(kind=Kind.STARTED).values_list("occurred_at", flat=True)
    begin = started.first() or ticket.started_at
    ticket.duration_seconds = max(int((at - begin).total_seconds()), 0)
    if ticket.state in (State.IN_IVR, State.WAITING):
        ticket.state = State.ABANDONED
    elif ticket.state == State.WITH_AGENT:
        ticket.state = State.COMPLETED
    ticket.stage = CallTicket.Stage.DONE
    push.ticket_changed(ticket.pk)
    return ticket.state


_HANDLERS: dict[str, Callable[..., str]] = {
    Kind.STARTED: _started,
    Kind.IDENTIFIED: _identified,
    Kind.ANSWERED: _answered,
    Kind.ENDED: _ended,
}
