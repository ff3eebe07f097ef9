"""Recordings: streamed after the permission check, seekable, every playback audited; the
retention purge and the legal hold."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from calls.review import services, tasks
from calls.review.models import PlaybackEvent, RecordingHold
from gratisz.roles import Role

from .conftest import add_recording, wav_bytes


@pytest.fixture
def recording(make_call, firm, make_user):
    call = make_call(firm, agent=make_user(Role.AGENT))
    return add_recording(call)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_supervisor_plays_the_whole_recording_and_is_audited(recording, supervisor, login):
    client = login(supervisor)
    response = client.get(reverse("review:audio", args=[recording.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == wav_bytes()
    event = PlaybackEvent.objects.get()
    assert (event.user, event.recording) == (supervisor, recording)


def test_range_request_seeks_into_the_recording(recording, supervisor, login):
    audio = wav_bytes()
    client = login(supervisor)
    response = client.get(reverse("review:audio", args=[recording.pk]), HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(audio)}"
    assert _body(response) == audio[100:200]

    response = client.get(reverse("review:audio", args=[recording.pk]), HTTP_RANGE="bytes=-50")
    assert _body(response) == audio[-50:]
    response = client.get(reverse("review:audio", args=[recording.pk]), HTTP_RANGE="bytes=8000-")
    assert _body(response) == audio[8000:]
    assert list(PlaybackEvent.objects.order_by("at").values_list("byte_range", flat=True)) == [
        "bytes=100-199",
        "bytes=-50",
        "bytes=8000-",
    ]


def test_range_past_the_end_is_refused(recording, supervisor, login):
    client = login(supervisor)
    size = len(wav_bytes())
    response = client.get(reverse("review:audio", args=[recording.pk]), HTTP_RANGE=f"bytes={size}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_call_page_shows_the_player(recording, supervisor, login):
    client = login(supervisor)
    page = client.get(reverse("review:call", args=[recording.ticket_id])).content.decode()
    assert f'src="{reverse("review:audio", args=[recording.pk])}"' in page


def _age(recording, days: int) -> None:
    from calls.models import CallTicket

    CallTicket.objects.filter(pk=recording.ticket_id).update(
        started_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_purge_deletes_recordings_past_retention_but_keeps_held_ones(
    make_call, firm, supervisor, settings, login
):
    settings.RECORDING_RETENTION_DAYS = 30
    old = add_recording(make_call(firm))
    held = add_recording(make_call(firm))
    fresh = add_recording(make_call(firm))
    _age(old, 31)
    _age(held, 400)
    _age(fresh, 29)
    services.recording_hold_place(recording=held, by=supervisor, reason="Panasz 2026/17")
    old_name = old.stored_file.file.name

    assert tasks.purge_recordings() == 1

    assert not default_storage.exists(old_name)
    old.stored_file.refresh_from_db()
    assert old.stored_file.purged_at is not None
    client = login(supervisor)
    assert client.get(reverse("review:audio", args=[old.pk])).status_code == 404
    for kept in (held, fresh):
        assert client.get(reverse("review:audio", args=[kept.pk])).status_code == 200

    # Releasing the hold lets the next night's purge take it.
    response = client.post(reverse("review:hold", args=[held.pk]), {"release": "1"})
    assert response.status_code == 302
    assert tasks.purge_recordings() == 1
    assert client.get(reverse("review:audio", args=[held.pk])).status_code == 404
    assert RecordingHold.objects.get().released_by == supervisor


def test_supervisor_places_a_hold_from_the_call_page(recording, supervisor, login):
    client = login(supervisor)
    response = client.post(
        reverse("review:hold", args=[recording.pk]), {"reason": "Bírósági megkeresés"}
    )
    assert response.status_code == 302
    hold = RecordingHold.objects.get()
    assert (hold.reason, hold.placed_by, hold.released_at) == (
        "Bírósági megkeresés",
        supervisor,
        None,
    )
    page = client.get(reverse("review:call", args=[recording.ticket_id])).content.decode()
    assert "Bírósági megkeresés" in page
