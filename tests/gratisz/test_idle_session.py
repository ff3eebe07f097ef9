"""Idle sessions end: the user's own requests move the expiry, the pages' polls do not."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def expires_in(client) -> datetime.timedelta:
    session = Session.objects.get(session_key=client.session.session_key)
    return session.expire_date - timezone.now()


def shorten(client, seconds: int) -> None:
    Session.objects.filter(session_key=client.session.session_key).update(
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
