"""The recordings' audio from the provider: download a completed recording into our storage
(``services.recording_store``), then delete the provider's copy; the sweep finds the downloads
whose task was lost. The provider is asked through ``calls.telephony``'s backend."""

import datetime
import enum
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from calls.models import CallRecording
from calls.telephony.backends import get_backend
from calls.telephony.errors import (
    PermanentTelephonyError,
    RecordingNotFound,
    TransientTelephonyError,
)

from .models import RecordingFile
from .services import recording_store

logger = logging.getLogger(__name__)


class FetchResult(enum.StrEnum):
    """What ``recording_fetch`` and ``recording_provider_delete`` did."""

    STORED = "stored"
    STORED_BEFORE = "stored before"
    DELETED = "deleted"  # at the provider (also when it no longer had it)
    NOT_COMPLETED = "not completed"  # no such recording, not completed, or not stored
    NO_PROVIDER = "no provider"  # the backend keeps no recordings (the demo)
    BUSY = "busy"  # another task is fetching it
    FAILED = "failed"
    RETRY = "retry"


# Twilio may answer 404 for a moment right after the recording completed: that many tries.
RECORDING_NOT_FOUND_TRIES = 3
_GAVE_UP = "gave up"


def _fetch_mark(recording: CallRecording) -> str:
    return f"calls:recording-fetch:{recording.recording_sid}"


def _fetch_lease() -> int:
    """Return the seconds a fetch is one task's: past its longest wait between two tries, so
    that only a task lost with the broker leaves the recording to the sweep."""
    return settings.TELEPHONY_RECORDING_RETRY_MAX_SECONDS + 2 * settings.TELEPHONY_TIMEOUT + 60


def _fetch_claim(recording: CallRecording, owner: str) -> bool:
    """Claim the fetch of ``recording`` for the task ``owner`` (its retries keep the id), in
    the cache. Without a cache the claim is granted: a second download is only waste."""
    key = _fetch_mark(recording)
    try:
        if cache.add(key, owner, timeout=_fetch_lease()) or cache.get(key) == owner:
            cache.set(key, owner, timeout=_fetch_lease())
            return True
        return False
    except Exception:
        logger.warning("cache unavailable: fetching recording %s unclaimed", recording.pk)
        return True


def _fetch_mark_set(recording: CallRecording, value: str | None, timeout: int = 0) -> None:
    try:
        if value is None:
            cache.delete(_fetch_mark(recording))
        else:
            cache.set(_fetch_mark(recording), value, timeout=timeout)
    except Exception:
        logger.warning("cache unavailable: the fetch mark of recording %s", recording.pk)


def recording_fetch(*, recording_id: int, owner: str, attempt: int = 0) -> FetchResult:
    """Download the audio of a completed recording from the provider and keep it with
    ``services.recording_store``, once.

    Nothing is asked when the audio is already stored (also once purged: the provider's copy
    was deleted then), when the recording has not completed, with a backend that keeps no
    recordings (the demo), or while another task (``owner`` is the task's id) is fetching it.
    Nothing is stored unless the whole audio arrived. Returns ``STORED``, ``RETRY`` after a
    temporary failure (a 404 too during the first ``RECORDING_NOT_FOUND_TRIES`` tries: the
    provider may not have the file yet), ``FAILED`` after a permanent one (logged as an error;
    the sweep leaves it alone), or why nothing was done. Side effects: the ``RecordingFile``
    and its file; a mark in the cache while a task is responsible for the fetch.
    """
    recording = CallRecording.objects.select_related("ticket").filter(pk=recording_id).first()
    if recording is None or recording.status != CallRecording.COMPLETED:
        return FetchResult.NOT_COMPLETED
    if RecordingFile.objects.filter(recording=recording).exists():
        return FetchResult.STORED_BEFORE
    backend = get_backend()
    if not backend.fetches_recordings:
        return FetchResult.NO_PROVIDER
    if not _fetch_claim(recording, owner):
        return FetchResult.BUSY
    if RecordingFile.objects.filter(recording=recording).exists():  # stored as we claimed
        _fetch_mark_set(recording, None)
        return FetchResult.STORED_BEFORE
    try:
        content, content_type = backend.recording_download(
            account_sid=recording.ticket.account_sid, recording_sid=recording.recording_sid
        )
    except RecordingNotFound as exc:
        if attempt + 1 >= RECORDING_NOT_FOUND_TRIES:
            recording_fetch_give_up(recording_id=recording.pk, reason=str(exc))
            return FetchResult.FAILED
        logger.warning("recording %s not at the provider yet: %s", recording.pk, exc)
        return FetchResult.RETRY
    except TransientTelephonyError as exc:
        logger.warning("downloading recording %s failed for now: %s", recording.pk, exc)
        return FetchResult.RETRY
    except PermanentTelephonyError as exc:
        recording_fetch_give_up(recording_id=recording.pk, reason=str(exc))
        return FetchResult.FAILED
    recording_store(recording=recording, content=content, content_type=content_type)
    _fetch_mark_set(recording, None)
    logger.info("recording %s stored (%s bytes)", recording.pk, len(content))
    return FetchResult.STORED


def recording_fetch_give_up(*, recording_id: int, reason: str) -> None:
    """Log that the audio of a recording could not be downloaded, and keep the sweep from
    trying it again (the provider keeps its copy: nothing deletes it)."""
    recording = CallRecording.objects.filter(pk=recording_id).first()
    if recording is None:
        return
    logger.error(
        "recording %s (%s) of call %s could not be downloaded: %s",
        recording.pk,
        recording.recording_sid,
        recording.ticket_id,
        reason,
    )
    _fetch_mark_set(recording, _GAVE_UP, timeout=settings.TELEPHONY_RECORDING_SWEEP_HOURS * 3600)


def recording_provider_delete(*, recording_id: int) -> FetchResult:
    """Delete the provider's copy of a recording whose audio we keep, so that it is not kept
    past our retention. Never without our copy. Returns ``DELETED`` (also when the provider
    no longer has it), ``RETRY`` after a temporary failure, ``FAILED`` (logged) or why nothing
    was done."""
    recording = CallRecording.objects.select_related("ticket").filter(pk=recording_id).first()
    if recording is None or not RecordingFile.objects.filter(recording=recording).exists():
        return FetchResult.NOT_COMPLETED
    backend = get_backend()
    if not backend.fetches_recordings:
        return FetchResult.NO_PROVIDER
    try:
        backend.recording_delete(
            account_sid=recording.ticket.account_sid, recording_sid=recording.recording_sid
        )
    except RecordingNotFound:
        pass  # deleted already (a repeated task)
    except TransientTelephonyError as exc:
        logger.warning(
            "deleting recording %s at the provider failed for now: %s", recording_id, exc
        )
        return FetchResult.RETRY
    except PermanentTelephonyError as exc:
        logger.error("the provider refused to delete recording %s: %s", recording_id, exc)
        return FetchResult.FAILED
    logger.info("recording %s deleted at the provider", recording_id)
    return FetchResult.DELETED


def recordings_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Return the ids of the completed recordings whose audio to fetch again: not stored,
    their callback more than ``TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS`` and less than
    ``TELEPHONY_RECORDING_SWEEP_HOURS`` ago, and no task responsible for them (their task was
    lost: queued while the broker was down, or dropped with a Redis restart). Ones given up
    on stay given up on."""
    if not get_backend().fetches_recordings:
        return []
    now = now or timezone.now()
    due = CallRecording.objects.filter(
        status=CallRecording.COMPLETED,
        stored_file__isnull=True,
        updated_at__lt=now
        - datetime.timedelta(seconds=settings.TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS),
        updated_at__gte=now - datetime.timedelta(hours=settings.TELEPHONY_RECORDING_SWEEP_HOURS),
    ).order_by("updated_at")[:200]
    candidates = list(due)
    try:
        marked = cache.get_many([_fetch_mark(r) for r in candidates])
    except Exception:
        logger.warning("cache unavailable: sweeping recordings without their marks")
        marked = {}
    return [r.pk for r in candidates if _fetch_mark(r) not in marked]
