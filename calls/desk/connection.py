"""The connection of a taken call: the handling's side of putting its caller through.

A call taken from the provider's queue starts ``pending``; ``call_connect`` (run by
``tasks.connect_call_task``) asks the provider through ``calls.telephony.connection`` and
records the outcome on the handling, once; ``dial_ended_answer`` notes how the ring to the
agent's phone ended (the ``<Dial>`` action, ``webhooks.dial_result``) and answers the provider.
The agent sees the state and the message on the call screen.
"""

import datetime
import logging

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from twilio.twiml.voice_response import VoiceResponse

from calls import push
from calls.ivr.flow import enqueue_verb
from calls.models import CallTicket
from calls.telephony.connection import ConnectResult, caller_connect

from .models import CallHandling

logger = logging.getLogger(__name__)

Connection = CallHandling.Connection


def _agent_message(text: str) -> str:
    """Store the agent's message in the desk's language (the back office is Hungarian)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text)[:300]


CALLER_LEFT = gettext_noop("The caller hung up before being put through.")
PROVIDER_REFUSED = gettext_noop("The telephony provider refused to put the caller through.")
PROVIDER_UNREACHABLE = gettext_noop(
    "The telephony provider could not be reached: the caller was not put through."
)
NOT_CONFIGURED = gettext_noop(
    "Putting callers through to agents is not configured: the caller was not put through."
)
CLOSED_BEFORE = gettext_noop("The call was closed before the caller was put through.")
# What the agent reads when the provider did not put the caller through.
FAILURE_MESSAGES = {
    ConnectResult.CALLER_GONE: CALLER_LEFT,
    ConnectResult.REFUSED: PROVIDER_REFUSED,
    ConnectResult.NOT_CONFIGURED: NOT_CONFIGURED,
}
# The agent's phone rang but the caller did not get to talk (the <Dial> action's status).
DIAL_FAILURES = {
    "no-answer": gettext_noop("Your phone did not answer; the caller is waiting again."),
    "busy": gettext_noop("Your phone was busy; the caller is waiting again."),
    "failed": gettext_noop(
        "Your phone could not be called (is it signed in?); the caller is waiting again."
    ),
}
DIAL_CANCELED = "canceled"  # the caller hung up while the agent's phone rang


def _lease() -> datetime.timedelta:
    """Return how long a claimed request is another worker's: longer than one request can
    take, so an older claim belongs to a worker that died (its message is redelivered)."""
    return datetime.timedelta(seconds=2 * settings.TELEPHONY_TIMEOUT + 5)


def _unclaimed(now: datetime.datetime) -> Q:
    return Q(connect_started_at__isnull=True) | Q(connect_started_at__lt=now - _lease())


def call_connect(*, handling_id: int) -> str:
    """Ask the provider to put the handling's caller through to its agent's phone, once.

    Three short steps, so no row lock is held while the provider is asked (an agent saving
    notes never waits on it): a conditional UPDATE claims the attempt (``connect_started_at``,
    a lease), the request runs outside any transaction, and a second conditional UPDATE records
    the outcome only if the claim is still this one. A redelivered or parallel task finds the
    claim (``ConnectResult.RETRY``: it looks again later) or the outcome (returned; nothing is
    sent), and a handling no longer ``pending`` is left alone. Returns the new
    ``connect_state``, or ``ConnectResult.RETRY`` after a temporary failure (the handling stays
    pending). Side effects: ``connect_state``, ``connect_error``, ``connect_attempts``,
    ``connected_at`` and ``connect_started_at``; the provider's redirect.
    """
    started = timezone.now()
    claimed = (
        CallHandling.objects.filter(pk=handling_id, connect_state=Connection.PENDING)
        .filter(closed_at__isnull=True)
        .filter(_unclaimed(started))
        .update(connect_started_at=started, connect_attempts=F("connect_attempts") + 1)
    )
    if not claimed:
        return _not_claimed(handling_id)
    handling = CallHandling.objects.select_related("ticket", "agent").get(pk=handling_id)
    result = caller_connect(ticket=handling.ticket, extension=handling.agent.extension)
    return _connect_record(handling_id, started=started, result=result)


def _not_claimed(handling_id: int) -> str:
    """Say why the attempt could not be claimed; a closed call still pending fails."""
    handling = CallHandling.objects.filter(pk=handling_id).only("connect_state", "closed_at")
    current = handling.first()
    if current is None:
        return Connection.FAILED
    if current.connect_state != Connection.PENDING:
        return current.connect_state
    if current.closed_at is not None:
        handling.filter(connect_state=Connection.PENDING).update(
            connect_state=Connection.FAILED,
            connect_error=_agent_message(CLOSED_BEFORE),
            connect_started_at=None,
        )
        return Connection.FAILED
    return ConnectResult.RETRY  # another worker is asking the provider right now


def _connect_record(handling_id: int, *, started: datetime.datetime, result: ConnectResult) -> str:
    """Record the outcome of the attempt claimed at ``started``, if the claim is still ours."""
    mine = CallHandling.objects.filter(
        pk=handling_id, connect_state=Connection.PENDING, connect_started_at=started
    )
    if result == ConnectResult.RETRY:
        mine.update(connect_started_at=None)
        return ConnectResult.RETRY
    state = Connection.CONNECTED if result == ConnectResult.CONNECTED else Connection.FAILED
    fields: dict[str, object] = {
        "connect_state": state,
        "connect_error": _agent_message(FAILURE_MESSAGES[result])
        if result in FAILURE_MESSAGES
        else "",
        "connect_started_at": None,
    }
    if state == Connection.CONNECTED:
        fields["connected_at"] = timezone.now()
    if not mine.update(**fields):  # our claim lapsed and another worker took over
        logger.warning("connection of handling %s was recorded by another worker", handling_id)
        current = CallHandling.objects.filter(pk=handling_id).values_list(
            "connect_state", flat=True
        )
        return current.first() or Connection.FAILED
    return state


def call_connect_give_up(*, handling_id: int) -> None:
    """Mark a connection still pending after the last try as failed (provider unreachable);
    one that another worker is asking the provider about right now is left to it."""
    CallHandling.objects.filter(pk=handling_id, connect_state=Connection.PENDING).filter(
        _unclaimed(timezone.now())
    ).update(
        connect_state=Connection.FAILED,
        connect_error=_agent_message(PROVIDER_UNREACHABLE),
        connect_started_at=None,
    )


def connections_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Return the ids of the connections to queue again: still pending, taken more than
    ``TELEPHONY_SWEEP_GRACE_SECONDS`` ago, nobody asking the provider (unclaimed, or the claim
    lapsed), the call open. Their task was lost (queued while the broker was down, or dropped
    with a Redis restart). One tried ``2 × TELEPHONY_CONNECT_ATTEMPTS`` times fails instead, so
    the desk shows it and the agent may connect again."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.TELEPHONY_SWEEP_GRACE_SECONDS)
    stalled = CallHandling.objects.filter(
        _unclaimed(now),
        connect_state=Connection.PENDING,
        closed_at__isnull=True,
        ticket__ended_at__isnull=True,
        taken_at__lt=now - grace,
    )
    most = 2 * settings.TELEPHONY_CONNECT_ATTEMPTS
    for handling_id in stalled.filter(connect_attempts__gte=most).values_list("pk", flat=True):
        call_connect_give_up(handling_id=handling_id)
    return list(stalled.filter(connect_attempts__lt=most).values_list("pk", flat=True)[:500])


def call_dial_ended(*, call_sid: str, dial_status: str) -> bool:
    """Note how the ring to the agent's phone ended (the ``<Dial>`` action's status) and tell
    whether the caller goes back on hold in the queue.

    ``busy``, ``no-answer`` or ``failed`` (the SIP leg): the connection fails with a message
    for the agent and, while the call is open and the caller on the line, the caller waits
    again; the ticket stays with the agent (one handling per ticket), so only this agent's call
    screen offers it again. ``canceled`` (the caller hung up while it rang): the connection
    fails as the caller left. ``completed``/``answered``: nothing to note (the conversation
    took place; the status callback ends the ticket). A repeated request gets the same answer.
    Side effects: the handling's ``connect_state`` and ``connect_error``.
    """
    handling = CallHandling.objects.filter(
        ticket__call_sid=call_sid,
        ticket__source=CallTicket.Source.IVR,
        closed_at__isnull=True,
        ticket__ended_at__isnull=True,
        ticket__state=CallTicket.State.WITH_AGENT,
    ).exclude(connect_state=Connection.NOT_NEEDED)
    if dial_status in DIAL_FAILURES:
        message = DIAL_FAILURES[dial_status]
    elif dial_status == DIAL_CANCELED:
        message = CALLER_LEFT
    else:
        return False
    noted = handling.filter(connect_state=Connection.CONNECTED).update(
        connect_state=Connection.FAILED, connect_error=_agent_message(message)
    )
    logger.info("call %s: the agent's phone ended with %s", call_sid, dial_status)
    return dial_status in DIAL_FAILURES and (bool(noted) or handling.exists())


def dial_ended_answer(*, call_sid: str, dial_status: str) -> str:
    """Answer the end of the ring to the agent's phone (the ``<Dial>`` action) with TwiML.

    Busy, no answer or a failed SIP leg: the caller goes back on hold in the same queue, still
    the agent's call (``call_dial_ended`` shows the failure on the agent's call screen, which
    offers to put the caller through again). Otherwise (the conversation took place, the
    caller hung up, a call the desk no longer holds): hang up; the status callback ends the
    ticket.
    """
    response = VoiceResponse()
    requeue = call_dial_ended(call_sid=call_sid, dial_status=dial_status)
    ticket_id, queue_name = (
        CallTicket.objects.filter(source=CallTicket.Source.IVR, call_sid=call_sid)
        .values_list("pk", "queue_name")
        .first()
    ) or (None, "")
    if ticket_id is not None:
        push.ticket_changed(ticket_id)  # the agent's call screen shows how the ring ended
    if requeue and queue_name:
        enqueue_verb(response, queue_name)
    else:
        response.hangup()
    return str(response)
