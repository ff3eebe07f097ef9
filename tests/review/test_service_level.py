"""Service level (share of offered calls answered within N seconds), the outcome mix with the
phone claim reports, and the on-time rate of promises, on the board and the reports."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.desk.models import CallHandling, ClaimReport, DeskRequest
from calls.review import selectors, services
from calls.review.models import BoardCounter, CallLogEntry
from gratisz.roles import Role
from tests.factories import ClaimFactory, ContractFactory

M = BoardCounter.Metric


@pytest.fixture
def anna(make_user):
    return make_user(Role.AGENT, username="anna")


def _today(minutes=0):
    # The middle of today (local), so the test does not depend on the clock's hour.
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return noon + datetime.timedelta(minutes=minutes)


@pytest.fixture
def four_calls(make_call, firm, anna):
    """Answered 10 s and 30 s after queueing; abandoned in the queue after 3 s and 40 s."""
    make_call(firm, agent=anna, started=_today(), wait=10)
    make_call(firm, agent=anna, started=_today(5), wait=30)
    make_call(firm, started=_today(10), wait=3, handle=0)
    make_call(firm, started=_today(15), wait=40, handle=0)
    services.review_sync()


def test_short_abandons_are_left_out_and_slow_answers_miss(
    four_calls, make_call, supervisor, login
):
    # A caller who hung up in the IVR never reached the queue: not offered either.
    make_call(None, started=_today(20))
    services.review_sync()
    level = login(supervisor).get(reverse("review:board")).context["service_level"]
    assert (level.offered, level.answered_in_time) == (3, 1)  # 10 s of 10 s, 30 s, 40 s
    assert (level.seconds, level.target, level.percent) == (20, 80, 33)
    assert level.under_target


def test_the_board_alerts_when_todays_level_is_under_target(four_calls, supervisor, login):
    response = login(supervisor).get(reverse("review:board"))
    assert response.context["alerts"].low_service_level.percent == 33
    page = response.content.decode()
    assert 'id="alert-service-level"' in page
    assert '<div class="tile warn" id="service-level"><span class="big">33%</span>' in page


def test_no_alert_when_the_level_meets_the_target(make_call, firm, anna, supervisor, login):
    make_call(firm, agent=anna, started=_today(), wait=10)
    make_call(firm, agent=anna, started=_today(5), wait=20)  # exactly 20 s is within
    make_call(firm, started=_today(10), wait=2, handle=0)  # a short abandon
    services.review_sync()
    response = login(supervisor).get(reverse("review:board"))
    assert response.context["service_level"].percent == 100
    assert response.context["alerts"].low_service_level is None
    page = response.content.decode()
    assert 'id="alert-service-level"' not in page
    assert '<div class="tile" id="service-level"><span class="big">100%</span>' in page


def test_no_offered_call_shows_no_level_and_no_alert(supervisor, login):
    response = login(supervisor).get(reverse("review:board"))
    assert response.context["service_level"].percent is None
    assert response.context["alerts"].low_service_level is None


def test_the_time_target_and_grace_come_from_the_settings(four_calls, settings, supervisor, login):
    client = login(supervisor)
    settings.REVIEW_SERVICE_LEVEL_SECONDS = 30
    settings.REVIEW_SERVICE_LEVEL_TARGET_PERCENT = 60
    services.review_sync()
    level = client.get(reverse("review:board")).context["service_level"]
    assert (level.offered, level.answered_in_time, level.percent) == (3, 2, 67)
    assert not level.under_target
    settings.REVIEW_SHORT_ABANDON_SECONDS = 0
    services.review_sync()
    level = client.get(reverse("review:board")).context["service_level"]
    assert (level.offered, level.answered_in_time) == (4, 2)
    assert level.under_target


def test_a_level_just_under_target_is_flagged_though_it_rounds_to_it():
    level = selectors.ServiceLevel(offered=1000, answered_in_time=796, seconds=20, target=80)
    assert level.percent == 80
    assert level.under_target


def test_the_manual_outbound_call_is_not_offered(make_call, firm, anna, supervisor, login):
    ticket = make_call(None, state="completed")
    CallHandling.objects.create(
        ticket=ticket,
        agent=anna,
        origin=CallHandling.Origin.MANUAL,
        taken_at=ticket.started_at,
        closed_at=ticket.started_at + datetime.timedelta(minutes=2),
        outcome=CallHandling.Outcome.ANSWERED,
    )
    services.call_log_refresh(ticket_ids=[ticket.pk])
    assert CallLogEntry.objects.get().queued is False
    services.review_sync()
    assert login(supervisor).get(reverse("review:board")).context["service_level"].offered == 0


def test_reports_chart_the_daily_level_with_the_target_line(four_calls, supervisor, login):
    response = login(supervisor).get(reverse("review:reports"), {"days": 7})
    assert response.context["service_level"].percent == 33
    chart = str(response.context["service_level_chart"])
    assert 'class="target"' in chart
    assert f"{_today():%m. %d.}: 33 %" in chart
    page = response.content.decode()
    assert page.count("<svg") == 8
    assert 'id="service-level" class="warn"' in page


def _submitted_report(ticket, *, state=ClaimReport.State.SUBMITTED):
    contract = ContractFactory(firm=ticket.firm)
    return ClaimReport.objects.create(
        handling=ticket.handling,
        contract=contract,
        kind=ClaimReport.Kind.MOTOR,
        state=state,
        claim=ClaimFactory(contract=contract) if state == ClaimReport.State.SUBMITTED else None,
        submitted_at=timezone.now() if state == ClaimReport.State.SUBMITTED else None,
    )


def test_reports_show_what_callers_wanted(make_call, firm, anna, supervisor, login):
    outcomes = CallHandling.Outcome
    for outcome in (
        outcomes.ANSWERED,
        outcomes.ANSWERED,
        outcomes.CALLBACK,
        outcomes.CLAIM_REPORTED,
    ):
        ticket = make_call(firm, agent=anna, outcome=outcome)
    _submitted_report(ticket)
    _submitted_report(ticket, state=ClaimReport.State.DRAFT)  # not submitted: not counted
    services.review_sync()
    response = login(supervisor).get(reverse("review:reports"), {"days": 7})
    mix = {r.label: (r.count, r.percent) for r in response.context["outcome_mix"].rows}
    assert mix[str(outcomes.ANSWERED.label)] == (2, 50)
    assert mix[str(outcomes.CALLBACK.label)] == (1, 25)
    assert mix[str(outcomes.CLAIM_REPORTED.label)] == (1, 25)
    assert mix[str(outcomes.DROPPED.label)] == (0, 0)
    reports = {r.label: r.count for r in response.context["claim_reports"].rows}
    assert reports == {
        str(ClaimReport.Kind.MOTOR.label): 1,
        str(ClaimReport.Kind.PROPERTY.label): 0,
    }
    page = response.content.decode()
    assert 'id="outcome-mix"' in page
    assert f'<th scope="row">{outcomes.CALLBACK.label}</th><td>1</td><td>25%</td>' in page


def _promise(ticket, kind, *, due, done=None):
    return DeskRequest.objects.create(
        handling=ticket.handling,
        kind=kind,
        due_at=due,
        done_at=done,
        contact="+36301234567",
        created_at=due - datetime.timedelta(hours=3),
    )


def test_reports_show_the_share_of_promises_kept_on_time(make_call, firm, anna, supervisor, login):
    K = DeskRequest.Kind
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    ticket = make_call(firm, agent=anna, outcome=CallHandling.Outcome.CALLBACK)
    _promise(ticket, K.CALLBACK, due=now - 2 * hour, done=now - 3 * hour)  # kept
    _promise(ticket, K.CALLBACK, due=now - hour)  # missed, still open
    _promise(ticket, K.WRITTEN_ANSWER, due=now - hour, done=now - hour / 2)  # late
    _promise(ticket, K.WRITTEN_ANSWER, due=now - 4 * hour, done=now - 5 * hour)  # kept
    services.review_sync()
    response = login(supervisor).get(reverse("review:reports"), {"days": 30})
    on_time = response.context["promises_on_time"]
    assert {r.label: (r.due, r.kept, r.percent) for r in on_time.rows} == {
        str(K.CALLBACK.label): (2, 1, 50),
        str(K.WRITTEN_ANSWER.label): (2, 1, 50),
    }
    assert (on_time.total.due, on_time.total.kept, on_time.total.percent) == (4, 2, 50)
    page = response.content.decode()
    assert 'id="promises-on-time"' in page
    assert "<td>4</td><td>2</td><td>50%</td>" in page


def test_a_promise_counts_once_due_or_done(make_call, firm, anna):
    K = DeskRequest.Kind
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    ticket = make_call(firm, agent=anna, outcome=CallHandling.Outcome.CALLBACK)
    _promise(ticket, K.CALLBACK, due=now + 2 * hour)  # not due yet: not counted
    _promise(ticket, K.CALLBACK, due=now + 2 * hour, done=now - hour)  # already kept
    services.board_counters_rebuild(now=now)
    totals = selectors.counter_totals(start=now - 24 * hour, end=now + 24 * hour)
    assert totals[M.PROMISES_DUE][K.CALLBACK] == 1
    assert totals[M.PROMISES_KEPT][K.CALLBACK] == 1
    # Two hours later the open promise has fallen due, not kept.
    services.board_counters_rebuild(now=now + 3 * hour)
    totals = selectors.counter_totals(start=now - 24 * hour, end=now + 24 * hour)
    assert (totals[M.PROMISES_DUE][K.CALLBACK], totals[M.PROMISES_KEPT][K.CALLBACK]) == (2, 1)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_board_and_reports_run_the_same_queries_for_few_or_many_calls(
    make_call, firm, anna, supervisor, login
):
    client = login(supervisor)
    make_call(firm, agent=anna, started=_today(), wait=10)
    services.review_sync()
    urls = [reverse("review:board"), reverse("review:reports") + "?days=30"]
    for url in urls:
        client.get(url)  # warm the session and the permission cache
    few = [_queries(client, url) for url in urls]
    outcomes = CallHandling.Outcome
    now = timezone.now()
    for i, outcome in enumerate([*outcomes.values, *outcomes.values]):
        ticket = make_call(
            firm,
            agent=anna,
            started=_today(i) - datetime.timedelta(days=i % 9),
            wait=i * 3,
            outcome=outcome,
        )
        _promise(ticket, DeskRequest.Kind.CALLBACK, due=now - datetime.timedelta(hours=i + 1))
    _submitted_report(ticket)
    for i in range(6):
        make_call(firm, started=_today(i), wait=i * 4, handle=0)
    services.review_sync()
    assert [_queries(client, url) for url in urls] == few
