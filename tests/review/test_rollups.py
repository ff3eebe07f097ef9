"""The reports read daily roll-ups of the hourly counters: on varied calls their figures equal
a direct count of the call log per Budapest day, across the clock changes, after a call
changes its outcome, and for days the periodic recount no longer touches."""

import datetime
import zoneinfo
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.desk.models import CallHandling
from calls.review import rollups, selectors, services
from calls.review.models import BoardCounter, CallLogEntry, DayCounter
from gratisz.roles import Role

M = BoardCounter.Metric
BUDAPEST = zoneinfo.ZoneInfo("Europe/Budapest")
Outcome = CallHandling.Outcome


@pytest.fixture
def anna(make_user):
    return make_user(Role.AGENT, username="anna")


@pytest.fixture
def bela(make_user):
    return make_user(Role.AGENT, username="bela")


def local(*args, fold=0) -> datetime.datetime:
    return datetime.datetime(*args, fold=fold).replace(tzinfo=BUDAPEST)


# Calls around local midnights and both clock changes of 2026: 29 March (02:00 → 03:00, a
# 23-hour day) and 25 October (03:00 → 02:00, a 25-hour day, 02:30 happens twice).
MOMENTS = [
    local(2026, 3, 28, 23, 30),
    local(2026, 3, 29, 0, 10),
    local(2026, 3, 29, 1, 59),
    local(2026, 3, 29, 3, 0),
    local(2026, 3, 29, 23, 59),
    local(2026, 3, 30, 0, 0),
    local(2026, 10, 24, 23, 45),
    local(2026, 10, 25, 0, 30),
    local(2026, 10, 25, 2, 30, fold=0),  # summer time, the first 02:30
    local(2026, 10, 25, 2, 30, fold=1),  # winter time, an hour later
    local(2026, 10, 25, 23, 50),
    local(2026, 10, 26, 0, 5),
]


def _direct(first: datetime.date, end: datetime.date) -> dict:
    """Count the log's calls started in the local days [first, end) the slow, obvious way."""
    totals: dict[str, Counter] = {
        m: Counter() for m in (M.CALLS, M.ANSWERED, M.ABANDONED, M.WAIT_TOTAL)
    }
    totals[M.OUTCOMES] = Counter()
    totals[M.AGENT_CALLS] = Counter()
    totals[M.AGENT_HANDLE_TOTAL] = Counter()
    for row in CallLogEntry.objects.all():
        if not first <= row.started_at.astimezone(BUDAPEST).date() < end:
            continue
        totals[M.CALLS][""] += 1
        if row.state == "abandoned":
            totals[M.ABANDONED][""] += 1
        if row.agent_id:
            totals[M.ANSWERED][""] += 1
            totals[M.WAIT_TOTAL][""] += row.wait_seconds
            totals[M.AGENT_CALLS][str(row.agent_id)] += 1
            totals[M.AGENT_HANDLE_TOTAL][str(row.agent_id)] += row.handle_seconds
        if row.outcome:
            totals[M.OUTCOMES][row.outcome] += 1
    return {m: {k: v for k, v in c.items() if v} for m, c in totals.items()}


def _from_rollups(first: datetime.date, end: datetime.date) -> dict:
    totals = selectors.counter_totals(
        start=selectors.day_start(first), end=selectors.day_start(end)
    )
    return {m: {k: v for k, v in totals[m].items() if v} for m in _direct(first, end)}


def _hourly(first: datetime.date, end: datetime.date) -> dict:
    totals: dict = {}
    for c in BoardCounter.objects.filter(
        hour__gte=rollups.day_start(first), hour__lt=rollups.day_start(end)
    ):
        by_key = totals.setdefault(c.metric, {})
        by_key[c.key] = by_key.get(c.key, 0) + c.value
    return totals


@pytest.fixture
def varied_calls(make_call, firm, other_firm, anna, bela):
    """Calls at every moment above: answered by either agent with each outcome, abandoned,
    failed in the voice menu."""
    outcomes = list(Outcome.values)
    for i, at in enumerate(MOMENTS):
        agent = (anna, bela, None)[i % 3]
        make_call(
            (firm, other_firm)[i % 2] if i % 5 else None,
            agent=agent if i % 5 else None,
            outcome=outcomes[i % len(outcomes)],
            started=at,
            wait=7 * i,
            handle=60 + i,
        )
    services.board_counters_rebuild(since=None)


@pytest.mark.parametrize(
    "first,end",
    [
        (datetime.date(2026, 3, 28), datetime.date(2026, 3, 29)),
        (datetime.date(2026, 3, 29), datetime.date(2026, 3, 30)),  # 23 hours
        (datetime.date(2026, 3, 30), datetime.date(2026, 3, 31)),
        (datetime.date(2026, 10, 25), datetime.date(2026, 10, 26)),  # 25 hours
        (datetime.date(2026, 10, 24), datetime.date(2026, 10, 27)),
        (datetime.date(2026, 3, 1), datetime.date(2026, 11, 1)),
    ],
)
def test_the_day_rollups_equal_a_direct_count_across_the_clock_changes(varied_calls, first, end):
    direct = _direct(first, end)
    assert direct[M.CALLS]  # every period holds calls
    assert _from_rollups(first, end) == direct
    # And the same as the hours they sum.
    hourly = _hourly(first, end)
    assert {m: hourly.get(m, {}) for m in direct} == direct


def test_each_clock_change_day_has_its_own_calls_per_day(varied_calls):
    series = selectors.counter_series(
        start=selectors.day_start(datetime.date(2026, 3, 28)),
        end=selectors.day_start(datetime.date(2026, 3, 31)),
        metrics=[M.CALLS],
        by_day=True,
    )
    assert dict(series[M.CALLS]) == {
        datetime.date(2026, 3, 28): 1,
        datetime.date(2026, 3, 29): 4,  # 00:10, 01:59, 03:00 and 23:59
        datetime.date(2026, 3, 30): 1,
    }
    series = selectors.counter_series(
        start=selectors.day_start(datetime.date(2026, 10, 25)),
        end=selectors.day_start(datetime.date(2026, 10, 26)),
        metrics=[M.CALLS],
        by_day=True,
    )
    assert dict(series[M.CALLS]) == {datetime.date(2026, 10, 25): 4}  # both 02:30s


def test_a_call_that_changes_outcome_after_being_counted_moves_in_the_report(
    make_call, firm, anna, supervisor, login
):
    now = timezone.now()
    today = timezone.localdate(now)
    # An old day the periodic recount (the last 48 hours) no longer touches.
    make_call(firm, agent=anna, started=now - datetime.timedelta(days=10), outcome=Outcome.ANSWERED)
    services.board_counters_rebuild(since=None)
    ticket = make_call(
        firm, agent=anna, started=now - datetime.timedelta(minutes=50), outcome=Outcome.ANSWERED
    )
    services.review_sync()
    first, end = today - datetime.timedelta(days=29), today + datetime.timedelta(days=1)
    assert _from_rollups(first, end)[M.OUTCOMES] == {Outcome.ANSWERED: 2}

    CallHandling.objects.filter(ticket=ticket).update(outcome=Outcome.CALLBACK)
    services.call_log_sync()
    services.review_sync()
    assert _from_rollups(first, end) == _direct(first, end)
    assert _from_rollups(first, end)[M.OUTCOMES] == {Outcome.ANSWERED: 1, Outcome.CALLBACK: 1}
    page = login(supervisor).get(reverse("review:reports") + "?days=30")
    assert page.context["calls"] == 2
    mix = {row.label: row.count for row in page.context["outcome_mix"].rows}
    assert mix[str(Outcome.CALLBACK.label)] == 1
    assert mix[str(Outcome.ANSWERED.label)] == 1


def test_the_recount_keeps_the_days_before_its_window(make_call, firm, anna):
    now = timezone.now()
    old = make_call(firm, agent=anna, started=now - datetime.timedelta(days=10))
    services.board_counters_rebuild(since=None)
    old_day = timezone.localdate(old.started_at)
    kept = list(DayCounter.objects.filter(day=old_day).values_list("metric", "key", "value"))
    assert (M.CALLS, "", 1) in kept
    services.review_sync()  # recounts only the last 48 hours
    assert list(DayCounter.objects.filter(day=old_day).values_list("metric", "key", "value")) == (
        kept
    )


def test_a_period_not_of_whole_days_is_summed_from_the_hours(varied_calls):
    start = local(2026, 3, 29, 1, 0)
    end = local(2026, 3, 29, 4, 0)
    totals = selectors.counter_totals(start=start, end=end)
    assert totals[M.CALLS][""] == 2  # 01:59 and 03:00 (02:00–03:00 does not exist that day)
