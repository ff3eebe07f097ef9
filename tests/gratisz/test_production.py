import json
import logging
from functools import partial

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse

from gratisz import checks
from gratisz.celery import app as celery_app
from gratisz.logs import JsonFormatter, bind_ticket
from gratisz.views import server_error


@pytest.mark.django_db
def test_liveness_and_readiness_need_no_login(client, tmp_path, settings):
    assert client.get(reverse("health-live")).json() == {"status": "ok"}
    response = client.get(reverse("health-ready"))
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert {name: c["status"] for name, c in checks.items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_readiness_is_503_when_the_broker_is_down(client, monkeypatch):
    # A broker URL where nothing listens (the discard port); Celery prefers the environment's
    # CELERY_BROKER_URL over its configuration, so the URL is handed to the connection itself.
    monkeypatch.setattr(
        celery_app,
        "connection_for_write",
        partial(celery_app.connection_for_write, url="redis://127.0.0.1:9/0"),
    )
    response = client.get(reverse("health-ready"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["status"] == "error"
    assert "redis://" not in response.content.decode()


def test_database_outage_answers_503_without_a_trace():
    request = RequestFactory().get("/desk/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "connection refused" not in response.content.decode()
    assert "átmenetileg nem érhető el" in response.content.decode()


def test_the_drivers_own_outage_error_answers_503_too():
    """psycopg raises AdminShutdown unwrapped from a server-side cursor's close when PostgreSQL
    shuts down mid-page (bench/faults.py postgres saw it as the one 500 of the run)."""
    from django.db import connection

    try:
        raise connection.Database.OperationalError("terminating connection")
    except connection.Database.OperationalError:
        response = server_error(RequestFactory().get("/desk/call/5/"))
    assert response.status_code == 503


def test_other_errors_answer_500():
    try:
        raise ValueError("boom")
    except ValueError:
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "boom" not in response.content.decode()


@pytest.mark.django_db
def test_pages_forbid_inline_and_foreign_scripts(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self';" in policy


@pytest.mark.django_db
def test_the_pages_may_connect_to_the_desks_push_server_where_it_listens_apart(client, settings):
    settings.DESK_SOCKET_URL = "wss://push.gratisz.example.hu:8443/ws/desk/"
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "connect-src 'self' wss://push.gratisz.example.hu:8443;" in policy


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("/ws/desk/", False),
        ("ws://127.0.0.1:8002/ws/desk/", False),
        ("wss://push.gratisz.example.hu/ws/desk/", False),
        ("https://push.gratisz.example.hu/ws/desk/", True),
        ("push.gratisz.example.hu/ws/desk/", True),
        ("wss:///ws/desk/", True),
        ("", True),
    ],
)
def test_a_desk_socket_address_that_no_browser_could_open_is_refused_at_start(
    settings, url, refused
):
    settings.DESK_SOCKET_URL = url
    settings.SECURE_SSL_REDIRECT = False
    assert [e.id for e in checks.check_desk_socket(None)] == (["gratisz.E007"] if refused else [])


def test_a_plain_push_address_behind_https_is_called_out(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.DESK_SOCKET_URL = "ws://push.gratisz.example.hu/ws/desk/"
    assert [e.id for e in checks.check_desk_socket(None)] == ["gratisz.W002"]
    settings.DESK_SOCKET_URL = "wss://push.gratisz.example.hu/ws/desk/"
    assert checks.check_desk_socket(None) == []


def test_json_log_lines_carry_the_ticket():
    record = logging.LogRecord("calls", logging.INFO, __file__, 1, "taken by %s", ("agent",), None)
    bind_ticket(42)
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        bind_ticket(None)
    assert line["message"] == "taken by agent"
    assert line["ticket"] == 42
    assert line["level"] == "INFO"


def test_json_log_lines_keep_the_extra_fields_a_call_passes(caplog):
    """A certificate's number and a print batch's id, passed as ``extra``, reach the JSON line."""
    logger = logging.getLogger("certificates.services")
    with caplog.at_level(logging.INFO, logger="certificates.services"):
        logger.info("certificate issued", extra={"number": "GR-2026-000001-12", "request": 7})
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert line["message"] == "certificate issued"
    assert line["number"] == "GR-2026-000001-12" and line["request"] == 7
    assert set(line) >= {"time", "level", "logger"}


@pytest.mark.django_db
def test_pages_name_the_sites_icon_so_the_browser_asks_for_no_missing_favicon(client):
    from django.contrib.staticfiles import finders

    for response in (client.get(reverse("login")), client.get("/no-such-page/")):
        assert b'<link rel="icon" href="/static/favicon.svg"' in response.content
    assert finders.find("favicon.svg")
