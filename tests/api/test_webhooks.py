"""Outgoing webhooks: signed with HMAC-SHA256, retried with back-off, every try in the log.

The receiver is a real HTTP server on the loopback interface that answers what the test tells it.
"""

import datetime
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from gratisz.api import services
from gratisz.api.models import OutgoingEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent
from gratisz.celery import app as celery_app
from partners.models import DirektLockEvent
from tests.factories import PartnerFirmFactory, set_direkt_code

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "receiver-shared-secret"


class Receiver:
    def __init__(self):
        self.answers: list[int] = []
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))  # case-insensitive
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


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
    receiver.close()  # nobody listens on that port any more
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


def test_finished_certificate_deliveries_are_reported_once_each(receiver):
    from certificates.models import CertificateRequest, Delivery
    from tests.factories import ContractFactory

    WebhookEndpoint.objects.create(
        name="portal",
        url=receiver.url,
        secret=SECRET,
        events=[WebhookEvent.CERTIFICATE_SENT, WebhookEvent.CERTIFICATE_FAILED],
    )
    contract = ContractFactory(policy_number="GFB-HOOK-1")
    request = CertificateRequest.objects.create(document_type="policy_copy", contract=contract)
    sent = Delivery.objects.create(
        request=request,
        channel="email",
        destination="a@x.hu",
        on_file=True,
        state="sent",
        sent_at=timezone.now(),
        attempts=1,
    )
    Delivery.objects.create(
        request=request,
        channel="fax",
        destination="+3615550",
        on_file=True,
        state="failed",
        attempts=9,
    )
    Delivery.objects.create(request=request, channel="post", destination="x", on_file=True)

    assert services.certificate_events_scan() == 2
    assert services.certificate_events_scan() == 0  # the next minute's scan sends nothing again
    events = sorted(json.loads(body)["type"] for _headers, body in receiver.received)
    assert events == ["certificate.failed", "certificate.sent"]
    payload = OutgoingEvent.objects.get(type="certificate.sent").payload["data"]
    assert payload["policy_number"] == "GFB-HOOK-1"
    assert payload["channel"] == "email"

    # Resent after a failure and sent again: a new outcome, reported again.
    Delivery.objects.filter(pk=sent.pk).update(attempts=2)
    assert services.certificate_events_scan() == 1


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
