"""Celery tasks of the calls app: they take ids, load, and send."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

# Imported so that the worker, which discovers each app's ``tasks`` module, registers the
# lock notice too (partners has no tasks module of its own yet).
from partners.verification import direkt_lock_notice_task, firm_notice_recipients

from . import telephony
from .models import CallTicket

__all__ = [
    "code_changed_notice_task",
    "connect_call_task",
    "direkt_lock_notice_task",
    "sweep_connections",
]


@shared_task(
    bind=True,
    name="calls.connect_call",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def connect_call_task(self, handling_id: int) -> str:
    """Have the provider put the caller of a call taken on the desk through to the agent.

    Idempotent (``telephony.call_connect`` redirects a call once per connection), so a
    redelivered message is harmless: it sends nothing once the outcome is recorded, and while
    another worker is asking the provider it looks again later. Temporary failures are tried
    again 1, 2, 4, 8… seconds later, as the caller is waiting; after
    ``TELEPHONY_CONNECT_ATTEMPTS`` tries the desk shows the failure (the agent may connect
    again from the call screen, which queues this task anew).
    """
    state = telephony.call_connect(handling_id=handling_id)
    if state != telephony.RETRY:
        return state
    if self.request.retries + 1 >= settings.TELEPHONY_CONNECT_ATTEMPTS:
        telephony.call_connect_give_up(handling_id=handling_id)
        return "gave up"
    raise self.retry(countdown=min(2**self.request.retries, 30))


@shared_task(name="calls.sweep_connections")
def sweep_connections() -> int:
    """Queue again the connections whose task was lost (runs from celery beat)."""
    stalled = telephony.connections_sweep()
    for handling_id in stalled:
        connect_call_task.delay(handling_id)
    return len(stalled)


@shared_task(name="calls.code_changed_notice")
def code_changed_notice_task(ticket_id: int) -> None:
    """E-mail every active manager of the firm that its staff Direkt code was changed by phone
    (menu 3). The message never holds the code."""
    ticket = CallTicket.objects.select_related("firm").get(pk=ticket_id)
    firm = ticket.firm
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(ticket.code_changed_at), "DATETIME_FORMAT")
        subject = gettext("GrATISZ: the Direkt code of GRID %(grid)s was changed") % {
            "grid": firm.grid
        }
        body = gettext(
            "Dear Partner,\n\n"
            "the staff Direkt code of %(firm)s (GRID %(grid)s) was changed by phone (GrATISZ "
            "menu 3) at %(when)s, from the number %(number)s, after identification with the "
            "manager code.\n\n"
            "If no manager of your firm did this, please change the codes at once and tell your "
            "referent.\n\n"
            "GrATISZ %(phone)s"
        ) % {
            "firm": firm.name,
            "grid": firm.grid,
            "when": when,
            "number": ticket.from_number or "?",
            "phone": settings.GRATISZ_PHONE,
        }
    for address in firm_notice_recipients(firm=firm, with_referent=False):
        send_mail(subject, body, None, [address])
