"""The live board, the reports, the alerts, and quality score cards."""

import datetime
import re
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.desk.models import CallHandling
from calls.models import CallTicket, VerificationAttempt
from calls.review import services
from calls.review.models import CallLogEntry, QualityCriterion, ScoreCard
from certificates.models import Delivery
from gratisz.roles import Role
from partners.models import DirektThrottle

from .conftest import add_delivery, add_promise, add_recording


@pytest.fixture
def anna(make_user):
    return make_user(Role.AGENT, username="anna")


def _today(hour_offset=0):
    # The middle of today (local), so the test does not depend on the clock's hour.
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return noon + datetime.timedelta(minutes=hour_offset)


def test_board_shows_todays_calls_from_the_counters(make_call, firm, anna, supervisor, login):
    make_call(firm, agent=anna, started=_today(), wait=20, handle=100)
    make_call(firm, agent=anna, started=_today(5), wait=40, handle=200)
    make_call(firm, started=_today(10))  # abandoned
    make_call(firm, agent=anna, started=_today() - datetime.timedelta(days=1))
    services.review_sync()
    client = login(supervisor)
    context = client.get(reverse("review:board")).context
    assert context["calls"] == 3
    assert context["answered"] == 2
    assert context["avg_wait"] == 30
    assert context["avg_handle"] == 150
    assert context["abandon_rate"] == 33
    assert "<svg" in str(context["calls_chart"])


def test_sync_picks_up_a_call_the_log_has_not_seen(make_call, firm, anna, supervisor, login):
    ticket = make_call(firm, agent=anna, sync=False)
    client = login(supervisor)
    assert client.get(reverse("review:calls")).context["page"].rows == []
    services.review_sync()
    rows = client.get(reverse("review:calls")).context["page"].rows
    assert [r.ticket_id for r in rows] == [ticket.pk]


def test_sync_follows_a_call_until_it_ends(make_call, firm, anna, supervisor, login):
    ticket = make_call(
        firm, state=CallTicket.State.WAITING, started=timezone.now() - datetime.timedelta(hours=3)
    )
    services.review_sync()
    assert CallLogEntry.objects.get().state == CallTicket.State.WAITING
    # Later, long after the call started, an agent takes and closes it.
    CallHandling.objects.create(
        ticket=ticket,
        agent=anna,
        origin=CallHandling.Origin.QUEUE,
        taken_at=timezone.now() - datetime.timedelta(minutes=5),
        closed_at=timezone.now(),
        outcome=CallHandling.Outcome.CALLBACK,
    )
    CallTicket.objects.filter(pk=ticket.pk).update(state=CallTicket.State.COMPLETED)
    services.review_sync(now=timezone.now() + datetime.timedelta(hours=1))
    entry = CallLogEntry.objects.get()
    assert (entry.state, entry.agent, entry.outcome) == ("completed", anna, "callback")


def test_reports_chart_failures_per_grid_and_requests(make_call, firm, anna, supervisor, login):
    ticket = make_call(firm, agent=anna, started=_today())
    for n in range(3):
        VerificationAttempt.objects.create(
            ticket=ticket,
            number=n + 1,
            menu="1",
            grid_entered="111222333",
            role="staff",
            outcome="wrong_code",
        )
    add_delivery(ticket, state=Delivery.State.SENT)
    services.review_sync()
    client = login(supervisor)
    page = client.get(reverse("review:reports"), {"days": 7}).content.decode()
    assert "111222333" in page
    assert page.count("<svg") == 8
    assert client.get(reverse("review:reports")).context["delivery_success"] == 100


def test_alerts_show_locks_overdue_promises_and_failed_deliveries(
    make_call, firm, anna, supervisor, login
):
    DirektThrottle.objects.create(grid="444555666", failure_count=5, locked_at=timezone.now())
    ticket = make_call(firm, agent=anna)
    add_promise(ticket, due_in_minutes=-30)
    add_delivery(ticket, state=Delivery.State.FAILED)
    client = login(supervisor)
    page = client.get(reverse("review:board")).content.decode()
    assert "444555666" in page
    assert reverse("review:call", args=[ticket.pk]) in page
    assert "550 mailbox unavailable" in page


def test_supervisor_scores_a_call_and_the_agent_reads_it(make_call, firm, anna, supervisor, login):
    ticket = make_call(firm, agent=anna)
    criteria = list(QualityCriterion.objects.filter(is_active=True))
    assert len(criteria) == 5  # the defaults: greeting … resolved
    data = {f"points_{c.pk}": 4 for c in criteria}
    data[f"note_{criteria[0].pk}"] = "Nem mutatkozott be."
    data["comment"] = "Összességében jó."
    client = login(supervisor)
    response = client.post(reverse("review:score", args=[ticket.pk]), data)
    assert response.status_code == 302
    card = ScoreCard.objects.get()
    assert (card.agent, card.reviewer, card.points, card.max_points) == (anna, supervisor, 20, 25)

    agent_client = login(anna, Client())
    page = agent_client.get(reverse("review:review", args=[card.pk])).content.decode()
    assert "Nem mutatkozott be." in page
    assert "Összességében jó." in page


def test_points_above_the_maximum_are_refused(make_call, firm, anna, supervisor, login):
    ticket = make_call(firm, agent=anna)
    data = {f"points_{c.pk}": 9 for c in QualityCriterion.objects.all()}
    client = login(supervisor)
    client.post(reverse("review:score", args=[ticket.pk]), data)
    assert not ScoreCard.objects.exists()


def test_a_call_no_agent_handled_has_no_score_form(make_call, firm, supervisor, login):
    ticket = make_call(firm, state=CallTicket.State.ABANDONED)
    client = login(supervisor)
    page = client.get(reverse("review:call", args=[ticket.pk])).content.decode()
    assert reverse("review:score", args=[ticket.pk]) not in page


def test_score_card_speaks_the_reviewers_language_and_labels_every_input(
    make_call, firm, make_user, supervisor, login
):
    ticket = make_call(firm, agent=make_user(Role.AGENT, username="anna"))
    add_recording(ticket)
    client = login(supervisor)
    for language, title, hint, gloss in (
        ("hu", "Köszöntés", "Bemutatkozott, köszöntötte a hívót.", "(greeting)"),
        ("en", "Greeting", "Introduced themselves and greeted the caller.", "Köszöntés"),
    ):
        client.cookies["django_language"] = language
        page = client.get(reverse("review:call", args=[ticket.pk])).content.decode()
        assert title in page and hint in page, language
        assert gloss not in page, language
        # Every input of the page has a label naming it (the legal hold, points, comments).
        for name in re.findall(r'<input[^>]*\bid="([^"]+)"', page):
            if 'type="hidden"' in page.split(f'id="{name}"')[0].rsplit("<input", 1)[-1]:
                continue
            assert f'for="{name}"' in page, name


def test_board_alerts_a_print_batch_not_posted_by_the_next_working_day(supervisor, login):
    from calls.review.selectors import alerts as services_alerts
    from calls.review.selectors import posting_deadline
    from certificates.models import PrintBatch

    budapest = zoneinfo.ZoneInfo("Europe/Budapest")
    # Built on Friday 2026-12-04 at 16:00: due by Monday's closing time (the weekend is closed).
    friday = datetime.datetime(2026, 12, 4, 16, 0, tzinfo=budapest)
    deadline = posting_deadline(friday)
    assert timezone.localtime(deadline).date() == datetime.date(2026, 12, 7)
    batch = PrintBatch.objects.create(letters=3, pdf="print-batches/x.pdf")
    PrintBatch.objects.filter(pk=batch.pk).update(created_at=friday)
    assert services_alerts(now=deadline - datetime.timedelta(minutes=1)).unposted_batches == []
    assert services_alerts(now=deadline + datetime.timedelta(minutes=1)).unposted_batches == [batch]
    PrintBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )
    page = login(supervisor).get(reverse("review:board")).content.decode()
    assert 'id="alert-unposted"' in page


def test_board_lists_each_agents_presence_and_the_waiting_callers(
    make_call, firm, make_user, supervisor, login
):
    from calls.desk import services as desk_services

    on_call, resting = (
        make_user(Role.AGENT, username="anna"),
        make_user(Role.AGENT, username="bela"),
    )
    ticket = make_call(firm, agent=on_call, state=CallTicket.State.WITH_AGENT)
    CallHandling.objects.filter(ticket=ticket).update(closed_at=None)
    desk_services.presence_set(agent=resting, action="break")
    waiting = CallTicket.objects.create(
        call_sid="CA-waiting",
        state=CallTicket.State.WAITING,
        menu="2",
        grid_entered=firm.grid,
        firm=firm,
        verified_at=timezone.now(),
        enqueued_at=timezone.now() - datetime.timedelta(seconds=95),
    )
    response = login(supervisor).get(reverse("review:board"))
    agents = {a.name: a for a in response.context["agents"]}
    assert (agents["anna"].state, agents["anna"].firm) == ("on_call", firm.name)
    assert agents["bela"].state == "break" and agents["bela"].firm == ""
    assert [w.ticket_id for w in response.context["waiting"]] == [waiting.pk]
    page = response.content.decode()
    assert 'id="live-agents"' in page and 'id="live-queue"' in page
