"""Presence: available, on a call, in wrap-up after a call (a set time, extendable), on a break;
the call screen's timer and the caller's wait."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.desk import selectors, services
from calls.desk.models import AgentPresence

pytestmark = pytest.mark.django_db
State = AgentPresence.State


def state(agent):
    return selectors.agent_presence(agent=agent).state


def test_an_agent_is_on_a_call_then_in_wrap_up_for_the_set_time_then_available(
    settings, agent, firm, on_call
):
    settings.DESK_WRAP_UP_SECONDS = 90
    assert state(agent) == State.AVAILABLE
    handling = on_call(agent, firm)
    assert state(agent) == State.ON_CALL
    services.call_close(handling=handling, notes="", outcome="answered")
    presence = selectors.agent_presence(agent=agent)
    assert presence.state == State.WRAP_UP and not presence.offered_calls
    later = timezone.now() + datetime.timedelta(seconds=91)
    assert selectors.agent_presence(agent=agent, now=later).state == State.AVAILABLE


def test_wrap_up_is_extended_and_can_end_early(settings, agent, firm, on_call):
    settings.DESK_WRAP_UP_SECONDS = 60
    settings.DESK_WRAP_UP_EXTEND_SECONDS = 120
    services.call_close(handling=on_call(agent, firm), notes="", outcome="answered")
    until = selectors.agent_presence(agent=agent).until
    assert services.presence_set(agent=agent, action="extend")
    assert selectors.agent_presence(agent=agent).until == until + datetime.timedelta(seconds=120)
    assert services.presence_set(agent=agent, action="back")
    assert state(agent) == State.AVAILABLE
    assert not services.presence_set(agent=agent, action="extend"), "no wrap-up to extend"


def test_a_break_lasts_until_back_and_taking_a_call_ends_it(agent, firm, make_waiting):
    assert services.presence_set(agent=agent, action="break")
    assert state(agent) == State.BREAK
    far = timezone.now() + datetime.timedelta(hours=2)
    assert selectors.agent_presence(agent=agent, now=far).state == State.BREAK
    services.call_take(ticket_id=make_waiting(firm).pk, agent=agent)
    assert state(agent) == State.ON_CALL
    assert not services.presence_set(agent=agent, action="break"), "not during a call"


def test_the_desk_shows_the_presence_and_the_agent_changes_it(client, login, agent):
    login(agent)
    home = client.get(reverse("desk:home")).content.decode()
    assert 'data-state="available"' in home and "hívásra kész" in home
    response = client.post(reverse("desk:presence"), {"action": "break", "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    live = client.get(reverse("desk:presence")).content.decode()
    assert 'data-state="break"' in live and "Vissza: hívásra kész" in live
    # Another site as the way back is not followed.
    response = client.post(
        reverse("desk:presence"), {"action": "back", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("desk:home")
    assert client.post(reverse("desk:presence"), {"action": "nap"}).status_code == 400


def test_presence_is_only_for_desk_users(client, login, referent):
    url = reverse("desk:presence")
    assert reverse("login") in client.get(url)["Location"]
    assert reverse("login") in client.post(url, {"action": "break"})["Location"]
    login(referent)
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "break"}).status_code == 403
    assert not AgentPresence.objects.exists()


def test_the_call_screen_shows_the_call_timer_and_the_callers_wait(
    client, login, agent, firm, on_call
):
    handling = on_call(agent, firm, minutes_ago=3)  # queued three minutes ago
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert 'id="timers"' in page and "Hívás ideje" in page
    assert "A hívó várakozott: <strong>3:00</strong>" in page
    assert f'data-since="{round(handling.taken_at.timestamp() * 1000)}"' in page


def test_a_supervisor_sees_who_is_where(make_user, agent, firm, on_call):
    other = make_user("agent")
    on_call(agent, firm)
    services.presence_set(agent=other, action="break")
    board = {row.agent: row.presence.state for row in selectors.presence_board()}
    assert board[agent] == State.ON_CALL and board[other] == State.BREAK
