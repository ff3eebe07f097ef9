"""The whole pipeline with a real Celery worker on Redis and a real SMTP server (aiosmtpd).

PostgreSQL and Redis only: the worker is a separate process and must see the test database.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from certificates import services
from certificates.models import Delivery, DocumentType, IssuedCertificate, PrintBatch
from certificates.services import DeliverySpec, certificate_request_create
from certificates.tasks import build_print_batch, deliver
from tests.celery_worker import (
    mail_worker_running,
    skip_unless_real_services,
    wait_for,
)

from .conftest import pdf_text
from .fakes import FakeFaxAPI, RecordingHandler

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(settings.BASE_DIR)
LEASE_SECONDS = 3


@pytest.fixture(scope="module")
def pipeline(django_db_setup, django_db_blocker, tmp_path_factory):
    skip_unless_real_services()
    folder = tmp_path_factory.mktemp("pipeline")
    fax = FakeFaxAPI().start()
    try:
        with mail_worker_running(
            folder / "worker.log",
            FAX_BACKEND="certificates.fax.HttpFaxBackend",
            FAX_API_URL=fax.url,
            FAX_API_TOKEN=fax.token,
            DJANGO_MEDIA_ROOT=str(folder / "media"),
            RETRY_BASE_SECONDS="1",
            RETRY_MAX_SECONDS="2",
            CERTIFICATES_LEASE_SECONDS=str(LEASE_SECONDS),
            CERTIFICATES_SEND_TIMEOUT="30",
        ) as (worker, smtp):
            yield {"worker": worker, "smtp": smtp, "fax": fax, "media": folder / "media"}
    finally:
        fax.stop()


@pytest.fixture
def world(pipeline, settings):
    settings.MEDIA_ROOT = pipeline["media"]
    settings.CERTIFICATES_LEASE_SECONDS = LEASE_SECONDS
    pipeline["smtp"].handler = RecordingHandler()
    yield pipeline
    pipeline["smtp"].stop()


def state_of(delivery):
    return Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk)


def ask(contract, spec, document_type=DocumentType.COVERAGE):
    request = certificate_request_create(
        document_type=document_type, contract=contract, requested_by=None, deliveries=[spec]
    )
    return request, request.deliveries.get()


def test_email_is_sent_once_with_the_pdf(world, gfb_contract):
    smtp = world["smtp"].start()
    request, delivery = ask(gfb_contract, DeliverySpec(channel="email"))
    wait_for(lambda: state_of(delivery) == "sent", what="the e-mail to go")
    # The task delivered again (a broker redelivery) finds it sent and does nothing.
    deliver.delay(delivery.pk)
    wait_for(lambda: delivery.attempt_log.filter(outcome="skipped").exists(), what="the skip")
    (message,) = smtp.messages
    (pdf,) = smtp.handler.pdf_attachments(message)
    certificate = IssuedCertificate.objects.get(request=request)
    assert message["To"] == gfb_contract.policyholder.email
    assert message["Message-ID"] == delivery.message_id
    assert services.hashlib.sha256(pdf).hexdigest() == certificate.sha256
    assert certificate.number in pdf_text(pdf)


def test_smtp_down_then_up_sends_once(world, gfb_contract):
    request, delivery = ask(gfb_contract, DeliverySpec(channel="email"))
    wait_for(
        lambda: delivery.attempt_log.filter(outcome="transient").exists(),
        what="a failed try while SMTP is down",
    )
    smtp = world["smtp"].start()
    wait_for(lambda: state_of(delivery) == "sent", what="the e-mail to go once SMTP is up")
    assert len(smtp.messages) == 1
    delivery.refresh_from_db()
    assert delivery.attempts >= 2


def test_worker_killed_mid_send_sends_once(world, gfb_contract):
    handler = RecordingHandler(hold_first=True)
    world["smtp"].handler = handler
    smtp = world["smtp"].start()
    request, delivery = ask(gfb_contract, DeliverySpec(channel="email"))
    assert handler.holding.wait(60), "the worker never reached the SMTP DATA step"
    world["worker"].kill()  # between handing the message over and hearing it was accepted
    handler.release.set()
    world["worker"].start()
    wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).lease_until < timezone.now(),
        what="the dead worker's lease to run out",
    )
    assert services.deliveries_sweep() == [delivery.pk]
    wait_for(lambda: state_of(delivery) == "sent", what="the e-mail to go after the sweep")
    assert len(smtp.messages) == 1
    outcomes = list(delivery.attempt_log.values_list("outcome", flat=True))
    assert outcomes == ["interrupted", "sent"]


def test_fax_goes_through_the_fake_api(world, gfb_contract):
    fax = world["fax"]
    before = len(fax.faxes)
    request, delivery = ask(gfb_contract, DeliverySpec(channel="fax"))
    wait_for(lambda: state_of(delivery) == "sent", what="the fax to go")
    assert len(fax.faxes) == before + 1
    assert fax.faxes[-1]["key"] == delivery.message_id
    assert fax.faxes[-1]["pdf"].startswith(b"%PDF")


def test_daily_print_batch_collects_the_letters(world, gfb_contract):
    request, delivery = ask(gfb_contract, DeliverySpec(channel="post"), DocumentType.GREEN_CARD)
    wait_for(lambda: state_of(delivery) == "sending", what="the letter to be rendered")
    build_print_batch.delay()
    wait_for(lambda: state_of(delivery) == "batched", what="the batch", timeout=60)
    batch = PrintBatch.objects.get()
    assert batch.letters == 1
    with batch.pdf.open("rb") as f:
        text = pdf_text(f.read())
    assert "Győri Ődön Ürmös" in text and "Kárász utca 5." in text and "RXK-421" in text
    delivery.refresh_from_db()
    assert delivery.print_batch == batch and delivery.sent_at is None
