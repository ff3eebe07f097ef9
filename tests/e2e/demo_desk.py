"""The demo's desk for the browser tests: the demo data open all day on the live server, and
a verified call of Demo Alkusz Kft. taken by an agent."""

import datetime

from django.utils import timezone

from calls.desk import services
from calls.desk.models import CallHandling
from calls.models import CallTicket, SpecialDay
from gratisz.demo import seed_demo
from partners.models import PartnerFirm


def open_demo(settings, live_server) -> PartnerFirm:
    """Seed the demo, open the line all day today, and return Demo Alkusz Kft."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from gratisz.celery import app as celery_app

    celery_app.conf.broker_url = "memory://"  # putting callers through is tested elsewhere
    today = timezone.localdate()
    seed_demo(today=today)
    SpecialDay.objects.update_or_create(
        date=today,
        defaults={"is_open": True, "opens": datetime.time(0), "closes": datetime.time(23, 59)},
    )
    return PartnerFirm.objects.get(grid="314159265")


def taken_call(firm: PartnerFirm, agent) -> CallHandling:
    """A call of ``firm``, verified and queued two minutes ago, taken by ``agent``."""
    now = timezone.now()
    ticket = CallTicket.objects.create(
        call_sid="CA" + "a" * 32,
        from_number="+36301112233",
        to_number="+3614623800",
        state=CallTicket.State.WAITING,
        menu="1",
        grid_entered=firm.grid,
        firm=firm,
        verified_at=now - datetime.timedelta(minutes=2),
        queue_name="contracts",
        enqueued_at=now - datetime.timedelta(minutes=2),
        stage=CallTicket.Stage.DONE,
    )
    return services.call_take(ticket_id=ticket.pk, agent=agent)
