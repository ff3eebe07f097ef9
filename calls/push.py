"""Push the desk's live changes to the agents' browsers, over Django Channels.

One door, ``ticket_changed``: the services where a call's state changes (the IVR queueing a
verified caller, the provider's callbacks, the desk taking a call, the connection to the agent's
phone) call it inside their transaction; after the commit it tells

- every desk (group ``desk.queue``) that the call joined the queue (with its row, rendered once
  per language) or left it;
- the agent who holds the call (group ``desk.agent.<id>``) that its state changed: the call
  screen fetches its live part again.

A push that fails (the channel layer is down) is logged and forgotten: the browsers fall back to
polling, and a caller must never wait for the desk. The consumer is ``calls.desk.consumers``.
"""

import asyncio
import logging
import os
import threading
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import CallTicket

logger = logging.getLogger(__name__)

QUEUE_GROUP = "desk.queue"
PRESENCE_GROUP = "desk.presence"  # supervisors: who is available, on a call, in wrap-up
EVENT_TYPE = "desk.event"  # the consumer's handler: ``desk_event``


def agent_group(agent_id: int) -> str:
    return f"desk.agent.{agent_id}"


def ticket_changed(ticket_id: int) -> None:
    """After the commit, tell the desks what became of call ticket ``ticket_id``."""
    transaction.on_commit(partial(_ticket_push, ticket_id))


def handling_changed(handling_id: int) -> None:
    """After the commit, tell the agent's call screen that its call's connection changed."""
    ticket_id = CallTicket.objects.filter(handling__pk=handling_id).values_list("pk", flat=True)
    for pk in ticket_id[:1]:
        ticket_changed(pk)


def presence_changed(agent_id: int) -> None:
    """After the commit, tell the agent's own desks (other tabs) and the supervisors' boards
    that the agent's presence changed."""
    transaction.on_commit(partial(_presence_push, agent_id))


def _presence_push(agent_id: int) -> None:
    payload = {"op": "presence", "agent": agent_id}
    send(agent_group(agent_id), payload)
    send(PRESENCE_GROUP, payload)


class _PushLoop:
    """An event loop on a thread of its own, one a process, for the pushes of its sync code
    (the desk's pages, the IVR's webhooks, the Celery tasks) over the Redis channel layer.

    ``async_to_sync`` in a thread with no event loop behind it (the IVR's WSGI workers, the
    Celery workers) starts a loop and a thread for each push, and the layer opens a Redis
    connection for each loop: 4.7 ms a push. Here the loop, its thread and its connection are
    kept. Started at the first push of a process (gunicorn and Celery fork their workers)."""

    TIMEOUT = 1.0  # seconds: a push that takes longer is logged; the desks fall back to polling

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine) -> None:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(target=self._loop.run_forever, name="push", daemon=True).start()
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(self.TIMEOUT)


_push_loop = _PushLoop()


def send(group: str, payload: dict) -> None:
    """Send ``payload`` (JSON-able, with ``op``) to the browsers in ``group``, now."""
    layer = get_channel_layer()
    if layer is None:
        return
    payload = {**payload, "sent": round(timezone.now().timestamp() * 1000)}
    message = {"type": EVENT_TYPE, "payload": payload}
    try:
        if isinstance(layer, InMemoryChannelLayer):
            # make run's single server: the sockets' queues belong to its own event loop.
            async_to_sync(layer.group_send)(group, message)
        else:
            _push_loop.run(layer.group_send(group, message))
    except Exception:
        logger.exception("could not push %s to %s", payload.get("op"), group)


def queue_row_html(ticket) -> dict[str, str]:
    """Render the queue's row of a waiting ticket once in each language of the site."""
    rows: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rows[code] = render_to_string("desk/_queue_row.html", {"t": ticket, "live": True})
    return rows


def _ticket_push(ticket_id: int) -> None:
    ticket = CallTicket.objects.select_related("firm", "handling").filter(pk=ticket_id).first()
    if ticket is None:
        return
    if ticket.state == CallTicket.State.WAITING and ticket.firm_id and ticket.verified_at:
        send(QUEUE_GROUP, {"op": "queue-add", "id": ticket.pk, "html": queue_row_html(ticket)})
    else:
        send(QUEUE_GROUP, {"op": "queue-remove", "id": ticket.pk})
    try:
        handling = ticket.handling
    except ObjectDoesNotExist:  # a reverse one-to-one: none yet
        return
    if handling.closed_at is None:
        send(agent_group(handling.agent_id), {"op": "call-changed", "ticket": ticket.pk})
