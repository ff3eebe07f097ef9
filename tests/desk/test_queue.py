"""The desk home: the live queue, taking a call, manual verification."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from calls.desk import services
from calls.desk.models import CallHandling
from calls.models import CallTicket, VerificationAttempt
from partners.models import DirektThrottle
from tests.calls.fake_provider import ClientTransport, FakeProvider
from tests.desk.conftest import STAFF_CODE

pytestmark = pytest.mark.django_db


def test_queue_lists_waiting_verified_calls_with_firm_menu_and_wait(
    agent, login, client, firm, make_waiting
):
    make_waiting(firm, menu="2", minutes_ago=3)
    CallTicket.objects.create(call_sid="CA-in-ivr", state=CallTicket.State.IN_IVR)
    login(agent)
    page = client.get(reverse("desk:queue")).content.decode()
    assert "Első Alkusz Kft." in page and firm.grid in page
    assert "2 – " in page or "2 –" in page
    assert "3:0" in page  # waiting three minutes
    assert "CA-in-ivr" not in page
    assert page.count('class="primary take"') == 1


def test_home_polls_the_queue_without_a_reload(agent, login, client):
    login(agent)
    page = client.get(reverse("desk:home")).content.decode()
    assert f'data-poll="{reverse("desk:queue")}"' in page
    assert "desk/desk.js" in page


def test_a_call_placed_through_the_ivr_appears_and_can_be_taken(
    agent, login, client, firm, line_open, settings
):
    settings.PUBLIC_BASE_URL = "https://gratisz.example.hu"
    settings.TELEPHONY_AUTH_TOKEN = "test-auth-token-0123456789"
    provider = FakeProvider(ClientTransport(Client()))
    call = provider.call(from_number="+36309998877")
    call.press("1").press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued"
    login(agent)
    assert "+36309998877" in client.get(reverse("desk:queue")).content.decode()
    ticket = CallTicket.objects.get(call_sid=call.sid)
    response = client.post(reverse("desk:take", args=[ticket.pk]))
    assert response.url == reverse("desk:call", args=[ticket.pk])
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.WITH_AGENT
    assert ticket.handling.agent == agent


def test_second_agent_is_told_the_call_is_taken(make_user, login, firm, make_waiting):
    ticket = make_waiting(firm)
    first, second = make_user("agent"), make_user("agent")
    c1, c2 = login(first, Client()), login(second, Client())
    assert c1.post(reverse("desk:take", args=[ticket.pk])).status_code == 302
    response = c2.post(reverse("desk:take", args=[ticket.pk]), follow=True)
    assert "már átvette egy másik ügyintéző" in response.content.decode() or (
        "already been taken" in response.content.decode()
    )
    assert CallHandling.objects.get().agent == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_at_once_one_wins(make_user, firm, make_waiting):
    import threading

    ticket = make_waiting(firm)
    agents = [make_user("agent"), make_user("agent")]
    barrier = threading.Barrier(2)
    results = []

    def take(agent):
        from django.db import connections

        barrier.wait()
        try:
            services.call_take(ticket_id=ticket.pk, agent=agent)
            results.append("won")
        except services.CallAlreadyTaken:
            results.append("told")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["told", "won"]
    assert CallHandling.objects.count() == 1


def test_agent_with_an_open_call_cannot_take_another(agent, firm, make_waiting, on_call):
    on_call(agent, firm)
    second = make_waiting(firm)
    with pytest.raises(services.AgentBusy):
        services.call_take(ticket_id=second.pk, agent=agent)
    second.refresh_from_db()
    assert second.state == CallTicket.State.WAITING


def test_manual_verification_opens_a_call_without_keeping_the_code(agent, login, client, firm):
    login(agent)
    response = client.post(
        reverse("desk:manual-verify"),
        {"phone_number": "+36201112233", "grid": firm.grid, "code": STAFF_CODE, "menu": "1"},
    )
    handling = CallHandling.objects.get(agent=agent)
    assert response.url == reverse("desk:call", args=[handling.ticket_id])
    ticket = handling.ticket
    assert ticket.firm == firm and ticket.state == CallTicket.State.WITH_AGENT
    assert ticket.source == CallTicket.Source.DESK
    assert VerificationAttempt.objects.get(ticket=ticket).outcome == "verified"
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert STAFF_CODE not in page


def test_manual_verification_with_a_wrong_code_counts_like_the_ivr(agent, login, client, firm):
    login(agent)
    response = client.post(
        reverse("desk:manual-verify"),
        {"phone_number": "+36201112233", "grid": firm.grid, "code": "0000", "menu": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="0000"' not in page  # the code is never echoed
    assert 'value="+36201112233"' in page  # the rest of the form is kept
    assert DirektThrottle.objects.get(grid=firm.grid).failure_count == 1
    assert not CallHandling.objects.exists()
    assert CallTicket.objects.get().state == CallTicket.State.FAILED_VERIFICATION


def test_the_desk_home_and_its_queue_read_a_fixed_number_of_queries(
    agent, make_user, login, client, firm, make_waiting, on_call, django_assert_num_queries
):
    """However many calls wait and promises are open (the agent's and colleagues' overdue
    ones, each with its firm, contract and keeper): the page's rows never cost a query each."""
    import datetime

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from calls.desk.models import DeskRequest

    def promise(handling, hours: int, **fields):
        return DeskRequest.objects.create(
            handling=handling,
            kind=DeskRequest.Kind.CALLBACK,
            due_at=timezone.now() + datetime.timedelta(hours=hours),
            contact="+36301234567",
            subject="Díjhátralék",
            created_at=timezone.now() - datetime.timedelta(hours=3),
            **fields,
        )

    def add_rows(n: int):
        for i in range(n):
            make_waiting(firm, from_number=f"+3630555{i:04d}")
            promise(on_call(make_user("agent"), firm), hours=-1)  # a colleague's, overdue
            promise(on_call(make_user("agent"), firm), hours=-2, assignee=agent)  # taken over

    login(agent)
    on_call(agent, firm)  # the agent's own call in progress
    add_rows(1)
    urls = (reverse("desk:home"), reverse("desk:queue"))
    few = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        assert page.count('class="primary take"') == 1
        few[url] = len(queries.captured_queries)
    add_rows(4)
    for url in urls:
        with django_assert_num_queries(few[url]):
            page = client.get(url).content.decode()
        assert page.count('class="primary take"') == 5
        assert page.count("Díjhátralék") == 10  # taken over by the agent, and colleagues'
