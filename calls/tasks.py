"""Celery tasks of the calls app: they take ids, load, and send. (The connection of a taken
call is the desk's task, the recordings' download the review's: ``calls.desk.tasks``,
``calls.review.tasks``.)"""

from celery import shared_task

from outbox.tasks import RetryPolicyTask

# Imported so that the worker, which discovers each app's ``tasks`` module, registers the
# lock notice too.
from partners.verification import direkt_lock_notice_task, firm_notice_queue  # noqa: F401

from . import services
from .models import CallTicket


@shared_task(name="calls.sweep_stale_calls")
def sweep_stale_calls() -> int:
    """End the calls the provider never reported as ended (runs from celery beat)."""
    return len(services.stale_calls_end())


@shared_task(base=RetryPolicyTask, name="calls.code_changed_notice", autoretry_for=(Exception,))
def code_changed_notice_task(ticket_id: int) -> None:
    """E-mail every active manager of the firm that its staff Direkt code was changed by phone
    (menu 3), through the outbox. The message never holds the code."""
    ticket = CallTicket.objects.select_related("firm").get(pk=ticket_id)
    firm_notice_queue(
        firm=ticket.identified_firm,
        template="calls/email/code_changed",
        context={"changed_at": ticket.code_changed_at, "number": ticket.from_number or "?"},
    )
