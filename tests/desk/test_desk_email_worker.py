"""The desk's e-mails with a real Celery worker on Redis and a real SMTP server (aiosmtpd):
a mail server that is down fails no page and loses no e-mail; it goes out once when it is back.

PostgreSQL and Redis only: the worker is a separate process and must see the test database.
"""

import pytest
from django.urls import reverse

from calls.desk.models import DeskEmail, WrittenRequestType
from outbox.models import Email
from outbox.services import emails_sweep
from tests.celery_worker import (
    mail_worker_running,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, tmp_path_factory):
    """The documents-and-mail worker of ``make serve``, with a mail server that starts down."""
    # The takes' connections are dropped too: no provider here.
    with mail_worker_running(
        tmp_path_factory.mktemp("desk-mail") / "worker.log",
        "--queues",
        "celery",
        drop=("celery", "telephony"),
        RETRY_BASE_SECONDS="1",
    ) as (_worker, smtp):
        yield smtp


def test_guidance_sent_while_the_mail_server_is_down_goes_out_once_it_is_back(
    mail_worker, agent, login, client, firm, on_call
):
    handling = on_call(agent, firm)
    kind = WrittenRequestType.objects.create(
        code="t-down", title="Címváltozás", form_name="Változásbejelentő", fax="+36 1 999 9999"
    )
    login(agent)
    response = client.post(
        reverse("desk:guidance", args=[handling.ticket_id]),
        {"request_type": kind.pk, "email": "iroda@alkusz.example.hu"},
    )
    assert response.status_code == 302  # no error page: the e-mail is kept and tried again
    email = DeskEmail.objects.get(handling=handling).email
    wait_for(
        lambda: Email.objects.filter(pk=email.pk, attempts__gte=2).exists(),
        what="the worker to try twice while the mail server is down",
    )
    email.refresh_from_db()
    assert email.sent_at is None and email.last_error
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert "még nincs elküldve" in page  # the agent sees it is not out yet

    mail_worker.start()
    wait_for(
        lambda: Email.objects.filter(pk=email.pk, sent_at__isnull=False).exists(),
        what="the e-mail to go once the mail server is back",
    )
    [message] = mail_worker.messages
    assert message["To"] == "iroda@alkusz.example.hu" and message["Message-ID"] == email.message_id
    assert "Változásbejelentő" in message.get_content()
    assert emails_sweep() == []  # nothing left for the sweep to queue again
