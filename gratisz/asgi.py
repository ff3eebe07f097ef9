"""The ASGI application: Django's pages over HTTP, the desk's push connection over websockets.

``make serve`` runs it under gunicorn with uvicorn workers; ``make run`` under daphne's
``runserver``. A websocket from another origin is refused; the session cookie authenticates it.
"""

import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")


class OneCrossingASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware chain and the view run as one sync call.

    Every view here is sync, and so are WhiteNoise and some of the house's middlewares. Django's
    own handler builds the chain for the event loop, and every piece of the other kind costs a
    crossing between the loop and a thread: six on every page (into the chain, back to the loop
    under the house's middlewares, Messages' two halves, X-Frame-Options, the view). Here a
    request crosses once, as it would under WSGI, while the event loop keeps the websockets
    and reads and writes the bodies. With 100 agents (bench/load.py, two runs close in time)
    the desk workers' CPU a request went from 25 to 20 ms.
    """

    def load_middleware(self, is_async=False):
        """Build the chain for one sync call, whatever the handler asks for: built once, at
        start-up (WhiteNoise, for one, reads the static files' folder as it is built)."""
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django.setup(set_prefix=False)  # before the consumers import
django_application = OneCrossingASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from calls.desk.routing import websocket_urlpatterns  # noqa: E402
from gratisz.warmup import warm_up  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Load now what the first requests would (see gratisz.warmup): once, before the workers fork.
warm_up()
