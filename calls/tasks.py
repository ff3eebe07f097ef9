"""Celery tasks of the calls app: they take ids, load, and send. (The connection of a taken
call is the desk's task, the recordings' download the review's: ``calls.desk.tasks``,
``calls.review.tasks``.)"""

from celery import shared_task

# Imported so that the worker, which discovers each app's ``tasks`` module, registers the
# lock notice too.
from partners.verification import direkt_lock_notice_task  # noqa: F401

from . import services


@shared_task(name="calls.sweep_stale_calls")
def sweep_stale_calls() -> int:
    """End the calls the provider never reported as ended (runs from celery beat)."""
    return len(services.stale_calls_end())
