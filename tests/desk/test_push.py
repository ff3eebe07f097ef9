"""The desk's push connection: who may open it, and what it brings (a verified call reaches
every desk, a taken call leaves the others, the agent's call screen hears the caller leave)."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from calls import push
from calls.desk import services
from gratisz.asgi import application
from gratisz.roles import Role
from tests.calls.fake_provider import ClientTransport, FakeProvider
from tests.conftest import PASSWORD

from .conftest import STAFF_CODE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layer(settings):
    settings.PUBLIC_BASE_URL = "https://gratisz.example.hu"
    settings.TELEPHONY_AUTH_TOKEN = "test-auth-token-0123456789"
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield
    async_to_sync(layer.flush)()


def socket(client: Client | None = None, origin: str = "http://localhost"):
    headers = [(b"origin", origin.encode())]
    if client is not None and "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, "/ws/desk/", headers=headers)


def accepted(client=None, **kwargs) -> tuple[bool, int | None]:
    async def scenario():
        ws = socket(client, **kwargs)
        ok, code = await ws.connect()
        if ok:
            await ws.disconnect()
        return ok, code

    return async_to_sync(scenario)()


def test_a_verified_desk_user_opens_the_push_connection(login, agent, supervisor):
    assert accepted(login(agent, Client())) == (True, None)
    assert accepted(login(supervisor, Client()))[0]


def test_the_push_connection_refuses_who_may_not_use_the_desk(make_user, login, referent):
    assert accepted(None) == (False, 4403), "anonymous"
    assert accepted(login(referent, Client())) == (False, 4403), "no desk role"
    # Password given, second factor not yet: the session is not verified.
    half = Client()
    agent = make_user(Role.AGENT)
    assert half.post("/accounts/login/", {"username": agent.username, "password": PASSWORD})
    assert "sessionid" in half.cookies
    assert accepted(half) == (False, 4403), "no TOTP in this session"
    # Another site's page cannot open it with the agent's cookie.
    assert not accepted(login(agent, Client()), origin="https://evil.example")[0]


def test_the_desks_pages_on_another_port_open_the_push_connection(login, agent):
    """make serve: the pages on one port, the push server on another (DESK_SOCKET_URL)."""
    assert accepted(login(agent, Client()), origin="http://localhost:8000") == (True, None)


def test_a_verified_call_reaches_every_desk_and_a_taken_call_leaves_the_others(
    login, make_user, firm, line_open
):
    first, second = make_user(Role.AGENT), make_user(Role.AGENT)
    first_client, second_client = login(first, Client()), login(second, Client())
    provider = FakeProvider(ClientTransport(Client()))

    @sync_to_async
    def place_call():
        call = provider.call(from_number="+36301112233")
        call.press("1").press(firm.grid).press(STAFF_CODE)
        assert call.state == "queued"
        return call

    async def scenario():
        one, two = socket(first_client), socket(second_client)
        assert (await one.connect())[0] and (await two.connect())[0]
        call = await place_call()
        added = [await one.receive_json_from(timeout=2), await two.receive_json_from(timeout=2)]
        ticket_id = added[0]["id"]
        await sync_to_async(services.call_take)(ticket_id=ticket_id, agent=first)
        removed = await two.receive_json_from(timeout=2)
        await one.disconnect()
        await two.disconnect()
        return call, added, removed

    call, added, removed = async_to_sync(scenario)()
    for message in added:
        assert message["op"] == "queue-add"
        assert "+36301112233" in message["html"]["hu"] and "Átvétel" in message["html"]["hu"]
        assert firm.name in message["html"]["en"]
    assert removed == {"op": "queue-remove", "id": added[0]["id"], "sent": removed["sent"]}


def test_the_agents_call_screen_hears_the_caller_hang_up(login, agent, firm, on_call):
    handling = on_call(agent, firm)
    agent_client = login(agent, Client())
    provider = FakeProvider(ClientTransport(Client()))

    @sync_to_async
    def hang_up():
        provider.post(
            provider.status_callback,
            {"CallSid": handling.ticket.call_sid, "CallStatus": "completed"},
        )

    async def scenario():
        ws = socket(agent_client)
        assert (await ws.connect())[0]
        await hang_up()
        messages = [await ws.receive_json_from(timeout=2)]
        while not await ws.receive_nothing(timeout=0.2):
            messages.append(await ws.receive_json_from(timeout=1))
        await ws.disconnect()
        return messages

    messages = async_to_sync(scenario)()
    assert {"op": "call-changed", "ticket": handling.ticket_id} in [
        {k: v for k, v in m.items() if k != "sent"} for m in messages
    ]


def test_a_quiet_desk_keeps_its_push_connection(login, agent):
    # A consumer waited for Redis with a blocking pop of 5 s; a read timeout no longer than the
    # pop killed the consumer of a socket that heard nothing for a few seconds, and the desk
    # lost its push connection until the browser reconnected.
    layer = get_channel_layer()
    if "Redis" not in type(layer).__name__:
        pytest.skip("the Redis channel layer (make serve)")
    client = login(agent, Client())

    async def scenario():
        ws = socket(client)
        assert (await ws.connect())[0]
        await asyncio.sleep(7)  # nothing for longer than a blocking pop and a read timeout
        payload = {"op": "queue-remove", "id": 1}
        await layer.group_send(push.QUEUE_GROUP, {"type": push.EVENT_TYPE, "payload": payload})
        message = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return message

    assert async_to_sync(scenario)() == {"op": "queue-remove", "id": 1}


def test_pushes_from_a_thread_without_event_loop_arrive_in_order_on_one_kept_loop(login, agent):
    """The IVR's WSGI workers and the Celery tasks push from threads with no event loop behind
    them: each push arrives, in order, and no push starts a thread (or a connection) of its own."""
    layer = get_channel_layer()
    if "Redis" not in type(layer).__name__:
        pytest.skip("the Redis channel layer (make serve)")
    client = login(agent, Client())

    def worker(first: int) -> list[threading.Thread]:
        for ticket in range(first, first + 5):
            push.send(push.QUEUE_GROUP, {"op": "queue-remove", "id": ticket})
        return [thread for thread in threading.enumerate() if thread.name == "push"]

    async def scenario():
        ws = socket(client)
        assert (await ws.connect())[0]
        threads = [await asyncio.to_thread(worker, first) for first in (0, 5)]
        ids = [(await ws.receive_json_from(timeout=5))["id"] for _ in range(10)]
        await ws.disconnect()
        return threads, ids

    threads, ids = async_to_sync(scenario)()
    assert ids == list(range(10))
    assert len(threads[0]) == 1 and threads[1] == threads[0]  # the same loop's thread for all
