"""The one outbox: every notice is kept, tried until the mail server takes it, and its final
failure is recorded; the retry policy and the sweep are shared with the other deliveries."""

import smtplib

import pytest
from django.core import mail
from django.utils import timezone

from outbox import sweeps
from outbox.models import Email
from outbox.retry import RetryPolicy, retry_policy
from outbox.services import MailDeferred, email_send, emails_sweep, smtp_failure
from outbox.tasks import email_send_task
from partners.models import DirektLockEvent
from partners.services import manager_invite
from partners.verification import direkt_lock_notice_task
from tests.certificates.fakes import SMTPServer, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_server_down(settings):
    """A real SMTP backend pointed at a port where nothing listens (yet)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    server = SMTPServer(settings.EMAIL_PORT)
    yield server
    server.stop()


def _lock(firm):
    DirektLockEvent.objects.create(
        grid=firm.grid, firm=firm, kind="locked", at=timezone.now(), failure_count=9
    )


def test_a_lock_notice_whose_mail_server_is_down_is_kept_and_sent_once_it_is_back(
    firm, mail_server_down, django_capture_on_commit_callbacks
):
    _lock(firm)
    with django_capture_on_commit_callbacks(execute=False):  # no worker here: we are the worker
        direkt_lock_notice_task(firm.pk)
    emails = list(Email.objects.order_by("to"))
    assert [e.to for e in emails] == [
        "helyettes@alkusz.example.hu",
        "referens@biztosito.example.hu",
        "vezeto@alkusz.example.hu",
    ]
    email = emails[2]
    with pytest.raises(MailDeferred):
        email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.state == Email.State.QUEUED and email.attempts == 1
    assert "unreachable" in email.last_error

    mail_server_down.start()
    assert email_send(email_id=email.pk) == "sent"
    assert email_send(email_id=email.pk) == "nothing to send"  # a duplicate task sends nothing
    [message] = mail_server_down.messages
    assert message["Message-ID"] == email.message_id and message["To"] == email.to
    assert email.subject.startswith("GrATISZ: ") and firm.grid in email.subject
    text = message.get_content().replace("\r\n", "\n")
    # Greeted by name (family name first) and a capitalised first sentence.
    assert text.startswith("Tisztelt Kovács Anna!\n\n") and text.split("\n")[2][0].isupper()
    assert firm.grid in text
    email.refresh_from_db()
    assert email.state == Email.State.SENT and email.attempts == 2 and email.last_error == ""


def test_the_task_retries_by_the_policy_then_records_the_final_failure(
    firm, mail_server_down, celery_eager, settings, django_capture_on_commit_callbacks
):
    settings.RETRY_MAX_ATTEMPTS = 3
    _lock(firm)
    with django_capture_on_commit_callbacks(execute=True):
        direkt_lock_notice_task.delay(firm.pk)
    emails = Email.objects.all()
    assert emails.count() == 3
    for email in emails:
        assert email.state == Email.State.FAILED and email.attempts == 3
        assert email.failed_at is not None and "unreachable" in email.last_error
    assert emails_sweep() == []  # failed for good: nothing for the sweep


def test_a_permanent_refusal_fails_at_once_without_retries(firm, settings, celery_eager):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 No such mailbox"

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    server = SMTPServer(settings.EMAIL_PORT, handler=Refusing()).start()
    try:
        _lock(firm)
        direkt_lock_notice_task(firm.pk)
        email = Email.objects.first()
        assert email_send_task.apply(args=[email.pk]).get() == "failed"
    finally:
        server.stop()
    email.refresh_from_db()
    assert email.state == Email.State.FAILED and email.attempts == 1
    assert "550" in email.last_error


def test_the_invitation_link_leaves_the_database_once_sent(
    firm, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, token = manager_invite(
            firm=firm, email="uj@alkusz.example.hu", is_leader=True, by=firm.referent
        )
    # The invitation; the firm's managers and referent are also told that one was sent.
    [message] = [m for m in mail.outbox if m.to == ["uj@alkusz.example.hu"]]
    assert token in message.body and message.body.startswith("Tisztelt Partnerünk!")
    assert all(token not in m.body for m in mail.outbox if m is not message)
    email = Email.objects.get(to="uj@alkusz.example.hu")
    assert email.state == Email.State.SENT and email.body == "" and token not in email.subject


def test_the_sweep_queues_a_lost_email_and_gives_up_one_without_tries_left(firm, settings):
    settings.RETRY_MAX_ATTEMPTS = 2
    long_ago = timezone.now() - timezone.timedelta(days=1)
    _lock(firm)
    direkt_lock_notice_task(firm.pk)
    lost, used_up, fresh = Email.objects.order_by("pk")
    Email.objects.filter(pk=lost.pk).update(created_at=long_ago)
    Email.objects.filter(pk=used_up.pk).update(
        created_at=long_ago, tried_at=long_ago, attempts=2, last_error="SMTP 421"
    )
    assert emails_sweep() == [lost.pk]
    used_up.refresh_from_db()
    assert used_up.state == Email.State.FAILED and used_up.last_error == "SMTP 421"
    assert Email.objects.get(pk=fresh.pk).state == Email.State.QUEUED


def test_one_sweep_runs_the_emails_certificates_and_webhooks():
    assert sweeps.sweep_all() == {"emails": 0, "certificates": 0, "webhooks": 0}


def test_one_retry_policy_doubles_up_to_its_cap(settings):
    policy = RetryPolicy(base_seconds=30, max_seconds=300, max_attempts=5)
    assert [policy.delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert not policy.exhausted(4) and policy.exhausted(5)
    settings.RETRY_BASE_SECONDS = 1
    assert retry_policy().delay(3) == 4


def test_a_5xx_refusal_is_permanent_and_a_4xx_or_no_answer_is_not():
    assert smtp_failure(smtplib.SMTPResponseException(554, b"rejected")).permanent
    assert not smtp_failure(smtplib.SMTPResponseException(421, b"busy")).permanent
    assert not smtp_failure(ConnectionRefusedError(111, "refused")).permanent


def test_a_used_up_retry_limit_does_not_stick_to_the_next_email(
    firm, mail_server_down, celery_eager, settings, django_capture_on_commit_callbacks
):
    """Celery keeps an explicit retry limit on the shared task object once the retries of one
    e-mail are used up; the policy must still decide for the next one."""
    settings.RETRY_MAX_ATTEMPTS = 1
    _lock(firm)
    with django_capture_on_commit_callbacks(execute=True):
        direkt_lock_notice_task.delay(firm.pk)
    assert {e.attempts for e in Email.objects.all()} == {1}
    Email.objects.all().delete()
    settings.RETRY_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        direkt_lock_notice_task.delay(firm.pk)
    assert {(e.state, e.attempts) for e in Email.objects.all()} == {(Email.State.FAILED, 3)}
