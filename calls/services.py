"""Writes on call tickets that belong to no single floor of the call flow."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import push
from .models import CallTicket

logger = logging.getLogger(__name__)


@transaction.atomic
def stale_calls_end(*, now: datetime.datetime | None = None) -> list[int]:
    """End the calls the provider never reported as ended: in the voice menu for longer than
    ``CALLS_STALE_IVR_MINUTES`` since they started, or waiting in the queue for longer than
    ``CALLS_STALE_QUEUE_MINUTES`` since they were queued. A lost status callback would
    otherwise leave them "in progress" for ever, on the board's live figures and the desk's
    queue. Returns the ids of the calls ended.

    Side effects: each such ticket becomes abandoned, ended now, with the reason; a warning is
    logged (a lost callback is worth a look at the provider's side). A status callback that
    arrives later changes nothing (the ticket has ended).
    """
    now = now or timezone.now()
    ivr_before = now - datetime.timedelta(minutes=settings.CALLS_STALE_IVR_MINUTES)
    queue_before = now - datetime.timedelta(minutes=settings.CALLS_STALE_QUEUE_MINUTES)
    State, Reason = CallTicket.State, CallTicket.EndReason
    stale = (
        CallTicket.objects.select_for_update(skip_locked=True)
        .filter(ended_at__isnull=True)
        .filter(
            Q(state=State.IN_IVR, started_at__lt=ivr_before)
            | Q(state=State.WAITING, enqueued_at__lt=queue_before)
        )
    )
    ended = []
    for ticket in stale:
        reason = (
            Reason.NO_STATUS_IN_IVR if ticket.state == State.IN_IVR else Reason.NO_STATUS_IN_QUEUE
        )
        ticket.state = State.ABANDONED
        ticket.stage = CallTicket.Stage.DONE
        ticket.ended_at = now
        ticket.end_reason = reason
        ticket.pending_code_salt = ticket.pending_code_hash = ""
        ticket.save(
            update_fields=[
                "state",
                "stage",
                "ended_at",
                "end_reason",
                "pending_code_salt",
                "pending_code_hash",
            ]
        )
        logger.warning(
            "call %s ended without the provider's status (%s)",
            ticket.pk,
            reason,
            extra={"ticket_id": ticket.pk},
        )
        if reason == Reason.NO_STATUS_IN_QUEUE:
            push.ticket_changed(ticket.pk)  # it leaves the desks' queue at once
        ended.append(ticket.pk)
    return ended
