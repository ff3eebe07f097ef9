"""Outgoing webhooks: signed with HMAC-SHA256, retried with back-off, every try in the log.

The receiver is a real HTTP server on the loopback interface that answers what the test tells it.
"""

import datetime
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from gratisz.api import services
from gratisz.api.models import OutgoingEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent
from gratisz.celery import app as celery_app
from partners.models import DirektLockEvent
from tests.factories import PartnerFirmFactory, set_direkt_code
from tests.loopback import LoopbackServer, QuietJsonHandler

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "receiver-shared-secret"


class Receiver(LoopbackServer):
    """A webhook receiver that keeps what it gets and answers the statuses in ``answers``."""

    def __init__(self):
        self.answers: list[int] = []
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))  # case-insensitive
                self._answer(receiver.answers.pop(0) if receiver.answers else 200)

        super().__init__(Handler, path="/hooks")


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def _eager():
    # The first try runs in-process right after the commit, as a worker would run it. (The
    # Celery app reads its settings once, so the flag is set on the app itself.)
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(
        name="partner portal",
        url=receiver.url,
        secret=SECRET,
        events=[WebhookEvent.GRID_LOCKED, WebhookEvent.DIREKT_CODE_ROTATED],
    )


def deliver_now(delivery: WebhookDelivery) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    return services.webhook_deliver(delivery_id=delivery.pk)


def test_a_locked_grid_is_posted_signed_to_the_subscriber(receiver, endpoint):
    firm = PartnerFirmFactory(grid="123456789")
    DirektLockEvent.objects.create(
        grid=firm.grid, firm=firm, kind="locked", at=timezone.now(), failure_count=10
    )
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["X-GrATISZ-Event"] == "grid.locked"
    expected = hmac.new(
        SECRET.encode(), headers["X-GrATISZ-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-GrATISZ-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["type"] == "grid.locked"
    assert payload["data"]["grid"] == "123456789"
    assert payload["data"]["failures"] == 10
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered"
    assert delivery.attempt_log.get().status_code == 200


def test_a_refused_delivery_is_retried_with_growing_waits_then_given_up(
    settings, receiver, endpoint
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.answers = [503, 500, 502]
    firm = PartnerFirmFactory()
    before = timezone.now()
    set_direkt_code(firm, "4821")  # a new Direkt code: direkt_code.rotated, tried at once
    delivery = WebhookDelivery.objects.get()
    assert delivery.event.type == "direkt_code.rotated"
    assert "4821" not in json.dumps(delivery.event.payload)
    assert delivery.state == "pending"
    first_wait = delivery.next_attempt_at - before
    assert datetime.timedelta(seconds=29) < first_wait <= datetime.timedelta(seconds=31)
    # Not due yet: a duplicate task does nothing.
    assert services.webhook_deliver(delivery_id=delivery.pk) == "pending"
    assert len(receiver.received) == 1

    before = timezone.now()
    assert deliver_now(delivery) == "pending"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - before > datetime.timedelta(seconds=59)

    assert deliver_now(delivery) == "failed"
    delivery.refresh_from_db()
    assert [a.status_code for a in delivery.attempt_log.all()] == [503, 500, 502]
    assert delivery.attempts == 3
    assert services.webhook_deliver(delivery_id=delivery.pk) == "failed"
    assert len(receiver.received) == 3


def test_an_unreachable_receiver_is_logged_and_retried(endpoint, receiver):
    receiver.stop()  # nobody listens on that port any more
    firm = PartnerFirmFactory()
    DirektLockEvent.objects.create(grid=firm.grid, firm=firm, kind="locked", at=timezone.now())
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending"
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None
    assert attempt.error
    assert services.webhooks_due(now=timezone.now() + datetime.timedelta(minutes=1)) == [
        delivery.pk
    ]


def test_events_nobody_subscribed_to_are_not_recorded(endpoint):
    firm = PartnerFirmFactory()
    DirektLockEvent.objects.create(grid=firm.grid, firm=firm, kind="unlocked", at=timezone.now())
    endpoint.is_active = False
    endpoint.save()
    DirektLockEvent.objects.create(grid=firm.grid, firm=firm, kind="locked", at=timezone.now())
    assert not OutgoingEvent.objects.exists()


def test_a_certificate_delivery_is_announced_when_it_ends(receiver, settings):
    """The certificates app signals each end of a delivery in the transaction that records it:
    sent → certificate.sent, failed for good → certificate.failed, resent and sent → again."""
    from certificates import services as certificate_services
    from certificates.models import Delivery
    from certificates.services import DeliverySpec, certificate_request_create
    from tests.factories import ContractFactory

    WebhookEndpoint.objects.create(
        name="portal",
        url=receiver.url,
        secret=SECRET,
        events=[WebhookEvent.CERTIFICATE_SENT, WebhookEvent.CERTIFICATE_FAILED],
    )
    contract = ContractFactory(policy_number="GFB-HOOK-1")
    request = certificate_request_create(
        document_type="coverage",
        contract=contract,
        requested_by=None,
        deliveries=[DeliverySpec(channel="email", destination="a@example.hu", read_back=True)],
        source="test",
    )
    delivery = request.deliveries.get()
    assert delivery.state == Delivery.State.SENT
    ((headers, body),) = receiver.received
    sent = json.loads(body)
    assert headers["X-GrATISZ-Event"] == "certificate.sent"
    assert sent["data"]["policy_number"] == "GFB-HOOK-1"
    assert sent["data"]["certificate_number"] == request.certificate.number
    assert sent["data"]["channel"] == "email"
    # A redelivered task finds the delivery sent: no second event.
    certificate_services.delivery_process(delivery_id=delivery.pk)
    assert len(receiver.received) == 1

    # SMTP refuses every try: failed for good after the last one, announced once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard: nothing listens
    settings.CERTIFICATES_MAX_ATTEMPTS = 1
    failing = certificate_request_create(
        document_type="coverage",
        contract=contract,
        requested_by=None,
        deliveries=[DeliverySpec(channel="email", destination="b@example.hu", read_back=True)],
        source="test",
    ).deliveries.get()
    assert failing.state == Delivery.State.FAILED
    failed = json.loads(receiver.received[-1][1])
    assert failed["type"] == "certificate.failed" and failed["data"]["error"]
    assert len(receiver.received) == 2

    # Resent once SMTP is back: a new outcome, reported again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    certificate_services.delivery_resend(delivery=failing, by=None)
    assert [json.loads(b)["type"] for _h, b in receiver.received] == [
        "certificate.sent",
        "certificate.failed",
        "certificate.sent",
    ]


def test_a_claim_reported_by_phone_is_announced_but_not_one_from_the_core_systems(receiver):
    from tests.factories import ClaimFactory

    WebhookEndpoint.objects.create(
        name="claims system", url=receiver.url, secret=SECRET, events=[WebhookEvent.CLAIM_REPORTED]
    )
    ClaimFactory(claim_number="K-CORE-1")  # origin: core claims system
    ClaimFactory(claim_number="K-PHONE-1", origin="phone")
    assert [json.loads(body)["data"]["claim_number"] for _h, body in receiver.received] == [
        "K-PHONE-1"
    ]
