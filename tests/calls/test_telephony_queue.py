"""A taken caller is put through by the telephony worker (its own Celery queue, as in ``make
serve``), whatever waits in the documents' queue: a real worker on Redis and PostgreSQL, and
the faithful fake of Twilio's REST API on loopback."""

import pytest
from django.urls import reverse

from calls.desk.models import CallHandling
from certificates.tasks import deliver
from tests.calls.conftest import TWILIO_ACCOUNT_SID
from tests.celery_worker import (
    Worker,
    drop_queued_messages,
    queued,
    skip_unless_real_services,
    wait_for,
    worker_env,
)

from .fake_twilio_api import FakeTwilioAPI

pytestmark = pytest.mark.django_db(transaction=True)

AUTH_TOKEN = "telephony-queue-token-0123456789"
SIP_DOMAIN = "agents.sip.example.hu"
QUEUES = ("celery", "telephony")


@pytest.fixture(scope="module")
def telephony_worker(django_db_setup, tmp_path_factory):
    """Only the telephony worker runs: nothing consumes the documents' queue."""
    skip_unless_real_services()
    drop_queued_messages(*QUEUES)
    api = FakeTwilioAPI(TWILIO_ACCOUNT_SID, AUTH_TOKEN).start()
    worker = Worker(
        worker_env(
            TELEPHONY_BACKEND="calls.telephony.backends.twilio.TwilioBackend",
            TELEPHONY_ACCOUNT_SID=TWILIO_ACCOUNT_SID,
            TELEPHONY_AUTH_TOKEN=AUTH_TOKEN,
            TELEPHONY_API_BASE_URL=api.url,
            TELEPHONY_SIP_DOMAIN=SIP_DOMAIN,
        ),
        tmp_path_factory.mktemp("telephony") / "worker.log",
        "--queues",
        "telephony",
    )
    worker.start()
    yield api
    worker.stop()
    api.stop()
    drop_queued_messages(*QUEUES)


@pytest.fixture(autouse=True)
def _celery_eager():
    """Overrides the calls tests' eager Celery: these tasks go through the broker."""


def test_the_caller_is_put_through_while_documents_wait_for_their_worker(
    telephony_worker, client, login, desk_agent, waiting_call, settings
):
    settings.TELEPHONY_AUTH_TOKEN = AUTH_TOKEN
    for _ in range(20):
        deliver.delay(0)  # a backlog of documents, which no worker here renders
    ticket = waiting_call()
    telephony_worker.calls[ticket.call_sid] = "in-progress"
    login(desk_agent)
    assert client.post(reverse("desk:take", args=[ticket.pk])).status_code == 302
    wait_for(
        lambda: CallHandling.objects.filter(
            ticket=ticket, connect_state=CallHandling.Connection.CONNECTED
        ).exists(),
        timeout=30,
        what="the caller to be put through",
    )
    [redirect] = [r for r in telephony_worker.redirects if r["call_sid"] == ticket.call_sid]
    assert f"sip:201@{SIP_DOMAIN}" in redirect["Twiml"]
    assert queued("celery") == 20  # the documents still wait; the caller did not
    assert queued("telephony") == 0
