"""The ASGI application's pages (make run, or one server for pages and push): each served in one
trip to the worker's kept page thread, a long request beside it, a streamed response (a static
file, an export) whole, the database connection given back on the thread that used it."""

import asyncio
import json
import threading

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core import signals
from django.db import connections

from gratisz.asgi import WEB_THREADS, django_application

pytestmark = pytest.mark.django_db(transaction=True)


def scope_of(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"accept-language", b"hu")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def response_of(app: ApplicationCommunicator) -> tuple[int, dict[bytes, bytes], bytes]:
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await app.receive_output(10)
    body = b""
    while True:
        message = await app.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await app.wait(10)
    return start["status"], dict(start["headers"]), body


@async_to_sync
async def get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    return await response_of(ApplicationCommunicator(django_application, scope_of(path)))


def test_a_page_is_served_in_hungarian():
    status, headers, body = get("/accounts/login/")
    assert status == 200
    assert "Bejelentkezés".encode() in body
    assert b"default-src 'self'" in headers[b"Content-Security-Policy"]


def test_the_request_ends_on_its_thread_and_gives_its_database_connection_back():
    served = []

    def note(**kwargs):
        served.append((threading.get_ident(), connections["default"]))

    signals.request_finished.connect(note)
    try:
        status, _headers, body = get("/health/ready/")
    finally:
        signals.request_finished.disconnect(note)
    assert json.loads(body)["checks"]["database"]["status"] == "ok"
    [(thread, its_connection)] = served
    assert thread != threading.get_ident()
    assert its_connection.connection is None  # closed (under PostgreSQL: back in the pool)


def test_a_static_file_is_streamed_whole():
    status, headers, body = get("/static/calls/demo_phone.js")
    assert status == 200
    assert body == (settings.BASE_DIR / "static/calls/demo_phone.js").read_bytes()


def test_pages_are_served_on_the_workers_kept_page_threads():
    threads = set()

    def note(**kwargs):
        threads.add(threading.get_ident())

    signals.request_started.connect(note)
    try:
        for _ in range(20):
            assert get("/accounts/login/")[0] == 200
    finally:
        signals.request_started.disconnect(note)
    assert len(threads) <= WEB_THREADS  # not a thread started for each request


def test_a_long_request_does_not_hold_up_the_pages(settings):
    """A bulk import or a large export (marked with boundary.lanes.long_request) runs on threads
    of its own: the pages queued for the worker's page thread are served meanwhile."""
    from tests.gratisz import lanes_urls

    settings.ROOT_URLCONF = "tests.gratisz.lanes_urls"
    lanes_urls.release.clear()

    @async_to_sync
    async def scenario():
        long = asyncio.ensure_future(
            response_of(ApplicationCommunicator(django_application, scope_of("/long/")))
        )
        await asyncio.sleep(0.2)
        page = await response_of(ApplicationCommunicator(django_application, scope_of("/page/")))
        waiting = not long.done()
        lanes_urls.release.set()
        return page, waiting, await long

    page, long_was_waiting, long = scenario()
    assert page[2] == b"page" and long_was_waiting
    assert long[2] == b"long"


def test_the_bulk_import_and_the_workbook_export_are_long_requests():
    from django.urls import resolve, reverse

    from boundary.lanes import is_long_request

    assert is_long_request(resolve(reverse("api:sync")).func)
    assert is_long_request(resolve(reverse("review:export-xlsx")).func)
    assert not is_long_request(resolve(reverse("review:export-csv")).func)  # its rows stream
    assert not is_long_request(resolve(reverse("desk:home")).func)


@pytest.mark.parametrize("path", ["/desk/call/" + "9" * 40 + "/", "/a\x00b/", "/%ff/", "/" * 3000])
def test_an_odd_path_gets_an_answer_not_a_server_error(path):
    assert get(path)[0] in (302, 400, 404)
