"""The delivery pipeline in this process (Celery eager): channels, retries, failures, batch."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.fax import TransientDeliveryError
from certificates.models import Delivery, DeliveryAttempt, DocumentType, IssuedCertificate
from certificates.services import DeliverySpec, certificate_request_create
from partners.models import PartnerManager

from .conftest import pdf_text
from .fakes import FakeFaxAPI, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def fax_api(settings):
    api = FakeFaxAPI().start()
    settings.CERTIFICATES_FAX_BACKEND = "certificates.fax.HttpFaxBackend"
    settings.CERTIFICATES_FAX_API_URL = api.url
    settings.CERTIFICATES_FAX_API_TOKEN = api.token
    yield api
    api.stop()


def make_request(contract, deliveries, user=None, document_type=DocumentType.COVERAGE):
    return certificate_request_create(
        document_type=document_type,
        contract=contract,
        requested_by=user,
        deliveries=deliveries,
        source="call:42",
    )


def test_email_goes_once_with_the_pdf_attached(
    celery_eager, gfb_contract, django_capture_on_commit_callbacks
):
    to = gfb_contract.policyholder.email
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(gfb_contract, [DeliverySpec(channel="email", destination=to)])
    delivery = request.deliveries.get()
    assert delivery.state == Delivery.State.SENT and delivery.on_file
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    certificate = IssuedCertificate.objects.get(request=request)
    assert message.to == [to]
    assert certificate.number in message.subject
    # The subject names the service and starts with a capital; no double parentheses.
    assert message.subject.startswith("GrATISZ: ") and message.subject[9].isupper()
    assert f"bizonylatszám: {certificate.number}." in message.body
    ((filename, content, mimetype),) = message.attachments
    assert filename == f"{certificate.number}.pdf" and mimetype == "application/pdf"
    assert services.hashlib.sha256(content).hexdigest() == certificate.sha256
    assert message.extra_headers["Message-ID"] == delivery.message_id
    # A redelivered task finds it sent and does nothing.
    assert services.delivery_process(delivery_id=delivery.pk) == "skipped"
    assert len(mail.outbox) == 1
    outcomes = list(delivery.attempt_log.values_list("outcome", flat=True))
    assert outcomes == ["sent", "skipped"]


def test_smtp_down_backs_off_exponentially_then_fails_for_good(settings, gfb_contract):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.RETRY_BASE_SECONDS = 10
    settings.RETRY_MAX_ATTEMPTS = 3
    request = make_request(gfb_contract, [DeliverySpec(channel="email")])
    delivery = request.deliveries.get()
    delays = []
    for _ in range(2):
        with pytest.raises(TransientDeliveryError) as error:
            services.delivery_process(delivery_id=delivery.pk)
        delays.append(error.value.retry_in)
        delivery.refresh_from_db()
        assert delivery.state == Delivery.State.QUEUED
        assert delivery.next_attempt_at > timezone.now()
    assert delays == [10, 20]
    assert services.delivery_process(delivery_id=delivery.pk) == "permanent"
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED
    assert "gave up after 3 attempts" in delivery.attempt_log.last().detail
    # The document was issued once although three tries rendered nothing new.
    assert IssuedCertificate.objects.count() == 1


def test_fax_goes_through_the_api_once(
    celery_eager, fax_api, gfb_contract, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(gfb_contract, [DeliverySpec(channel="fax")])
    delivery = request.deliveries.get()
    assert delivery.state == Delivery.State.SENT
    assert delivery.reference == "fx_1"
    (fax,) = fax_api.faxes
    assert fax["to"] == "+3615550100" and fax["pdf"].startswith(b"%PDF")
    assert fax["key"] == delivery.message_id
    assert "GFB-0000123" in pdf_text(fax["pdf"])


def test_fax_api_refusal_shows_as_failed_and_resend_sends_it(
    celery_eager, fax_api, gfb_contract, agent, login, client, django_capture_on_commit_callbacks
):
    fax_api.fail_with = 422
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(gfb_contract, [DeliverySpec(channel="fax")], user=agent)
    delivery = request.deliveries.get()
    assert delivery.state == Delivery.State.FAILED
    assert "422" in delivery.last_error
    login(agent)
    page = client.get(reverse("certificates:deliveries")).content.decode()
    assert "422" in page and reverse("certificates:delivery-resend", args=[delivery.pk]) in page
    fax_api.fail_with = None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certificates:delivery-resend", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT
    assert len(fax_api.faxes) == 1
    # A sent delivery cannot be resent.
    with pytest.raises(ValidationError):
        services.delivery_resend(delivery=delivery, by=agent)


def test_fax_file_backend_for_the_demo(
    celery_eager, settings, gfb_contract, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(gfb_contract, [DeliverySpec(channel="fax")])
    delivery = request.deliveries.get()
    assert delivery.state == Delivery.State.SENT
    written = list(settings.CERTIFICATES_FAX_FILE_PATH.glob("*.pdf"))
    assert len(written) == 1 and written[0].read_bytes().startswith(b"%PDF")


def test_post_by_default_to_the_policyholder_then_the_print_batch(
    celery_eager, gfb_contract, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = make_request(gfb_contract, None)
        second = make_request(gfb_contract, None, document_type=DocumentType.GREEN_CARD)
    letters = Delivery.objects.filter(request__in=[first, second])
    assert {d.destination for d in letters} == {"6720 Szeged, Kárász utca 5."}
    assert {d.state for d in letters} == {Delivery.State.SENDING}
    batch = services.print_batch_build()
    assert batch.letters == 2
    with batch.pdf.open("rb") as f:
        text = pdf_text(f.read())
    numbers = [d.request.certificate.number for d in letters.order_by("created_at", "pk")]
    # Address sheet, then the document, for each letter in order.
    assert text.index("Győri Ődön Ürmös") < text.index("Fedezetigazolás")
    assert text.index(f"Küldemény: {numbers[0]}") < text.index(f"Küldemény: {numbers[1]}")
    assert "NEMZETKÖZI GÉPJÁRMŰ-BIZTOSÍTÁSI KÁRTYA" in text
    # In the batch, not sent: nobody has printed or posted the letters yet.
    assert {(d.state, d.sent_at) for d in letters.all()} == {(Delivery.State.BATCHED, None)}
    assert services.print_batch_build() is None


def test_dictated_destination_must_be_read_back_and_is_reported_to_managers(
    celery_eager, gfb_contract, make_user, django_capture_on_commit_callbacks
):
    manager = make_user("partner_manager")
    manager.email = "vezeto@alkusz.example.hu"
    manager.save()
    PartnerManager.objects.create(firm=gfb_contract.firm, user=manager, is_leader=True)
    spec = DeliverySpec(channel="email", destination="valaki@mashol.example.com")
    with pytest.raises(ValidationError, match="read back"):
        make_request(gfb_contract, [spec])
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(gfb_contract, [DeliverySpec(**{**spec.__dict__, "read_back": True})])
    delivery = request.deliveries.get()
    assert not delivery.on_file and delivery.reported_at
    report = [m for m in mail.outbox if m.to == ["vezeto@alkusz.example.hu"]]
    assert len(report) == 1 and "valaki@mashol.example.com" in report[0].body
    assert services.dictated_destination_report(delivery_id=delivery.pk) is False


def test_request_saved_while_nothing_was_queued_goes_out_after_the_sweep(
    celery_eager, settings, gfb_contract
):
    # The commit hooks never ran (as when the broker was down): the request is saved, queued.
    request = make_request(gfb_contract, [DeliverySpec(channel="email")])
    delivery = request.deliveries.get()
    assert delivery.state == Delivery.State.QUEUED and not mail.outbox
    assert services.deliveries_sweep() == []  # too fresh: its own task may still come
    later = timezone.now() + datetime.timedelta(
        seconds=settings.CERTIFICATES_SWEEP_GRACE_SECONDS + 1
    )
    assert services.deliveries_sweep(now=later) == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT and len(mail.outbox) == 1


def test_enqueue_with_the_broker_down_keeps_the_request(
    gfb_contract, broker_down, django_capture_on_commit_callbacks, caplog
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        request = make_request(gfb_contract, [DeliverySpec(channel="email")])
    assert request.deliveries.get().state == Delivery.State.QUEUED
    assert "left for the sweep" in caplog.text  # publishing really failed


def test_sweep_hands_a_dead_workers_delivery_to_another(celery_eager, gfb_contract):
    request = make_request(gfb_contract, [DeliverySpec(channel="email")])
    delivery = request.deliveries.get()
    started = timezone.now() - datetime.timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENDING, lease_until=started + datetime.timedelta(minutes=5)
    )
    DeliveryAttempt.objects.create(delivery=delivery, started_at=started, outcome="started")
    assert services.deliveries_sweep() == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT and len(mail.outbox) == 1
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["interrupted", "sent"]


def test_deliveries_page_permissions(client, login, agent, make_user, gfb_contract):
    other_agent = make_user("agent")
    request = make_request(gfb_contract, [DeliverySpec(channel="email")], user=other_agent)
    delivery = request.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", last_error="boom")
    url = reverse("certificates:deliveries")
    assert client.get(url).status_code == 302  # anonymous: to the login
    login(agent)
    assert "boom" not in client.get(url).content.decode()  # another agent's delivery
    resend = reverse("certificates:delivery-resend", args=[delivery.pk])
    assert client.post(resend).status_code == 404
    manager_client = client.__class__()
    login(make_user("partner_manager"), manager_client)
    assert manager_client.get(url).status_code == 403
    supervisor_client = client.__class__()
    login(make_user("supervisor"), supervisor_client)
    assert "boom" in supervisor_client.get(url).content.decode()
    assert supervisor_client.post(resend).status_code == 302


def test_pdf_download_only_for_own_requests_or_supervisors(
    client, login, agent, make_user, gfb_contract
):
    request = make_request(gfb_contract, [], user=agent)
    certificate = services.certificate_issue(request=request)
    url = reverse("certificates:pdf", args=[certificate.number])
    login(agent)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content)[:4] == b"%PDF"
    other = client.__class__()
    login(make_user("agent"), other)
    assert other.get(url).status_code == 404
    manager = client.__class__()
    login(make_user("partner_manager"), manager)
    assert manager.get(url).status_code == 403


def test_library_document_goes_as_its_current_version(
    celery_eager, gfb_contract, agent, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from certificates.models import LibraryDocument
    from certificates.rendering import html_to_pdf

    form = LibraryDocument.objects.create(
        code="karbejelento", title="Kárbejelentő", category=LibraryDocument.Category.CLAIM_REPORT
    )
    with pytest.raises(ValidationError):
        services.library_version_publish(document=form, file=ContentFile(b"not a pdf"), by=agent)
    services.library_version_publish(
        document=form, file=ContentFile(html_to_pdf("<p>Régi űrlap</p>")), by=agent
    )
    current = services.library_version_publish(
        document=form, file=ContentFile(html_to_pdf("<p>Új űrlap</p>")), by=agent
    )
    assert current.version == 2
    with django_capture_on_commit_callbacks(execute=True):
        request = certificate_request_create(
            document_type=DocumentType.LIBRARY,
            library_document=form,
            contract=gfb_contract,
            requested_by=agent,
            deliveries=[DeliverySpec(channel="email")],
        )
    assert request.library_version == current
    (message,) = mail.outbox
    ((filename, content, _mimetype),) = message.attachments
    assert filename == "karbejelento-v2.pdf"
    assert "Új űrlap" in pdf_text(content)
    assert not IssuedCertificate.objects.exists()
