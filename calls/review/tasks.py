"""Celery tasks of the review app: the periodic jobs, and the recordings' download from the
provider and deletion there. They take ids, load, and call one service."""

import logging

from celery import shared_task
from django.conf import settings

from calls.telephony.retry import recording_retry_policy

from . import recordings, services
from .recordings import FetchResult

logger = logging.getLogger(__name__)


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


@shared_task(
    bind=True,
    name="calls.fetch_recording",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def fetch_recording_task(self, recording_id: int) -> str:
    """Download a completed recording's audio from the provider into our storage, then have
    the provider's copy deleted (``TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH``).

    Idempotent (``recordings.recording_fetch`` downloads nothing once the audio is stored, and
    only one task fetches a recording at a time), so a redelivered message is harmless.
    Temporary failures are tried again with back-off (``calls.telephony.retry``); after
    ``TELEPHONY_RECORDING_FETCH_ATTEMPTS`` tries the failure is logged and the provider keeps
    its copy.
    """
    state = recordings.recording_fetch(
        recording_id=recording_id, owner=self.request.id or "", attempt=self.request.retries
    )
    if state == FetchResult.STORED and settings.TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH:
        try:
            delete_provider_recording_task.delay(recording_id)
        except Exception:
            # Our copy is safe; the provider keeps its copy (its own retention applies).
            logger.exception("could not queue the provider deletion of recording %s", recording_id)
    if state != FetchResult.RETRY:
        return state
    policy, attempts = recording_retry_policy(), self.request.retries + 1
    if policy.exhausted(attempts):
        recordings.recording_fetch_give_up(
            recording_id=recording_id, reason="the provider failed every try"
        )
        return FetchResult.FAILED
    raise self.retry(countdown=policy.delay(attempts))


@shared_task(
    bind=True,
    name="calls.delete_provider_recording",
    acks_late=True,
    max_retries=None,
)
def delete_provider_recording_task(self, recording_id: int) -> str:
    """Delete the provider's copy of a recording we keep (idempotent: a recording already
    gone counts as deleted). Temporary failures are tried again with back-off; a failure is
    logged and never touches our copy."""
    state = recordings.recording_provider_delete(recording_id=recording_id)
    if state != FetchResult.RETRY:
        return state
    policy, attempts = recording_retry_policy(), self.request.retries + 1
    if policy.exhausted(attempts):
        logger.error("recording %s stays at the provider: deleting it kept failing", recording_id)
        return FetchResult.FAILED
    raise self.retry(countdown=policy.delay(attempts))


@shared_task(name="calls.sweep_recordings")
def sweep_recordings() -> int:
    """Queue again the fetches of completed recordings whose task was lost (celery beat)."""
    due = recordings.recordings_sweep()
    for recording_id in due:
        fetch_recording_task.delay(recording_id)
    return len(due)
