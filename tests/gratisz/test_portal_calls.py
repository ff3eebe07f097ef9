"""The portal's call pages: a firm's call history and the failed verifications on its GRID,
for its managers and its referent, and never another firm's."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from calls.desk.models import CallHandling, DeskRequest
from calls.models import CallTicket, VerificationAttempt
from certificates.models import CertificateRequest, Delivery
from gratisz.portal import views as portal_views
from partners.models import PartnerManager
from partners.verification import Outcome, direkt_verify
from tests.factories import ContractFactory, PartnerFirmFactory

pytestmark = pytest.mark.django_db

_sids = itertools.count(1)
# Each test call comes from a number of its own, so a page shows whose calls it lists.
_numbers = itertools.count(1_000_000)


@pytest.fixture
def as_user(login):
    """Return a client of its own, logged in as ``user`` through password + TOTP."""
    return lambda user: login(user, Client())


@pytest.fixture
def world(make_user):
    """Two firms, each with its referent and manager, and an agent who takes their calls."""
    w = {"agent": make_user("agent", username="ugyintezo")}
    for key, grid in (("a", "111111119"), ("b", "222222229")):
        referent = make_user("referent", username=f"referens-{key}")
        firm = PartnerFirmFactory(grid=grid, referent=referent, name=f"{key.upper()} Alkusz Kft.")
        manager = make_user("partner_manager", username=f"vezeto-{key}")
        PartnerManager.objects.create(firm=firm, user=manager, is_leader=True)
        w[key] = {"firm": firm, "referent": referent, "manager": manager}
    return w


def make_call(firm, *, agent=None, minutes_ago=30, number=None, menu="1", documents=0):
    """Create a call verified for ``firm``; with ``agent``, handled with a callback promised
    and ``documents`` certificates requested (the first sent, the next dictated and queued)."""
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    ticket = CallTicket.objects.create(
        call_sid=f"CA{next(_sids):032d}",
        from_number=number or f"+3630{next(_numbers):07d}",
        to_number="+3614623800",
        state=CallTicket.State.COMPLETED if agent else CallTicket.State.ABANDONED,
        menu=menu,
        grid_entered=firm.grid,
        firm=firm,
        verified_at=started + datetime.timedelta(seconds=30),
        ended_at=started + datetime.timedelta(minutes=5),
        duration_seconds=300,
    )
    CallTicket.objects.filter(pk=ticket.pk).update(started_at=started)
    ticket.refresh_from_db()
    if agent is None:
        return ticket
    handling = CallHandling.objects.create(
        ticket=ticket,
        agent=agent,
        origin=CallHandling.Origin.QUEUE,
        taken_at=started + datetime.timedelta(minutes=1),
        closed_at=started + datetime.timedelta(minutes=5),
        outcome=CallHandling.Outcome.CALLBACK,
        notes="Belső megjegyzés: a partner ideges volt.",
    )
    DeskRequest.objects.create(
        handling=handling,
        kind=DeskRequest.Kind.CALLBACK,
        due_at=started + datetime.timedelta(hours=2),
        contact="+36301234567",
        subject="Visszahívás a díjrendezettségről",
        created_at=started + datetime.timedelta(minutes=2),
    )
    for n in range(documents):
        contract = ContractFactory(firm=firm)
        request = CertificateRequest.objects.create(document_type="coverage", contract=contract)
        DeskRequest.objects.create(
            handling=handling,
            kind=DeskRequest.Kind.CERTIFICATE,
            contract=contract,
            certificate_request=request,
            created_at=started + datetime.timedelta(minutes=3),
        )
        sent = n == 0
        Delivery.objects.create(
            request=request,
            channel=Delivery.Channel.EMAIL,
            destination="iroda@alkusz.example.hu" if sent else "idegen@example.com",
            on_file=sent,
            read_back=not sent,
            state=Delivery.State.SENT if sent else Delivery.State.QUEUED,
            sent_at=timezone.now() if sent else None,
        )
    return ticket


def fail(ticket, *, grid, outcome=Outcome.WRONG_CODE, days_ago=0, number=1):
    attempt = VerificationAttempt.objects.create(
        ticket=ticket,
        number=number,
        menu=ticket.menu or "1",
        grid_entered=grid,
        role="staff",
        outcome=outcome,
    )
    if days_ago:
        at = timezone.now() - datetime.timedelta(days=days_ago)
        VerificationAttempt.objects.filter(pk=attempt.pk).update(at=at)
    return attempt


def failed_call(number: str, *, grid: str, **kwargs) -> VerificationAttempt:
    """Create a call that failed its verification with ``grid``, from ``number``."""
    ticket = CallTicket.objects.create(
        call_sid=f"CA{next(_sids):032d}",
        from_number=number,
        state=CallTicket.State.FAILED_VERIFICATION,
        menu="1",
        grid_entered=grid,
        failed_verifications=1,
    )
    return fail(ticket, grid=grid, **kwargs)


def manager_urls(firm):
    return [
        reverse("partner-portal:calls", args=[firm.grid]),
        reverse("partner-portal:failures", args=[firm.grid]),
    ]


def referent_urls(firm):
    return [
        reverse("partner-portal:referent-calls", args=[firm.grid]),
        reverse("partner-portal:referent-failures", args=[firm.grid]),
    ]


# --- the addresses and who may open them -------------------------------------------------------


def test_the_pages_live_under_the_partner_portal():
    assert resolve("/partner/111111119/calls/").func is portal_views.firm_calls
    assert resolve("/partner/111111119/security/").func is portal_views.firm_failures
    assert resolve("/partner/referent/111111119/calls/").func is portal_views.referent_calls
    assert resolve("/partner/referent/111111119/security/").func is portal_views.referent_failures
    # The portal's own pages still resolve to the portal.
    assert resolve("/partner/111111119/").url_name == "firm"
    assert resolve("/partner/referent/111111119/").url_name == "referent-firm"


def test_manager_gets_404_on_the_pages_of_another_firm(world, as_user):
    c = as_user(world["a"]["manager"])
    for url in manager_urls(world["b"]["firm"]):
        assert c.get(url).status_code == 404, url
    for url in manager_urls(world["a"]["firm"]):
        assert c.get(url).status_code == 200, url


def test_revoked_manager_gets_404(world, as_user):
    PartnerManager.objects.filter(user=world["a"]["manager"]).update(revoked_at=timezone.now())
    c = as_user(world["a"]["manager"])
    for url in manager_urls(world["a"]["firm"]):
        assert c.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agent_and_supervisor_get_403(world, as_user, make_user, role):
    c = as_user(make_user(role))
    firm = world["a"]["firm"]
    for url in manager_urls(firm) + referent_urls(firm):
        assert c.get(url).status_code == 403, url


def test_manager_gets_403_on_the_referent_pages_and_the_referent_on_the_managers(world, as_user):
    firm = world["a"]["firm"]
    manager = as_user(world["a"]["manager"])
    for url in referent_urls(firm):
        assert manager.get(url).status_code == 403, url
    referent = as_user(world["a"]["referent"])
    for url in manager_urls(firm):
        assert referent.get(url).status_code == 403, url


def test_referent_opens_only_the_firms_they_care_for(world, as_user):
    c = as_user(world["a"]["referent"])
    for url in referent_urls(world["a"]["firm"]):
        assert c.get(url).status_code == 200, url
    for url in referent_urls(world["b"]["firm"]):
        assert c.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(world, client):
    firm = world["a"]["firm"]
    for url in manager_urls(firm) + referent_urls(firm):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_pages_take_no_post(world, as_user):
    c = as_user(world["a"]["manager"])
    for url in manager_urls(world["a"]["firm"]):
        assert c.post(url).status_code == 405, url


# --- the call history --------------------------------------------------------------------------


def test_manager_sees_the_firms_calls_with_requests_and_documents_in_hungarian(world, as_user):
    a, b = world["a"], world["b"]
    make_call(a["firm"], agent=world["agent"], number="+36301112267", documents=2)
    make_call(a["firm"], minutes_ago=90, number="+36209998844", menu="2")
    make_call(b["firm"], agent=world["agent"], number="+36705554433", documents=1)
    response = as_user(a["manager"]).get(reverse("partner-portal:calls", args=[a["firm"].grid]))
    page = response.content.decode()
    calls = response.context["history"].calls
    assert [c.calling_number for c in calls] == ["+36 30 ••• •• 67", "+36 20 ••• •• 44"]
    assert "+36 70 ••• •• 33" not in page  # firm B's call
    first = calls[0]
    assert (first.outcome, calls[1].outcome) == (
        "visszahívás vállalva",
        "elhagyott (a hívó bontott)",
    )
    assert [r.document for r in first.requests] == ["", "fedezetigazolás", "fedezetigazolás"]
    assert [(d.is_sent, d.dictated_to) for d in first.documents] == [
        (True, ""),
        (False, "idegen@example.com"),
    ]
    assert calls[1].requests == [] and calls[1].documents == []
    # Hungarian, whatever the browser asks for; the agent's notes stay inside.
    assert "Hívástörténet" in page
    assert "Visszahívás a díjrendezettségről" in page
    assert "Belső megjegyzés" not in page
    for full in ("+36301112267", "301112267", "+36209998844"):
        assert full not in page


def test_history_filters_by_date_and_pages(world, as_user):
    a = world["a"]
    # One call a day, the newest first; the history's days are Budapest days.
    tickets = [make_call(a["firm"], minutes_ago=n * 60 * 24 + 5) for n in range(30)]
    c = as_user(a["manager"])
    url = reverse("partner-portal:calls", args=[a["firm"].grid])
    first = c.get(url)
    assert len(first.context["history"].calls) == 25
    assert first.context["history"].page.paginator.count == 30
    assert len(c.get(url, {"page": 2}).context["history"].calls) == 5
    today = timezone.localdate()
    since, until = today - datetime.timedelta(days=10), today - datetime.timedelta(days=4)
    expected = [
        t.started_at
        for t in tickets
        if since <= timezone.localdate(t.started_at) <= until  # both days included
    ]
    window = c.get(url, {"date_from": str(since), "date_to": str(until)})
    assert [call.started_at for call in window.context["history"].calls] == expected
    assert len(expected) == 7
    # The pager keeps the filter.
    filtered = c.get(url, {"date_from": str(today - datetime.timedelta(days=40)), "page": 1})
    assert (
        f"date_from={today - datetime.timedelta(days=40)}&amp;page=2" in filtered.content.decode()
    )
    # A malformed date is ignored, not an error.
    assert c.get(url, {"date_from": "tegnap"}).context["history"].page.paginator.count == 30


def test_history_page_runs_the_same_queries_for_3_or_30_calls(
    world, as_user, django_assert_num_queries
):
    a = world["a"]
    c = as_user(a["manager"])
    url = reverse("partner-portal:calls", args=[a["firm"].grid])
    for _ in range(3):
        make_call(a["firm"], agent=world["agent"], documents=2)
    with CaptureQueriesContext(connection) as few:
        assert len(c.get(url).context["history"].calls) == 3
    for _ in range(27):
        make_call(a["firm"], agent=world["agent"], documents=2)
    with django_assert_num_queries(len(few.captured_queries)):
        response = c.get(url)
    calls = response.context["history"].calls
    assert len(calls) == 25
    assert all(len(call.documents) == 2 and len(call.requests) == 3 for call in calls)


def test_referent_sees_the_history_of_their_firm(world, as_user):
    a = world["a"]
    make_call(a["firm"], agent=world["agent"], number="+36301112267", documents=1)
    make_call(world["b"]["firm"], number="+36705554433")
    response = as_user(a["referent"]).get(
        reverse("partner-portal:referent-calls", args=[a["firm"].grid])
    )
    assert [c.calling_number for c in response.context["history"].calls] == ["+36 30 ••• •• 67"]
    assert reverse("partner-portal:referent-firm", args=[a["firm"].grid]) in (
        response.content.decode()
    )


# --- failed verifications ----------------------------------------------------------------------


def test_manager_sees_the_failures_on_the_firms_grid_with_masked_numbers(world, as_user):
    a, b = world["a"], world["b"]
    failed_call("+36301234567", grid=a["firm"].grid)
    failed_call("+36209876543", grid=a["firm"].grid, outcome=Outcome.LOCKED)
    failed_call("", grid=a["firm"].grid, outcome=Outcome.THROTTLED)
    failed_call("+36705550011", grid=b["firm"].grid)  # firm B's
    failed_call("+36705550022", grid="999999999")  # no firm's
    failed_call("+36705550033", grid=a["firm"].grid, days_ago=40)  # too old
    verified = make_call(a["firm"], number="+36705550044")
    fail(verified, grid=a["firm"].grid, outcome=Outcome.VERIFIED)
    response = as_user(a["manager"]).get(reverse("partner-portal:failures", args=[a["firm"].grid]))
    page = response.content.decode()
    rows = response.context["failures"].rows
    assert sorted(r.calling_number for r in rows) == [
        "+36 20 ••• •• 43",
        "+36 30 ••• •• 67",
        "rejtett",
    ]
    assert {r.outcome for r in rows} >= {"hibás kód"}
    for hidden in ("1234567", "9876543", "0011", "0022", "0033", "0044", "999999999"):
        assert hidden not in page, hidden
    assert "Sikertelen azonosítások" in page


def test_failure_list_stops_at_its_limit_and_says_so(world, as_user, monkeypatch):
    a = world["a"]
    monkeypatch.setattr(portal_views, "FAILURE_LIMIT", 3)
    for n in range(4):
        failed_call(f"+3630123450{n}", grid=a["firm"].grid)
    response = as_user(a["manager"]).get(reverse("partner-portal:failures", args=[a["firm"].grid]))
    failures = response.context["failures"]
    assert len(failures.rows) == 3 and failures.more
    assert failures.rows[0].calling_number == "+36 30 ••• •• 03"  # the newest first


def test_referent_sees_the_same_failures_and_can_unlock_from_there(world, as_user):
    a = world["a"]
    failed_call("+36301234567", grid=a["firm"].grid)
    failed_call("+36705550011", grid=world["b"]["firm"].grid)
    response = as_user(a["referent"]).get(
        reverse("partner-portal:referent-failures", args=[a["firm"].grid])
    )
    assert [r.calling_number for r in response.context["failures"].rows] == ["+36 30 ••• •• 67"]
    assert response.context["unlock_url"] == reverse(
        "partner-portal:referent-unlock", args=[a["firm"].grid]
    )


def test_locked_grid_shows_the_unlock_form_on_the_failures_page(world, as_user, settings):
    settings.DIREKT_THROTTLE_FACTOR = 0
    a = world["a"]
    for _ in range(settings.DIREKT_LOCK_AFTER_FAILURES):
        direkt_verify(grid=a["firm"].grid, code="9999", calling_number="+36301112233")
    page = (
        as_user(a["manager"])
        .get(reverse("partner-portal:failures", args=[a["firm"].grid]))
        .content.decode()
    )
    assert f'action="{reverse("partner-portal:unlock", args=[a["firm"].grid])}"' in page


# --- the firm pages lead here ------------------------------------------------------------------


def test_firm_pages_link_to_the_call_history_and_the_failures(world, as_user):
    a = world["a"]
    page = as_user(a["manager"]).get(reverse("partner-portal:firm", args=[a["firm"].grid]))
    html = page.content.decode()
    for url in manager_urls(a["firm"]):
        assert f'href="{url}"' in html, url
    page = as_user(a["referent"]).get(
        reverse("partner-portal:referent-firm", args=[a["firm"].grid])
    )
    html = page.content.decode()
    for url in referent_urls(a["firm"]):
        assert f'href="{url}"' in html, url
