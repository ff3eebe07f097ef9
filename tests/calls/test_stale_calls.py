"""A call the provider never reported as ended leaves the live figures: the sweep ends it as
abandoned, with the reason, and a late status callback changes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from calls import services
from calls.models import CallTicket
from calls.review import selectors
from calls.tasks import sweep_stale_calls

pytestmark = pytest.mark.django_db

State = CallTicket.State


def _call(sid: str, *, state: str, minutes_ago: int) -> CallTicket:
    moment = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    ticket = CallTicket.objects.create(
        call_sid=sid,
        from_number="+36301234567",
        state=state,
        stage=CallTicket.Stage.MENU if state == State.IN_IVR else CallTicket.Stage.DONE,
        enqueued_at=moment if state == State.WAITING else None,
    )
    CallTicket.objects.filter(pk=ticket.pk).update(started_at=moment)
    return ticket


def test_calls_without_a_final_status_end_after_their_limits(settings):
    settings.CALLS_STALE_IVR_MINUTES = 30
    settings.CALLS_STALE_QUEUE_MINUTES = 120
    lost_in_ivr = _call("CA-ivr-old", state=State.IN_IVR, minutes_ago=31)
    in_ivr_now = _call("CA-ivr-new", state=State.IN_IVR, minutes_ago=5)
    lost_in_queue = _call("CA-queue-old", state=State.WAITING, minutes_ago=121)
    waiting_now = _call("CA-queue-new", state=State.WAITING, minutes_ago=90)
    with_agent = _call("CA-agent", state=State.WITH_AGENT, minutes_ago=300)
    assert selectors.live_queue()["waiting"] == 2

    assert sweep_stale_calls() == 2

    for ticket in (lost_in_ivr, lost_in_queue, in_ivr_now, waiting_now, with_agent):
        ticket.refresh_from_db()
    assert (lost_in_ivr.state, lost_in_ivr.end_reason) == (
        State.ABANDONED,
        CallTicket.EndReason.NO_STATUS_IN_IVR,
    )
    assert (lost_in_queue.state, lost_in_queue.end_reason) == (
        State.ABANDONED,
        CallTicket.EndReason.NO_STATUS_IN_QUEUE,
    )
    assert lost_in_ivr.ended_at and lost_in_queue.ended_at
    assert (in_ivr_now.state, waiting_now.state, with_agent.state) == (
        State.IN_IVR,
        State.WAITING,
        State.WITH_AGENT,
    )
    assert selectors.live_queue()["waiting"] == 1
    assert services.stale_calls_end() == []  # once only


def test_a_swept_call_tells_the_supervisor_why_it_ended(settings, supervisor, login):
    settings.CALLS_STALE_IVR_MINUTES = 30
    ticket = _call("CA-ivr-lost", state=State.IN_IVR, minutes_ago=45)
    services.stale_calls_end()
    page = login(supervisor).get(reverse("review:call", args=[ticket.pk])).content.decode()
    with translation.override("hu"):
        reason = str(CallTicket.EndReason.NO_STATUS_IN_IVR.label)
    assert "no word from the provider" not in page
    assert reason in page
