"""The call screen follows the provider: a caller who hangs up is shown gone at once, with the
one action that fits; a closed call shows no connection banner."""

import pytest
from django.test import Client
from django.urls import reverse

from calls.desk import services
from calls.desk.models import CallHandling
from tests.calls.fake_provider import ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    settings.PUBLIC_BASE_URL = "https://gratisz.example.hu"
    settings.TELEPHONY_AUTH_TOKEN = "test-auth-token-0123456789"
    return FakeProvider(ClientTransport(Client()))


def hang_up(provider, ticket):
    """The provider's status callback: the caller's leg ended."""
    answer = provider.post(
        provider.status_callback,
        {"CallSid": ticket.call_sid, "CallStatus": "completed", "CallDuration": "95"},
    )
    assert answer.status in (200, 204)


def connected(handling):
    CallHandling.objects.filter(pk=handling.pk).update(
        connect_state=CallHandling.Connection.CONNECTED
    )


def test_a_caller_who_hangs_up_is_shown_gone_with_close_as_dropped(
    client, login, agent, firm, on_call, provider
):
    handling = on_call(agent, firm)
    connected(handling)
    login(agent)
    live_url = reverse("desk:connection", args=[handling.ticket_id])
    assert "kapcsolva" in client.get(live_url).content.decode()

    hang_up(provider, handling.ticket)

    live = client.get(live_url).content.decode()
    assert "letette" in live and "kapcsolva" not in live
    assert 'value="dropped"' in live and "data-poll-stop" in live
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert 'id="caller-gone"' in page and "Lezárás megszakadt hívásként" in page


def test_a_caller_who_hangs_up_after_a_request_leaves_work_not_a_dropped_call(
    client, login, agent, firm, contract, on_call, provider
):
    handling = on_call(agent, firm)
    connected(handling)
    services.desk_promise(
        handling=handling,
        kind="callback",
        due_at=services.promise_default_dues()[0],
        contact="+36301234567",
        subject="Visszahívás",
        contract=None,
    )
    hang_up(provider, handling.ticket)
    login(agent)
    live = client.get(reverse("desk:connection", args=[handling.ticket_id])).content.decode()
    assert "letette" in live
    assert 'value="dropped"' not in live, "the call's requests are still to be done"
    assert 'href="#close"' in live


def test_a_closed_call_shows_no_connection_banner(client, login, agent, firm, on_call, provider):
    handling = on_call(agent, firm)
    connected(handling)
    services.call_close(handling=handling, notes="", outcome="answered")
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert 'id="connection"' not in page and "kapcsolva" not in page
    hang_up(provider, handling.ticket)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert 'id="connection"' not in page and "letette" not in page
