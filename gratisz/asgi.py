"""The ASGI application: Django's pages over HTTP, the desk's push connection over websockets.

``make serve`` runs it under gunicorn with uvicorn workers for the desk's push connections (its
pages come from sync WSGI workers apart, ``gratisz.wsgi``); ``make run`` under daphne's
``runserver``, pages and push alike. A websocket from a host not allowed is refused; the session
cookie authenticates it.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import resolve, set_script_prefix

from boundary.lanes import is_long_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")
# Threads a web worker serves pages on. One: a second thread would not run the pages' Python any
# faster (one interpreter lock a process), and every thread waiting for the database waits
# again for the lock (100 agents, bench/load.py: a page's queries took 68 ms at the mean on a
# thread of its own, 29 ms on one thread a worker). Pages queue for the thread instead, and
# the worker's event loop keeps the websockets.
WEB_THREADS = int(os.environ.get("WEB_THREADS", "1"))
# And threads for the requests marked as long (boundary.lanes: a bulk import, a large export),
# so that one never holds up the pages queued for the page thread.
WEB_LONG_THREADS = int(os.environ.get("WEB_LONG_THREADS", "2"))


class OneCrossingASGIHandler(ASGIHandler):
    """Django's ASGI handler, with a page served in one trip to a kept thread.

    Every view here is sync, and so are WhiteNoise and some of the house's middlewares. Django's
    own handler builds the middleware chain for the event loop, so that every piece of the other
    kind costs a crossing between the loop and a thread: six on every page. And each request gets
    a thread of its own, started for it and stopped after it, while the event loop waits for it
    to start. Here the request's start signal, the whole chain, the view and the end of the
    request run as one call on the worker's page thread (``WEB_THREADS``), kept from one request
    to the next, as under WSGI; the event loop keeps the websockets and reads and writes bodies.
    The request's end (``request_finished``) runs on the thread that served it, so that its
    database connection goes back to the pool there. A streamed response (a PDF, the call log's
    export) is sent and closed as Django does. A request for a view marked as long
    (``boundary.lanes``) runs on threads of its own, so that the pages never queue behind it.

    With 100 agents (bench/load.py, two runs close in time) the one trip took the desk workers'
    CPU a request from 25 to 20 ms.
    """

    def load_middleware(self, is_async=False):
        """Build the chain for one sync call, whatever the handler asks for: built once, at
        start-up (WhiteNoise, for one, reads the static files' folder as it is built)."""
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self.respond(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        """The request, from its start signal to its end (unless its response is streamed)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        if not response.streaming:
            response.close()  # request_finished
            return response
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        close_old_connections()  # the view's connection: its content is read on another thread
        return response

    respond_page = sync_to_async(
        _respond, thread_sensitive=False, executor=ThreadPoolExecutor(max_workers=WEB_THREADS)
    )
    respond_long = sync_to_async(
        _respond, thread_sensitive=False, executor=ThreadPoolExecutor(max_workers=WEB_LONG_THREADS)
    )

    def respond(self, scope, body_file):
        """Serve the request on the page thread, or on the long requests' threads."""
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        try:
            long = is_long_request(resolve(path).func)
        except Exception:  # noqa: BLE001 - no match, or an odd path: Django answers it as a page
            long = False
        return (self.respond_long if long else self.respond_page)(scope, body_file)


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
