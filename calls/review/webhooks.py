"""The telephony provider's recording status callback (signed, as the IVR's webhooks:
``calls.ivr.views.telephony_webhook``): the recording joins its call, and a completed one's
audio is downloaded into our storage."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from boundary.fields import DURATION_MAX, int_or_none
from calls.ivr.flow import CallParams, ticket_for_callback
from calls.ivr.views import telephony_webhook
from calls.models import CallRecording, CallTicket
from outbox.enqueue import enqueue_on_commit

from .models import RecordingFile
from .tasks import fetch_recording_task


@transaction.atomic
def recording_status_record(
    *,
    params: CallParams,
    recording_sid: str,
    url: str,
    status: str,
    duration: str | None,
    ticket: CallTicket | None = None,
) -> CallRecording:
    """Attach (or update) a recording of the call (``ticket``, else the IVR's ticket of the
    call) from the recording status callback; once it is completed, queue the download of its
    audio into our storage (after the commit; not again once stored, so a repeated callback
    downloads nothing)."""
    ticket = ticket or ticket_for_callback(params)
    recording, _created = CallRecording.objects.update_or_create(
        recording_sid=recording_sid[:64],
        defaults={
            "ticket": ticket,
            "url": url[:500],
            "status": status[:20],
            "duration_seconds": int_or_none(duration, max_value=DURATION_MAX),
        },
    )
    if (
        recording.status == CallRecording.COMPLETED
        and not RecordingFile.objects.filter(recording=recording).exists()
    ):
        # With the broker down the provider must still get its 204 (it would send the callback
        # again and again); the sweep queues the download once the broker is back.
        enqueue_on_commit(
            fetch_recording_task, recording.pk, what=f"the download of recording {recording.pk}"
        )
    return recording


@telephony_webhook(hold_on_outage=False)
def recording(request: HttpRequest) -> HttpResponse:
    """The provider's recording status callback."""
    return _recording(request, ticket=None)


@telephony_webhook(hold_on_outage=False)
def callback_recording(request: HttpRequest) -> HttpResponse:
    """The recording status callback of a callback's call (its ticket's id in the signed URL):
    the recording joins the callback's ticket and reaches the supervisors like any other."""
    ticket_id = int_or_none(request.GET.get("t", ""), max_value=2**63 - 1)
    ticket = (
        CallTicket.objects.filter(pk=ticket_id, source=CallTicket.Source.CALLBACK).first()
        if ticket_id is not None
        else None
    )
    if ticket is None:
        return HttpResponse("unknown callback", status=404)
    return _recording(request, ticket=ticket)


def _recording(request: HttpRequest, *, ticket: CallTicket | None) -> HttpResponse:
    if not request.POST.get("RecordingSid"):
        return HttpResponse("RecordingSid missing", status=400)
    recording_status_record(
        ticket=ticket,
        params=CallParams.from_post(request.POST),
        recording_sid=request.POST["RecordingSid"],
        url=request.POST.get("RecordingUrl", ""),
        status=request.POST.get("RecordingStatus", ""),
        duration=request.POST.get("RecordingDuration"),
    )
    return HttpResponse(status=204)
