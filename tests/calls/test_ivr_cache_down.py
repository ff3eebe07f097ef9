"""Redis (the cache) down: the IVR goes on with the prompts from the database.

bench/faults.py found it: during a Redis restart every incoming call got a 500, because the
IVR's prompts are cached there. The cache is a shortcut, never a dependency of a call.
"""

import socket

import pytest
from django.core.cache import cache

from calls.models import CallTicket
from tests.calls.conftest import STAFF_CODE
from tests.calls.fake_provider import ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once the socket is closed


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever redis raises
        cache.get("anything")
    return settings


@pytest.mark.usefixtures("line_open", "cache_down")
def test_a_call_gets_through_the_ivr_while_the_cache_is_down(client, firm):
    provider = FakeProvider(ClientTransport(client))
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued", call.heard
    assert all(exchange.status == 200 for exchange in call.exchanges)
    assert CallTicket.objects.get(call_sid=call.sid).state == CallTicket.State.WAITING
