import io
import math
import wave

from django.core.management.base import BaseCommand

from calls.models import CallRecording, CallTicket
from calls.review import bulk, services


def demo_wav(seconds: float = 3.0, rate: int = 8000) -> bytes:
    """Return a short mono WAV tone (the demo has no provider to fetch real audio from)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            value = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
            frames += value.to_bytes(2, "little", signed=True)
        w.writeframes(bytes(frames))
    return buf.getvalue()


class Command(BaseCommand):
    help = "Add a call history (tickets, handlings, promises, log rows) for the review demo."

    def add_arguments(self, parser):
        parser.add_argument("calls", type=int)
        parser.add_argument("--recordings", type=int, default=5, help="newest calls given audio")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="spread the calls over the opening hours of the last N days",
        )

    def handle(self, *args, calls: int, recordings: int, days: int | None, **options):
        done = bulk.seed_calls(calls, days=days, progress=lambda k: self.stdout.write(f"{k} calls"))
        newest = CallTicket.objects.filter(
            state=CallTicket.State.COMPLETED, recordings__isnull=True
        ).order_by("-started_at")[:recordings]
        audio = demo_wav()
        for ticket in newest:
            recording = CallRecording.objects.create(
                ticket=ticket,
                recording_sid=f"RE{ticket.pk:032d}",
                duration_seconds=3,
                status="completed",
            )
            services.recording_store(recording=recording, content=audio)
        services.call_log_refresh(ticket_ids=[t.pk for t in newest])
        self.stdout.write(self.style.SUCCESS(f"{done} calls added"))
