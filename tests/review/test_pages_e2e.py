"""The supervisor's pages as a supervisor sees them on a 1024 px screen: the call log fits, its
flags are words, and every chart's text is readable (at least 11 px) with a name and figures."""

import datetime

import pytest
from django.utils import timezone

from calls.desk.models import CallHandling
from gratisz.roles import Role

from .conftest import add_delivery, add_promise

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(make_call, firm, other_firm, make_user):
    """Calls over the past weeks, one with an overdue promise and a failed delivery."""
    from calls.review import services
    from certificates.models import Delivery

    anna = make_user(Role.AGENT, username="anna")
    now = timezone.now()
    calls = [
        make_call(
            firm if i % 2 else other_firm,
            agent=anna if i % 3 else None,
            started=now - datetime.timedelta(days=i % 20, hours=i % 5),
            outcome=CallHandling.Outcome.CALLBACK,
        )
        for i in range(30)
    ]
    with_agent = next(c for c in calls if hasattr(c, "handling"))
    add_promise(with_agent, due_in_minutes=-30)
    add_delivery(with_agent, state=Delivery.State.FAILED)
    services.call_log_refresh(ticket_ids=[c.pk for c in calls])
    services.board_counters_rebuild()
    return calls


def test_call_log_fits_a_1024_screen_with_flags_in_words(history, supervisor, browser_login):
    page = browser_login(supervisor)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/review/calls/")
    table = page.locator("table.log")
    table.wait_for()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 1024, f"the page is {scroll} px wide"
    flags = page.locator("table.log .flag").all_inner_texts()
    assert flags, "no flag shown"
    assert all(any(ch.isalpha() for ch in f) for f in flags), flags
    body = page.locator("table.log tbody").inner_text()
    for code in ("callback", "abandoned", "completed"):
        assert code not in body


def test_every_chart_is_readable_and_named(history, supervisor, browser_login):
    page = browser_login(supervisor)
    page.set_viewport_size({"width": 1024, "height": 768})
    for days in (7, 30, 90):
        page.goto(f"/review/reports/?days={days}")
        charts = page.locator("svg.chart")
        assert charts.count() >= 8
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart text')].map(t =>
                parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
        )
        assert sizes and min(sizes) >= 11, min(sizes)
        names = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart')].map(s =>
                [s.getAttribute('aria-label'), s.querySelector('desc').textContent])"""
        )
        assert all(label and desc for label, desc in names), names
