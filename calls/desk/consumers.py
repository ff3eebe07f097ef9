"""The desk's push connection: a websocket per open desk page (``/ws/desk/``).

Only a logged-in user whose session passed the second factor (TOTP) and who may use the desk
is accepted; any other is refused before the handshake completes (close code 4403). The
consumer joins the queue's group and the agent's own group, and forwards what
``calls.push`` sends there; it never reads anything the browser sends.
"""

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from calls import push

REFUSED = 4403


@database_sync_to_async
def _reviews_calls(user) -> bool:
    return user.has_perm("gratisz.review_calls")


@database_sync_to_async
def _may_use_desk(user, session) -> bool:
    """Tell whether ``user`` is logged in, OTP-verified in this session, and a desk user (the
    rules of ``RequireOTPMiddleware`` and ``desk_view``, for a socket)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return False
    return user.has_perm("gratisz.use_desk")


class DeskConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        """Hand ``message`` to its handler, without Channels' closing of stale database
        connections first: that costs a trip to a thread for every push to every socket, and
        the only handler here that reads the database goes through ``database_sync_to_async``,
        which does it itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if not await _may_use_desk(user, self.scope.get("session")):
            await self.close(code=REFUSED)
            return
        self.groups_joined = [push.QUEUE_GROUP, push.agent_group(user.pk)]
        if await _reviews_calls(user):
            self.groups_joined.append(push.PRESENCE_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Ignore what the browser sends: the socket only pushes."""

    async def desk_event(self, event):
        await self.send_json(event["payload"])
