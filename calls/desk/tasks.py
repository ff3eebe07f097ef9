"""Celery tasks of the desk: they take ids, load, and send."""

import datetime
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import connection
from .models import DeskEmail

RETRY_MAX_SECONDS = 15 * 60


@shared_task(
    bind=True,
    name="calls.desk.send_email",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def desk_email_send_task(self, email_id: int) -> str:
    """Send one desk e-mail, unless it was sent or another worker is sending it.

    The row stays locked while the mail server is asked (bounded by ``EMAIL_TIMEOUT``), so a
    second task for the same e-mail skips it. A mail server that is down or refuses is tried
    again ``DESK_EMAIL_RETRY_SECONDS`` (30 s), 1, 2, 4… minutes later, at most 15 minutes apart,
    until it takes the message; the call screen shows the tries meanwhile. Every try carries
    the same Message-ID.
    """
    with transaction.atomic():
        email = (
            DeskEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return "nothing to send"
        now = timezone.now()
        tried = DeskEmail.objects.filter(pk=email.pk)
        message = EmailMessage(
            email.subject, email.body, None, [email.to], headers={"Message-ID": email.message_id}
        )
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            tried.update(attempts=F("attempts") + 1, tried_at=now, last_error=str(exc)[:255])
        else:
            tried.update(attempts=F("attempts") + 1, tried_at=now, sent_at=now, last_error="")
            return "sent"
    first = settings.DESK_EMAIL_RETRY_SECONDS
    raise self.retry(countdown=min(first * 2**self.request.retries, RETRY_MAX_SECONDS))


@shared_task(name="calls.desk.sweep_emails")
def sweep_desk_emails() -> int:
    """Queue again the unsent desk e-mails that no task is trying: the broker was down when
    they were written, or a worker died with the task (runs from celery beat)."""
    now = timezone.now()
    idle = datetime.timedelta(seconds=RETRY_MAX_SECONDS + 5 * 60)
    stalled = DeskEmail.objects.filter(sent_at__isnull=True).filter(
        Q(tried_at__isnull=True, created_at__lt=now - datetime.timedelta(minutes=2))
        | Q(tried_at__lt=now - idle)
    )
    ids = list(stalled.values_list("pk", flat=True))
    for email_id in ids:
        desk_email_send_task.delay(email_id)
    return len(ids)


@shared_task(
    bind=True,
    name="calls.connect_call",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def connect_call_task(self, handling_id: int) -> str:
    """Have the provider put the caller of a call taken on the desk through to the agent.

    Idempotent (``connection.call_connect`` redirects a call once per connection), so a
    redelivered message is harmless: it sends nothing once the outcome is recorded, and while
    another worker is asking the provider it looks again later. Temporary failures are tried
    again 1, 2, 4, 8… seconds later, as the caller is waiting; after
    ``TELEPHONY_CONNECT_ATTEMPTS`` tries the desk shows the failure (the agent may connect
    again from the call screen, which queues this task anew).
    """
    state = connection.call_connect(handling_id=handling_id)
    if state != connection.ConnectResult.RETRY:
        return state
    if self.request.retries + 1 >= settings.TELEPHONY_CONNECT_ATTEMPTS:
        connection.call_connect_give_up(handling_id=handling_id)
        return connection.Connection.FAILED
    raise self.retry(countdown=min(2**self.request.retries, 30))


@shared_task(name="calls.sweep_connections")
def sweep_connections() -> int:
    """Queue again the connections whose task was lost (runs from celery beat)."""
    stalled = connection.connections_sweep()
    for handling_id in stalled:
        connect_call_task.delay(handling_id)
    return len(stalled)
