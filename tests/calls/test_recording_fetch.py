"""A completed recording's audio is downloaded from the provider (a faithful fake Twilio REST API
on loopback) into our storage, where supervisors replay it; then the provider's copy is deleted.
"""

import logging
import secrets

import pytest
from django.urls import reverse

from calls.models import CallRecording
from calls.review.models import RecordingFile
from calls.review.recordings import FetchResult
from calls.review.tasks import (
    delete_provider_recording_task,
    fetch_recording_task,
    sweep_recordings,
)
from gratisz.roles import Role
from tests.calls.conftest import STAFF_CODE
from tests.calls.fake_provider import ACCOUNT_SID

from .fake_twilio_api import FakeMediaStorage, FakeTwilioAPI

pytestmark = pytest.mark.django_db

# An MP3 as Twilio serves it: an ID3 tag, then MPEG frames (a rising pattern, so halves differ).
AUDIO = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(
    (0xFF, 0xFB, 0x50, 0xC4) + tuple(i % 251 for i in range(4000))
)


@pytest.fixture
def storage():
    media = FakeMediaStorage().start()
    yield media
    media.stop()


def start_api(settings, *, auth_token=None, media_storage=None) -> FakeTwilioAPI:
    api = FakeTwilioAPI(
        ACCOUNT_SID, auth_token or settings.TELEPHONY_AUTH_TOKEN, media_storage=media_storage
    ).start()
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.twilio.TwilioBackend"
    settings.TELEPHONY_ACCOUNT_SID = ACCOUNT_SID
    settings.TELEPHONY_API_BASE_URL = api.url
    settings.TELEPHONY_TIMEOUT = 5
    return api


@pytest.fixture
def twilio(settings, tmp_path, storage):
    """Twilio as it is: the media URL redirects to its storage host."""
    settings.MEDIA_ROOT = tmp_path / "media"
    api = start_api(settings, media_storage=storage)
    yield api
    api.stop()


@pytest.fixture
def recorded_call(provider, firm):
    """A caller who got through the IVR to the queue, where the recording started; returns a
    function that sends the recording status callback (the recording is at the provider)."""
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)

    def callback(api, callbacks, *, status="completed", recording_sid=None):
        recording_sid = recording_sid or "RE" + secrets.token_hex(16)
        if api is not None:
            api.recordings.setdefault(recording_sid, AUDIO)
        base = api.url if api is not None else "https://api.twilio.com"
        params = {
            "CallSid": call.sid,
            "AccountSid": ACCOUNT_SID,
            "RecordingSid": recording_sid,
            "RecordingUrl": f"{base}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}",
            "RecordingStatus": status,
            "RecordingDuration": "42",
        }
        with callbacks(execute=True):
            exchange = provider.post(provider.base_url + "/ivr/recording/", params)
        assert exchange.status == 204
        return CallRecording.objects.get(recording_sid=recording_sid)

    return callback


def test_completed_recording_is_stored_replayed_by_a_supervisor_and_deleted_at_the_provider(
    twilio, storage, recorded_call, django_capture_on_commit_callbacks, login, make_user
):
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    stored = RecordingFile.objects.get(recording=recording)
    assert stored.content_type == "audio/mpeg" and stored.size == len(AUDIO)
    # Fetched once through Twilio's redirect; our credentials never went to the storage host.
    assert twilio.media_requests == [recording.recording_sid]
    assert len(storage.requests) == 1
    assert "Authorization" not in storage.requests[0]
    # The provider keeps no copy beyond our retention.
    assert twilio.deleted == [recording.recording_sid]
    assert recording.recording_sid not in twilio.recordings

    client = login(make_user(Role.SUPERVISOR))
    page = client.get(reverse("review:call", args=[recording.ticket_id]))
    audio_url = reverse("review:audio", args=[recording.pk])
    assert f'<audio controls preload="none" src="{audio_url}">' in page.content.decode()
    response = client.get(audio_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert b"".join(response.streaming_content) == AUDIO


def test_an_agent_cannot_replay_the_fetched_recording(
    twilio, recorded_call, django_capture_on_commit_callbacks, client, login, make_user
):
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    assert RecordingFile.objects.filter(recording=recording).exists()
    agent = login(make_user(Role.AGENT), client)
    assert agent.get(reverse("review:audio", args=[recording.pk])).status_code == 403
    assert agent.get(reverse("review:call", args=[recording.ticket_id])).status_code == 403


def test_a_redelivered_callback_downloads_nothing_again(
    twilio, recorded_call, django_capture_on_commit_callbacks
):
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    again = recorded_call(
        twilio, django_capture_on_commit_callbacks, recording_sid=recording.recording_sid
    )
    assert again.pk == recording.pk
    # A redelivered task message does not download either.
    assert fetch_recording_task.delay(recording.pk).get() == FetchResult.STORED_BEFORE
    assert twilio.media_requests == [recording.recording_sid]
    assert RecordingFile.objects.count() == 1


def test_a_recording_in_progress_is_not_fetched(
    twilio, recorded_call, django_capture_on_commit_callbacks
):
    recording = recorded_call(twilio, django_capture_on_commit_callbacks, status="in-progress")
    assert twilio.requests == 0
    assert not RecordingFile.objects.filter(recording=recording).exists()


def test_a_provider_without_the_file_yet_or_failing_is_tried_again_then_the_audio_is_stored(
    twilio, storage, recorded_call, django_capture_on_commit_callbacks, caplog
):
    # Right after completion Twilio may not have the file; then a 503; then the download
    # from its storage host breaks off halfway; then it works.
    twilio.fail_next = [404, 503]
    storage.cut_media_next = 1
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    assert "not at the provider yet" in caplog.text
    assert "broken off" in caplog.text
    stored = RecordingFile.objects.get(recording=recording)
    assert stored.file.read() == AUDIO
    assert twilio.media_requests == [recording.recording_sid] * 2  # the 404 and 503 came first
    assert twilio.deleted == [recording.recording_sid]


def test_a_download_that_keeps_breaking_off_stores_nothing(
    settings, twilio, storage, recorded_call, django_capture_on_commit_callbacks, caplog
):
    settings.TELEPHONY_RECORDING_FETCH_ATTEMPTS = 2
    storage.cut_media_next = 2
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    assert "could not be downloaded" in caplog.text
    assert not RecordingFile.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.mp3"))
    assert twilio.deleted == [] and recording.recording_sid in twilio.recordings


def test_a_wrong_auth_token_fails_for_good_logged_with_nothing_stored_or_deleted(
    settings, tmp_path, recorded_call, django_capture_on_commit_callbacks, caplog, login, make_user
):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = start_api(settings, auth_token="the-token-was-rotated-at-the-provider")
    try:
        caplog.set_level(logging.INFO, logger="calls.review.recordings")
        recording = recorded_call(api, django_capture_on_commit_callbacks)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "could not be downloaded: 401 20003" in errors[0].getMessage()
        assert api.requests == 1  # a refusal is not tried again
        assert not RecordingFile.objects.exists()
        assert recording.recording_sid in api.recordings and api.deleted == []
        # The sweep leaves a recording given up on alone.
        settings.TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS = 0
        assert sweep_recordings.delay().get() == 0
        page = login(make_user(Role.SUPERVISOR)).get(
            reverse("review:call", args=[recording.ticket_id])
        )
        assert "<audio" not in page.content.decode()
    finally:
        api.stop()


def test_with_the_setting_off_the_provider_keeps_its_copy(
    settings, twilio, recorded_call, django_capture_on_commit_callbacks
):
    settings.TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH = False
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    assert RecordingFile.objects.filter(recording=recording).exists()
    assert twilio.deleted == [] and recording.recording_sid in twilio.recordings


def test_a_failing_delete_is_retried_and_never_loses_our_copy(
    settings, twilio, recorded_call, django_capture_on_commit_callbacks, caplog
):
    settings.TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH = False
    recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    settings.TELEPHONY_RECORDING_FETCH_ATTEMPTS = 3
    twilio.fail_next = [503] * 3
    assert delete_provider_recording_task.delay(recording.pk).get() == FetchResult.FAILED
    assert "stays at the provider" in caplog.text
    assert RecordingFile.objects.get(recording=recording).file.read() == AUDIO
    twilio.fail_next = [500]
    assert delete_provider_recording_task.delay(recording.pk).get() == "deleted"
    assert twilio.deleted == [recording.recording_sid]
    # Already gone at the provider (a repeated task): nothing to do, still deleted.
    assert delete_provider_recording_task.delay(recording.pk).get() == "deleted"
    assert RecordingFile.objects.get(recording=recording).file.read() == AUDIO


def test_with_the_broker_down_the_callback_is_answered_and_the_sweep_fetches_later(
    settings, twilio, recorded_call, django_capture_on_commit_callbacks, broker_down, caplog
):
    with broker_down():
        recording = recorded_call(twilio, django_capture_on_commit_callbacks)
    assert "could not queue the download" in caplog.text  # the broker really was down
    assert not RecordingFile.objects.exists()
    settings.TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS = 3600
    assert sweep_recordings.delay().get() == 0  # within the grace period: its task may come
    settings.TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS = 0
    assert sweep_recordings.delay().get() == 1
    assert RecordingFile.objects.get(recording=recording).file.read() == AUDIO
    assert sweep_recordings.delay().get() == 0


def test_the_demo_backend_asks_no_provider(
    settings, tmp_path, recorded_call, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = start_api(settings)
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
    try:
        recording = recorded_call(api, django_capture_on_commit_callbacks)
        assert fetch_recording_task.delay(recording.pk).get() == FetchResult.NO_PROVIDER
        settings.TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS = 0
        assert sweep_recordings.delay().get() == 0
        assert api.requests == 0
        assert not RecordingFile.objects.exists()
    finally:
        api.stop()
