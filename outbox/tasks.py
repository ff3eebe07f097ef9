"""Celery tasks of the outbox: they take ids and call the services."""

import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from . import services, sweeps
from .retry import retry_policy

logger = logging.getLogger(__name__)


class RetryPolicyTask(DjangoTask):
    """A task whose automatic retries wait and stop by the one retry policy (``outbox.retry``),
    read when the retry happens, so that the settings of the running worker apply (a Django
    task: ``delay_on_commit`` as for every task of the project)."""

    def retry(
        self,
        args=None,
        kwargs=None,
        exc=None,
        throw=True,
        eta=None,
        countdown=None,
        max_retries=None,
        **options,
    ):
        policy = retry_policy()
        if countdown is None and eta is None:
            countdown = policy.delay(self.request.retries + 1)
        # The policy decides, as the settings say now. Celery keeps an explicit ``max_retries``
        # on the (process-wide) task object as ``override_max_retries`` and forgets to remove it
        # once the retries are used up, so a stale limit would hold for every later e-mail: set
        # the task's own limit instead, and drop any such leftover.
        self.__dict__.pop("override_max_retries", None)
        self.max_retries = policy.max_attempts - 1 if max_retries is None else max_retries
        return super().retry(args, kwargs, exc, throw, eta, countdown, None, **options)


def _email_send_failure(self, exc, task_id, args, kwargs, einfo) -> None:
    """Record the final failure once the retries are used up (or something else broke)."""
    email_id = args[0] if args else kwargs["email_id"]
    services.email_fail(email_id=email_id, error=str(exc) or type(exc).__name__)


@shared_task(
    bind=True,
    base=RetryPolicyTask,
    name="outbox.send",
    autoretry_for=(Exception,),
    acks_late=True,
    reject_on_worker_lost=True,
    on_failure=_email_send_failure,
)
def email_send_task(self, email_id: int) -> str:
    """Send one e-mail; a mail server that is down or refuses for now is tried again by the
    retry policy, and after the last try the failure is recorded on the e-mail."""
    return services.email_send(email_id=email_id)


@shared_task(name="outbox.sweep")
def sweep() -> dict[str, int]:
    """Queue again whatever no task is sending: e-mails, certificates, webhooks (celery beat,
    every minute)."""
    return sweeps.sweep_all()
