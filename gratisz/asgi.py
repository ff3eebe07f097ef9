"""The ASGI application: Django's pages over HTTP, the desk's push connection over websockets.

``make serve`` runs it under gunicorn with uvicorn workers; ``make run`` under daphne's
``runserver``. A websocket from another origin is refused; the session cookie authenticates it.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")
django_application = get_asgi_application()  # sets Django up before the consumers import

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
