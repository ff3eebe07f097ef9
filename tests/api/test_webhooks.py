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
from tests.desk.conftest import motor_answers
from tests.factories import PartnerFirmFactory, set_direkt_code
from tests.loopback import LoopbackServer, QuietJsonHandler

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "receiver-shared-secret"
DIREKT_CODE = "7391"


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
    settings.RETRY_MAX_ATTEMPTS = 3
    settings.RETRY_BASE_SECONDS = 30
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
    settings.RETRY_MAX_ATTEMPTS = 1
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


# --- claim.reported: a claim reported by phone at the desk ----------------------------------


@pytest.fixture
def claims_system(receiver):
    return WebhookEndpoint.objects.create(
        name="claims system", url=receiver.url, secret=SECRET, events=[WebhookEvent.CLAIM_REPORTED]
    )


@pytest.fixture
def desk_call(agent, login, settings):
    """An agent logged in on the desk with a verified PBX call of a firm taken from the queue
    (a PBX call: nothing to put through); return the handling and the firm's casco contract."""
    from calls.desk import services as desk_services
    from calls.models import CallTicket
    from tests.factories import ContractFactory

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    firm = PartnerFirmFactory(grid="123456789", name="Első Alkusz Kft.", email="iroda@example.hu")
    set_direkt_code(firm, DIREKT_CODE)
    contract = ContractFactory(
        policy_number="CAS-HOOK-9", firm=firm, product="casco", bonus_malus_class=""
    )
    now = timezone.now()
    ticket = CallTicket.objects.create(
        source=CallTicket.Source.PBX,
        call_sid="claim-hook-1",
        state=CallTicket.State.WAITING,
        menu=CallTicket.Menu.CLAIMS,
        grid_entered=firm.grid,
        firm=firm,
        verified_at=now,
        queue_name="claims",
        enqueued_at=now,
        stage=CallTicket.Stage.DONE,
    )
    handling = desk_services.call_take(ticket_id=ticket.pk, agent=agent)
    login(agent)
    return handling, contract


def claim_report_url(handling, contract):
    from django.urls import reverse

    return reverse("desk:claim-report", args=[handling.ticket_id, contract.policy_number])


def test_a_claim_reported_at_the_desk_is_announced_once_with_its_final_number(
    client, receiver, claims_system, desk_call
):
    from claims.models import Claim

    handling, contract = desk_call
    url = claim_report_url(handling, contract)
    answers = motor_answers(contract, cover="own_damage")
    response = client.post(url, answers)
    claim = Claim.objects.get()
    assert response.status_code == 302 and claim.claim_number.startswith("TK")

    ((headers, body),) = receiver.received
    assert headers["X-GrATISZ-Event"] == "claim.reported"
    data = json.loads(body)["data"]
    # The number the caller was given, not the temporary one the row was first written with.
    assert data["claim_number"] == claim.claim_number
    assert data["policy_number"] == "CAS-HOOK-9"
    assert data["cover"] == "own_damage"
    assert data["event_date"] == answers["event_at"][:10]
    assert data["reported_on"] == timezone.localdate().isoformat()
    vehicle = contract.vehicle_links.get().vehicle
    assert data["vehicle"]["id"] == vehicle.external_id
    assert data["vehicle"]["plate"] == vehicle.plate
    assert DIREKT_CODE not in json.dumps(data) and "PENDING" not in body.decode()
    # What the caller said, as the core system needs it to open the claim.
    assert data["event_at"].startswith(answers["event_at"])
    assert data["noticed_at"].startswith(answers["noticed_at"])
    assert data["place"] == "Szeged, Kárász utca 5."
    assert data["description"] == "Parkolóban tolatás közben nekiment egy oszlopnak."
    assert data["vehicle"]["make_and_type"] == "Suzuki Vitara"
    assert data["inspection_place"] == "Szeged, szerviz"
    assert data["authorities_involved"] is False
    assert data["contact"] == {
        "name": "Kiss Boglárka",
        "address": "6720 Szeged, Kárász utca 5.",
        "phone_or_email": "+36301234567",
    }
    assert data["reported_by"] == {"grid": "123456789", "name": "Első Alkusz Kft."}
    assert data["call_reference"] == str(handling.ticket_id)
    assert WebhookDelivery.objects.get().state == "delivered"

    # The same report submitted again (a double click) is the same claim: not announced again.
    from calls.desk import services as desk_services
    from calls.desk.models import ClaimReport

    report = ClaimReport.objects.get()
    again = desk_services.claim_report_submit(
        report_id=report.pk, handling=handling, cleaned={}, raw={}
    )
    assert again == claim
    assert len(receiver.received) == 1 and OutgoingEvent.objects.count() == 1


def test_the_claim_reported_event_carries_what_the_core_system_needs_to_open_the_claim(
    receiver, claims_system
):
    from claims.services import PhoneReport, claim_report_by_phone
    from tests.factories import ContractFactory

    firm = PartnerFirmFactory(grid="555666777", name="Harmadik Alkusz Bt.")
    contract = ContractFactory(policy_number="OTT-HOOK-1", firm=firm, product="home")
    event_at = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)
    claim = claim_report_by_phone(
        contract=contract,
        cover="water",
        event_date=timezone.localtime(event_at).date(),
        description="kept on the claim",
        report=PhoneReport(
            reported_by=firm,
            call_reference="4711",
            event_at=event_at,
            noticed_at=event_at + datetime.timedelta(hours=2),
            place="6720 Szeged, Kárász utca 5.",
            what_happened="Csőtörés a fürdőszobában.",
            authorities_involved=False,
            estimated_amount=450_000,
            contact_name="Kiss Boglárka",
            contact_address="6720 Szeged, Kárász utca 5.",
            contact_phone_or_email="+36301234567",
        ),
    )
    ((_headers, body),) = receiver.received
    data = json.loads(body)["data"]
    assert data["claim_number"] == claim.claim_number and claim.claim_number.startswith("TK")
    assert data["policy_number"] == "OTT-HOOK-1" and data["cover"] == "water"
    assert datetime.datetime.fromisoformat(data["event_at"]) == event_at
    assert datetime.datetime.fromisoformat(data["noticed_at"]) == event_at + datetime.timedelta(
        hours=2
    )
    assert data["place"] == "6720 Szeged, Kárász utca 5."
    assert data["description"] == "Csőtörés a fürdőszobában."
    assert data["vehicle"] is None
    assert data["authorities_involved"] is False
    assert data["estimated_amount"] == 450_000
    assert data["contact"] == {
        "name": "Kiss Boglárka",
        "address": "6720 Szeged, Kárász utca 5.",
        "phone_or_email": "+36301234567",
    }
    assert data["reported_by"] == {"grid": "555666777", "name": "Harmadik Alkusz Bt."}
    assert data["call_reference"] == "4711"


def test_a_draft_report_never_submitted_is_not_announced(
    client, receiver, claims_system, desk_call
):
    from calls.desk.models import ClaimReport

    handling, contract = desk_call
    url = claim_report_url(handling, contract)
    response = client.post(url, {**motor_answers(contract, cover="own_damage"), "action": "draft"})
    assert response.status_code == 302
    assert ClaimReport.objects.get().state == ClaimReport.State.DRAFT
    assert client.get(url).status_code == 200
    assert not OutgoingEvent.objects.exists() and receiver.received == []


def test_claims_imported_through_the_sync_api_are_not_announced(
    make_client, receiver, claims_system
):
    """The core systems' sync brings claims they already have, a phone claim they took over
    included: none of them is news to them."""
    from claims.models import Claim
    from gratisz.api.models import Scope
    from tests.gratisz.test_import_portfolio import RECORDS

    _integration, _token, http = make_client(Scope.SYNC)
    taken_over = dict(RECORDS[-1], claim_number="TK2026000042", origin="phone", payments=[])
    answer = http.post("/api/v1/sync/", {"records": [*RECORDS, taken_over]}, format="json")
    assert answer.status_code == 200 and answer.json()["counts"]["failed"] == 0
    assert set(Claim.objects.values_list("claim_number", "origin")) == {
        ("2024123", "core"),
        ("TK2026000042", "phone"),
    }
    assert not OutgoingEvent.objects.exists() and receiver.received == []


def test_a_failing_announcement_keeps_the_claim_and_its_number(
    client, receiver, claims_system, desk_call, monkeypatch
):
    from calls.desk.models import ClaimReport
    from claims.models import Claim
    from gratisz.api import signals

    def broken(**kwargs):
        OutgoingEvent.objects.create(type="claim.reported", payload={})  # rolled back with it
        raise RuntimeError("payload could not be built")

    monkeypatch.setattr(signals, "claim_event_emit", broken)
    handling, contract = desk_call
    response = client.post(
        claim_report_url(handling, contract), motor_answers(contract, cover="own_damage")
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and claim.claim_number in response.url
    assert claim.claim_number.startswith("TK")
    assert claim.status_history.get().status == "reported"
    assert ClaimReport.objects.get().claim == claim
    assert not OutgoingEvent.objects.exists() and receiver.received == []
