"""Sending the calling firm a form or document from the library ("SOS") during a call."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from calls.desk import services
from calls.desk.models import DeskRequest
from certificates.models import CertificateRequest, Delivery, DocumentType, LibraryDocument
from certificates.services import library_version_publish

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def form(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = LibraryDocument.objects.create(
        code="kezi-ajanlat", title="Kézi ajánlat (KGFB)", category="form"
    )
    library_version_publish(document=document, file=ContentFile(PDF, name="kezi.pdf"))
    return document


def send_url(handling):
    return reverse("desk:library-send", args=[handling.ticket_id])


def test_a_library_form_goes_to_the_firms_email_on_file_without_identification(
    agent, login, client, firm, on_call, form
):
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert "Kézi ajánlat (KGFB)" in page  # offered on the call screen
    response = client.post(send_url(handling), {"document": form.pk, "channel": "email"})
    assert response.status_code == 302
    request = CertificateRequest.objects.get()
    assert request.document_type == DocumentType.LIBRARY and request.contract is None
    assert request.library_version == form.current_version
    delivery = Delivery.objects.get(request=request)
    assert (delivery.channel, delivery.destination) == ("email", firm.email)
    assert delivery.on_file and delivery.recipient_name == firm.name
    assert DeskRequest.objects.get(handling=handling).subject == "Kézi ajánlat (KGFB)"


def test_a_dictated_fax_number_must_be_read_back_and_nothing_is_saved_before(
    agent, login, client, firm, on_call, form
):
    handling = on_call(agent, firm)
    login(agent)
    data = {"document": form.pk, "channel": "fax", "destination": "+36 1 555 1234"}
    response = client.post(send_url(handling), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "vissza kell olvasni" in page and 'value="+36 1 555 1234"' in page
    assert not CertificateRequest.objects.exists() and not DeskRequest.objects.exists()
    assert client.post(send_url(handling), {**data, "read_back": "on"}).status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.destination == "+36 1 555 1234" and not delivery.on_file and delivery.read_back


def test_a_document_without_a_published_version_is_not_offered(
    agent, login, client, firm, on_call, form
):
    draft = LibraryDocument.objects.create(code="uj", title="Új tarifa", category="tariff")
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert "Új tarifa" not in page
    response = client.post(send_url(handling), {"document": draft.pk, "channel": "email"})
    assert response.status_code == 200 and not CertificateRequest.objects.exists()


def test_another_agents_or_a_closed_call_sends_nothing(
    make_user, agent, login, client, firm, on_call, form
):
    theirs = on_call(make_user("agent"), firm)
    mine = on_call(agent, firm)
    services.call_close(handling=mine, notes="", outcome="answered")
    login(agent)
    data = {"document": form.pk, "channel": "email"}
    assert client.post(send_url(theirs), data).status_code == 404
    assert client.post(send_url(mine), data).status_code == 403
    assert not CertificateRequest.objects.exists()
