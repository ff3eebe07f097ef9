"""Celery tasks of the calls app: they take ids, load, and send. (The connection of a taken
call is the desk's task, the recordings' download the review's: ``calls.desk.tasks``,
``calls.review.tasks``.)"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from partners.verification import firm_notice_recipients

from . import services
from .models import CallTicket


@shared_task(name="calls.sweep_stale_calls")
def sweep_stale_calls() -> int:
    """End the calls the provider never reported as ended (runs from celery beat)."""
    return len(services.stale_calls_end())


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
