"""What a web process would otherwise do on its first requests, done at once.

Under ``gunicorn --preload`` (make serve) the application is loaded in the master before the
workers fork, so this runs once and every worker starts warm: without it the first agents and
callers after a start or a restart each waited a second or more, in every worker, for the
URLconf and its views (about half a second), the URL resolver's reverse table (85 ms, on the
first built URL: each IVR answer has its action URLs), the templates (compiled on first use:
50 ms for the queue row a queued caller pushes to the desks; 100 ms for the forms' widgets),
the Hungarian holiday calendar (about 0.3 s a year), the channel layer's Redis client and
Celery's broker transport. Nothing here opens a connection: a connection made before the fork
would be shared by every worker.
"""

import contextlib
import gc
from importlib import import_module
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.template import engines
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import formats, translation
from django.utils.module_loading import import_string

TEMPLATE_SUFFIXES = (".html", ".txt")


def _reverse_tables() -> None:
    """Build the URL resolver's reverse tables, in each language (they are kept per language),
    the namespaces' included: a namespaced name is reversed through a resolver of its own."""
    root = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for namespace, (_prefix, resolver) in root.namespace_dict.items():
                name = next((key for key in resolver.reverse_dict if isinstance(key, str)), "")
                with contextlib.suppress(NoReverseMatch):  # built, whatever the arguments
                    reverse(f"{namespace}:{name}")


def _formats() -> None:
    """Load the date and number formats of each language, and the Hungarian phone numbering
    plan (phonenumbers loads a region's metadata on its first number)."""
    for code, _name in settings.LANGUAGES:
        formats.get_format("DATE_FORMAT", code)
    phonenumbers.parse("+3614623800")


def _templates() -> None:
    """Compile the project's own templates into the cached loader (the admin's and other
    packages' are left to their first use)."""
    for engine in engines.all():
        for folder in map(Path, engine.template_dirs):
            if not folder.is_relative_to(settings.BASE_DIR) or "site-packages" in folder.parts:
                continue
            for path in folder.rglob("*"):
                if path.suffix in TEMPLATE_SUFFIXES:
                    engine.get_template(path.relative_to(folder).as_posix())


def _form_templates() -> None:
    """Compile the form renderer's widget templates (``gratisz.renderers``: Django's own, in
    Jinja2): 46 of them, 100 ms, which the first form pages of every worker would share."""
    import django.forms
    from django.forms.renderers import get_default_renderer

    renderer = get_default_renderer()
    folder = Path(django.forms.__file__).parent / "jinja2"
    for path in folder.rglob("*.html"):
        renderer.get_template(path.relative_to(folder).as_posix())


def warm_up() -> None:
    import_module(settings.ROOT_URLCONF)
    _reverse_tables()
    _templates()
    _form_templates()
    _formats()

    from calls import opening_hours

    opening_hours.load_calendar()
    for layer in getattr(settings, "CHANNEL_LAYERS", {}).values():
        import_string(layer["BACKEND"])

    from kombu.transport import resolve_transport

    from gratisz.celery import app

    app.finalize(auto=True)  # the task registry, built when the first task is sent
    resolve_transport(app.conf.broker_url.split("://", 1)[0])  # imports the broker's client

    # What is loaded now lives as long as the process: out of the garbage collector's sight.
    # Each full collection walked all of it (Django, the URLconf, the templates), stopping the
    # worker's every request for 100 to 400 ms, the IVR's slowest answers under 100 agents; and
    # a worker's collections no longer write to the pages it shares with the others after the
    # fork.
    gc.freeze()
