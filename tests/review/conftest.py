"""Fixtures for the review: calls in every shape the log filters on, a stored recording."""

import datetime
import io
import itertools
import wave

import pytest
from django.utils import timezone

from calls.desk.models import CallHandling, DeskRequest
from calls.models import CallRecording, CallTicket
from calls.review import services
from certificates.models import CertificateRequest, Delivery
from tests.factories import ContractFactory, PartnerFirmFactory

_sids = itertools.count(1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """Return a small mono 16-bit WAV (a rising tone, so that byte ranges differ)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes((i * 7) % 256 for i in range(int(seconds * rate) * 2)))
    return buf.getvalue()


@pytest.fixture
def firm(db):
    return PartnerFirmFactory(grid="123456789", name="Első Alkusz Kft.")


@pytest.fixture
def other_firm(db):
    return PartnerFirmFactory(grid="987654321", name="Másik Alkusz Zrt.")


@pytest.fixture
def make_call(db):
    """Create a finished call as the IVR and the desk leave it; refresh its log row."""

    def make(
        firm=None,
        *,
        agent=None,
        outcome=CallHandling.Outcome.ANSWERED,
        started=None,
        wait=30,
        handle=120,
        state=None,
        failed_verifications=0,
        menu="1",
        sync=True,
    ):
        started = started or timezone.now() - datetime.timedelta(minutes=30)
        enqueued = started + datetime.timedelta(seconds=40) if firm else None
        ticket = CallTicket.objects.create(
            call_sid=f"CA{next(_sids):032d}",
            from_number="+36301234567",
            to_number="+3614623800",
            state=state or (CallTicket.State.COMPLETED if agent else CallTicket.State.ABANDONED),
            menu=menu,
            grid_entered=firm.grid if firm else "",
            firm=firm,
            verified_at=enqueued,
            enqueued_at=enqueued,
            failed_verifications=failed_verifications,
            ended_at=started + datetime.timedelta(seconds=40 + wait + handle),
        )
        # started_at is auto_now_add: set the past moment afterwards.
        CallTicket.objects.filter(pk=ticket.pk).update(started_at=started)
        ticket.refresh_from_db()
        if agent is not None:
            taken = enqueued + datetime.timedelta(seconds=wait)
            CallHandling.objects.create(
                ticket=ticket,
                agent=agent,
                origin=CallHandling.Origin.QUEUE,
                taken_at=taken,
                closed_at=taken + datetime.timedelta(seconds=handle),
                outcome=outcome,
                notes="Díjrendezettségről kérdezett.",
            )
        if sync:
            services.call_log_refresh(ticket_ids=[ticket.pk])
        return ticket

    return make


def add_promise(ticket, *, due_in_minutes: int) -> DeskRequest:
    return DeskRequest.objects.create(
        handling=ticket.handling,
        kind=DeskRequest.Kind.CALLBACK,
        due_at=timezone.now() + datetime.timedelta(minutes=due_in_minutes),
        contact="+36301234567",
        subject="Visszahívás a kárügyben",
        created_at=timezone.now(),
    )


def add_delivery(ticket, *, state: str) -> Delivery:
    contract = ContractFactory.create(firm=ticket.firm)
    request = CertificateRequest.objects.create(document_type="coverage", contract=contract)
    DeskRequest.objects.create(
        handling=ticket.handling,
        kind=DeskRequest.Kind.CERTIFICATE,
        contract=contract,
        certificate_request=request,
        created_at=timezone.now(),
    )
    return Delivery.objects.create(
        request=request,
        channel=Delivery.Channel.EMAIL,
        destination="iroda@alkusz.example.hu",
        on_file=True,
        state=state,
        sent_at=timezone.now() if state == Delivery.State.SENT else None,
        last_error="550 mailbox unavailable" if state == Delivery.State.FAILED else "",
    )


def add_recording(ticket, *, store: bool = True) -> CallRecording:
    recording = CallRecording.objects.create(
        ticket=ticket,
        recording_sid=f"RE{ticket.pk:032d}",
        url="https://api.example.com/recordings/x",
        duration_seconds=1,
        status="completed",
    )
    if store:
        services.recording_store(recording=recording, content=wav_bytes())
    return recording
