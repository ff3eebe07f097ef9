"""The outbox with a real Celery worker on Redis and a real SMTP server (aiosmtpd): a lock notice
whose mail server is down is tried again by the retry policy and goes out once the server is
back; one that never gets through is recorded as failed for good.

PostgreSQL and Redis only: the worker is a separate process and must see the test database.
"""

import pytest
from django.utils import timezone

from outbox.models import Email
from outbox.services import emails_sweep
from partners.models import DirektLockEvent
from partners.verification import direkt_lock_notice_task
from tests.celery_worker import (
    mail_worker_running,
    wait_for,
)
from tests.certificates.fakes import RecordingHandler

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 5  # tried 1, 2, 2, 2 s apart: about 7 s from the first try to the last


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, tmp_path_factory):
    """The documents-and-mail worker of ``make serve``, with a mail server that starts down."""
    with mail_worker_running(
        tmp_path_factory.mktemp("outbox") / "worker.log",
        "--queues",
        "celery",
        RETRY_BASE_SECONDS="1",
        RETRY_MAX_SECONDS="2",
        RETRY_MAX_ATTEMPTS=str(ATTEMPTS),
    ) as (_worker, smtp):
        yield smtp


@pytest.fixture
def smtp(mail_worker):
    mail_worker.handler = RecordingHandler()
    yield mail_worker
    mail_worker.stop()


def _lock_notice(firm):
    DirektLockEvent.objects.create(
        grid=firm.grid, firm=firm, kind="locked", at=timezone.now(), failure_count=9
    )
    direkt_lock_notice_task.delay(firm.pk)
    return wait_for(
        lambda: list(Email.objects.filter(to="vezeto@alkusz.example.hu")),
        what="the worker to queue the lock notice's e-mails",
    )[0]


def test_a_lock_notice_sent_while_the_mail_server_is_down_goes_out_once_it_is_back(smtp, firm):
    email = _lock_notice(firm)
    wait_for(
        lambda: Email.objects.filter(pk=email.pk, attempts__gte=2).exists(),
        what="the worker to try twice while the mail server is down",
    )
    email.refresh_from_db()
    assert email.state == Email.State.QUEUED and email.last_error

    smtp.start()
    wait_for(
        lambda: Email.objects.filter(state=Email.State.SENT).count() == 3,
        what="the three e-mails to go once the mail server is back",
    )
    assert sorted(m["To"] for m in smtp.messages) == [
        "helyettes@alkusz.example.hu",
        "referens@biztosito.example.hu",
        "vezeto@alkusz.example.hu",
    ]
    [message] = [m for m in smtp.messages if m["To"] == email.to]
    assert message["Message-ID"] == email.message_id
    assert "Tisztelt Kovács Anna!" in message.get_content()
    assert emails_sweep() == []  # nothing left for the sweep to queue again


def test_a_lock_notice_that_never_gets_through_is_recorded_as_failed(smtp, firm):
    email = _lock_notice(firm)
    wait_for(
        lambda: Email.objects.filter(pk=email.pk, state=Email.State.FAILED).exists(),
        timeout=90,
        what="the worker to give up after the last try",
    )
    email.refresh_from_db()
    assert email.attempts == ATTEMPTS and email.failed_at and "unreachable" in email.last_error
