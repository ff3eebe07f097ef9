"""Celery tasks of the calls app: they take ids, load, and send."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

# Imported so that the worker, which discovers each app's ``tasks`` module, registers the
# lock notice too (partners has no tasks module of its own yet).
from partners.verification import direkt_lock_notice_task, firm_notice_recipients

from . import push, services, telephony
from .models import CallTicket

logger = logging.getLogger(__name__)

__all__ = [
    "code_changed_notice_task",
    "connect_call_task",
    "delete_provider_recording_task",
    "direkt_lock_notice_task",
    "fetch_recording_task",
    "sweep_connections",
    "sweep_recordings",
    "sweep_stale_calls",
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
        push.handling_changed(handling_id)
        return state
    if self.request.retries + 1 >= settings.TELEPHONY_CONNECT_ATTEMPTS:
        telephony.call_connect_give_up(handling_id=handling_id)
        push.handling_changed(handling_id)
        return "gave up"
    raise self.retry(countdown=min(2**self.request.retries, 30))


@shared_task(name="calls.sweep_stale_calls")
def sweep_stale_calls() -> int:
    """End the calls the provider never reported as ended (runs from celery beat)."""
    return len(services.stale_calls_end())


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


def _backoff(retries: int) -> int:
    """Seconds before try ``retries + 2``: 15, 30, 60… up to the setting's maximum."""
    return min(15 * 2**retries, settings.TELEPHONY_RECORDING_RETRY_MAX_SECONDS)


@shared_task(
    bind=True,
    name="calls.fetch_recording",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def fetch_recording_task(self, recording_id: int) -> str:
    """Download a completed recording's audio from the provider into our storage, then have
    the provider's copy deleted (``TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH``).

    Idempotent (``telephony.recording_fetch`` downloads nothing once the audio is stored, and
    only one task fetches a recording at a time), so a redelivered message is harmless.
    Temporary failures are tried again with back-off; after
    ``TELEPHONY_RECORDING_FETCH_ATTEMPTS`` tries the failure is logged and the provider keeps
    its copy.
    """
    state = telephony.recording_fetch(
        recording_id=recording_id, owner=self.request.id or "", attempt=self.request.retries
    )
    if state == telephony.STORED and settings.TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH:
        try:
            delete_provider_recording_task.delay(recording_id)
        except Exception:
            # Our copy is safe; the provider keeps its copy (its own retention applies).
            logger.exception("could not queue the provider deletion of recording %s", recording_id)
    if state != telephony.RETRY:
        return state
    if self.request.retries + 1 >= settings.TELEPHONY_RECORDING_FETCH_ATTEMPTS:
        telephony.recording_fetch_give_up(
            recording_id=recording_id, reason="the provider failed every try"
        )
        return telephony.FAILED
    raise self.retry(countdown=_backoff(self.request.retries))


@shared_task(
    bind=True,
    name="calls.delete_provider_recording",
    acks_late=True,
    max_retries=None,
)
def delete_provider_recording_task(self, recording_id: int) -> str:
    """Delete the provider's copy of a recording we keep (idempotent: a recording already
    gone counts as deleted). Temporary failures are tried again with back-off; a failure is
    logged and never touches our copy."""
    state = telephony.recording_provider_delete(recording_id=recording_id)
    if state != telephony.RETRY:
        return state
    if self.request.retries + 1 >= settings.TELEPHONY_RECORDING_FETCH_ATTEMPTS:
        logger.error("recording %s stays at the provider: deleting it kept failing", recording_id)
        return telephony.FAILED
    raise self.retry(countdown=_backoff(self.request.retries))


@shared_task(name="calls.sweep_recordings")
def sweep_recordings() -> int:
    """Queue again the fetches of completed recordings whose task was lost (celery beat)."""
    due = telephony.recordings_sweep()
    for recording_id in due:
        fetch_recording_task.delay(recording_id)
    return len(due)
