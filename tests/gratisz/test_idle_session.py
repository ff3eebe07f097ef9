"""Idle sessions end: the user's own requests move the expiry, the pages' polls do not."""

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gratisz.middleware import IdleSessionMiddleware

pytestmark = pytest.mark.django_db


def expires_in(client) -> datetime.timedelta:
    session = Session.objects.get(session_key=client.session.session_key)
    return session.expire_date - timezone.now()


def shorten(client, seconds: int) -> None:
    """As if the user's last own request was long ago: the session runs out in ``seconds``."""
    session = client.session
    session[IdleSessionMiddleware.ACTIVE_UNTIL] = round(time.time() + seconds)
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=seconds)
    )


def test_the_desks_queue_poll_does_not_keep_an_idle_agent_logged_in(agent, login, client, settings):
    login(agent)
    shorten(client, 60)
    assert client.get(reverse("desk:queue")).status_code == 200
    assert expires_in(client) < datetime.timedelta(seconds=61)  # unchanged by the poll
    assert client.get(reverse("desk:home")).status_code == 200
    assert expires_in(client) > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_the_boards_refresh_does_not_keep_an_idle_supervisor_logged_in(
    supervisor, login, client, settings
):
    login(supervisor)
    shorten(client, 60)
    assert client.get(reverse("review:board"), {"partial": "1"}).status_code == 200
    assert expires_in(client) < datetime.timedelta(seconds=61)
    assert client.get(reverse("review:board")).status_code == 200
    assert expires_in(client) > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_an_ended_session_sends_the_poll_to_the_login_page(agent, login, client):
    login(agent)
    shorten(client, -1)
    response = client.get(reverse("desk:queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_clicks_close_together_write_the_session_once(agent, login, client, settings):
    """An agent's every click does not write the session's row: the expiry moves once it has
    fallen a thirtieth of the idle time behind (a minute of half an hour)."""
    login(agent)
    assert client.get(reverse("desk:home")).status_code == 200
    saved = Session.objects.get(session_key=client.session.session_key).expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("desk:home")).status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert Session.objects.get(session_key=client.session.session_key).expire_date == saved
    shorten(client, settings.SESSION_COOKIE_AGE - settings.SESSION_COOKIE_AGE // 30 - 1)
    assert client.get(reverse("desk:home")).status_code == 200
    assert expires_in(client) > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)
