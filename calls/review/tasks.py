"""Periodic jobs of the review app. Each takes no arguments and calls one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def review_sync() -> int:
    """Refresh the call log rows and the board's counters of recent calls (idempotent)."""
    return services.review_sync()


@shared_task(acks_late=True)
def call_log_sync() -> int:
    """Refresh the call log rows of calls that changed since the last run (every few seconds)."""
    return services.call_log_sync()


@shared_task(acks_late=True)
def purge_recordings() -> int:
    """Delete recordings past the retention period that are not on legal hold (nightly)."""
    return len(services.recordings_purge())
