"""The Celery application; tasks are discovered in each app's ``tasks.py``."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")

app = Celery("gratisz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _task_database_connections(sender=None, **kwargs) -> None:
    """A task treats its database connection as a request does: before and after it, a
    connection that broke or outlived ``CONN_MAX_AGE`` is closed (with the connection pool:
    given back to it, which checks a connection before handing it out again).

    Celery's Django fixup would instead close every connection before and after each task, and
    with the pool, close the process's whole pool: each task started two new PostgreSQL
    backends (291 in a one-minute day of bench/load.py, 12 now), whose first queries cost the
    database more CPU than the pages' (its CPU in a 100-agent day: 20 s before, 12-15 s
    after). ``CELERY_DB_REUSE_MAX`` (settings) keeps the fixup to a full close every so many
    tasks. An eager task (the demo's, the tests') runs inside its caller's request or
    transaction, which keeps its connection."""
    from django.db import close_old_connections

    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()
