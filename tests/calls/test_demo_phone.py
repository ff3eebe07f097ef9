"""The demo phone: a dial pad for staff that calls the IVR without a provider."""

import pytest
from django.urls import reverse

from calls.models import CallTicket
from tests.calls.conftest import STAFF_CODE

pytestmark = pytest.mark.django_db


def _act(client, **data):
    response = client.post(reverse("demo-phone-act"), data)
    assert response.status_code == 200, response.content
    return response.json()


def test_agent_places_a_call_into_the_queue(client, login, agent, firm, line_open):
    login(agent)
    page = client.get(reverse("demo-phone"))
    assert page.status_code == 200
    first = _act(client, action="dial", ignore_hours="0", **{"from": "+36301112222"})
    assert first["state"] == "gather"
    assert first["said"][0].startswith("Kedves Partnerünk!")
    _act(client, action="keys", digits="1")
    _act(client, action="keys", digits=firm.grid)
    last = _act(client, action="keys", digits=STAFF_CODE)
    assert last["state"] == "queued"
    assert last["queue"] == "1 – szerződések és igazolások"  # the menu, not the queue's code
    assert last["ticket"]["firm"] == str(firm)
    ticket = CallTicket.objects.get()
    assert ticket.state == CallTicket.State.WAITING
    assert ticket.from_number == "+36301112222"
    hung_up = _act(client, action="hangup")
    assert hung_up["state"] == "ended"
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.ABANDONED


def test_demo_call_can_ignore_opening_hours(client, login, supervisor, firm, monkeypatch):
    import datetime
    from zoneinfo import ZoneInfo

    from calls import opening_hours

    sunday = datetime.datetime(2026, 11, 29, 3, 0, tzinfo=ZoneInfo("Europe/Budapest"))
    monkeypatch.setattr(opening_hours, "now", lambda: sunday)
    login(supervisor)
    closed = _act(client, action="dial", ignore_hours="0")
    assert closed["state"] == "ended"
    opened = _act(client, action="dial", ignore_hours="1")
    assert opened["state"] == "gather"


def test_silence_follows_the_redirect(client, login, agent, line_open):
    login(agent)
    _act(client, action="dial")
    again = _act(client, action="silence")
    assert again["state"] == "gather"
    assert again["said"][0].startswith("Érvénytelen választás")


def test_keys_without_a_call_are_refused(client, login, agent):
    login(agent)
    response = client.post(reverse("demo-phone-act"), {"action": "keys", "digits": "1"})
    assert response.status_code == 409


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("demo-phone"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_user_without_the_permission_is_refused(client, login, referent):
    login(referent)
    assert client.get(reverse("demo-phone")).status_code == 403
    assert client.post(reverse("demo-phone-act"), {"action": "dial"}).status_code == 403
    assert not CallTicket.objects.exists()


def test_not_there_outside_demo_mode(client, login, agent, settings):
    settings.DEMO_PHONE_ENABLED = False
    login(agent)
    assert client.get(reverse("demo-phone")).status_code == 404


def test_demo_open_flag_is_ignored_outside_demo_mode(provider, settings, monkeypatch):
    import datetime
    from zoneinfo import ZoneInfo

    from calls import opening_hours

    settings.DEMO_PHONE_ENABLED = False
    sunday = datetime.datetime(2026, 11, 29, 3, 0, tzinfo=ZoneInfo("Europe/Budapest"))
    monkeypatch.setattr(opening_hours, "now", lambda: sunday)
    from calls.models import SpecialDay

    SpecialDay.objects.all().delete()
    call = provider.call(voice_url=provider.base_url + "/ivr/voice/?demo_open=1")
    assert call.state == "ended"
