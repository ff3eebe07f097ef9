"""Who may open which desk page: no verified call, another firm's record, a closed ticket,
another agent's call, a user without the desk, a supervisor-only page."""

import pytest
from django.urls import reverse

from calls.desk import services
from calls.desk.models import Disclosure

pytestmark = pytest.mark.django_db


def test_desk_pages_need_login_and_the_desk_permission(client, login, referent):
    response = client.get(reverse("desk:home"))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    login(referent)
    for name in ("desk:home", "desk:queue", "desk:manual-verify"):
        assert client.get(reverse(name)).status_code == 403


def test_agent_without_a_verified_call_sees_no_call_and_no_contract(
    agent, login, client, firm, contract, make_waiting
):
    waiting = make_waiting(firm)  # in the queue, not taken by this agent
    login(agent)
    assert client.get(reverse("desk:call", args=[waiting.pk])).status_code == 404
    url = reverse("desk:contract", args=[waiting.pk, contract.policy_number])
    assert client.get(url).status_code == 404
    assert not Disclosure.objects.exists()


def test_another_agents_call_does_not_exist_for_me(
    make_user, login, client, firm, contract, on_call
):
    other_agent = make_user("agent")
    handling = on_call(other_agent, firm)
    me = make_user("agent")
    login(me)
    assert client.get(reverse("desk:call", args=[handling.ticket_id])).status_code == 404
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    assert client.get(url).status_code == 404
    assert client.post(reverse("desk:close", args=[handling.ticket_id]), {}).status_code == 404


def test_another_firms_record_is_a_404_in_this_call(
    agent, login, client, firm, other_contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, other_contract.policy_number])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "identify", "name": "x", "postcode": "1"}).status_code == 404


def test_a_closed_call_opens_no_record_and_takes_no_request(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    services.call_close(handling=handling, notes="", outcome="answered")
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    assert client.get(url).status_code == 403
    assert client.post(reverse("desk:promise", args=[handling.ticket_id]), {}).status_code == 403
    assert client.post(reverse("desk:guidance", args=[handling.ticket_id]), {}).status_code == 403
    page = client.get(
        reverse("desk:call", args=[handling.ticket_id]), {"q": contract.policy_number}
    )
    assert (
        page.status_code == 200
        and f"contract/{contract.policy_number}/" not in page.content.decode()
    )


def test_disclosure_log_is_for_supervisors_only(agent, supervisor, login, client):
    login(agent)
    assert client.get(reverse("desk:disclosures")).status_code == 403
    client.logout()
    login(supervisor)
    assert client.get(reverse("desk:disclosures")).status_code == 200
