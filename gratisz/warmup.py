"""What a web process would otherwise do on its first requests, done at once.

Under ``gunicorn --preload`` (make serve) the application is loaded in the master before the
workers fork, so this runs once and every worker starts warm: without it the first agents and
callers after a start or a restart each waited a second or more, in every worker, for the
URLconf and its views (about half a second), the Hungarian holiday calendar (about 0.3 s a
year), the channel layer's Redis client and Celery's broker transport. Nothing here opens a
connection: a connection made before the fork would be shared by every worker.
"""

from importlib import import_module

from django.conf import settings
from django.utils.module_loading import import_string


def warm_up() -> None:
    import_module(settings.ROOT_URLCONF)

    from calls import opening_hours

    opening_hours.load_calendar()
    for layer in getattr(settings, "CHANNEL_LAYERS", {}).values():
        import_string(layer["BACKEND"])

    from kombu.transport import resolve_transport

    from gratisz.celery import app

    app.finalize(auto=True)  # the task registry, built when the first task is sent
    resolve_transport(app.conf.broker_url.split("://", 1)[0])  # imports the broker's client
