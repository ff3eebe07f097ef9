"""The public verification page: valid, unknown and tampered numbers; nothing personal."""

import pytest
from django.urls import reverse

from certificates.models import DocumentType
from certificates.services import certificate_issue, certificate_request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(gfb_contract):
    request = certificate_request_create(
        document_type=DocumentType.GREEN_CARD,
        contract=gfb_contract,
        requested_by=None,
        deliveries=[],
    )
    return certificate_issue(request=request)


def test_valid_number_shows_number_type_issue_date_and_validity(client, certificate, today):
    response = client.get(reverse("certificates:verify", args=[certificate.number]))
    assert response.status_code == 200
    page = response.content.decode()
    assert certificate.number in page
    assert str(certificate.get_document_type_display()) in page
    assert f"{today.year}. {today.month:02d}. {today.day:02d}." in page
    assert f"{certificate.valid_until.year}. {certificate.valid_until.month:02d}." in page
    assert 'data-state="valid"' in page
    for personal in ["Győri", "RXK-421", "GFB-0000123", "Szeged", "1975"]:
        assert personal not in page


def test_qr_code_leads_to_the_verification_page(certificate):
    from certificates.rendering import verification_url

    assert verification_url(certificate.number) == (
        f"https://gratisz.example.hu/verify/{certificate.number}/"
    )


def test_unknown_but_well_formed_number_is_not_ours(client, certificate):
    year, sequence, random_part = certificate.number.split("-")[1:4]
    from certificates.services import _check_digits

    other = f"{(int(random_part) + 1) % 10**8:08d}"
    number = f"GR-{year}-{sequence}-{other}-{_check_digits(int(year), int(sequence), other):02d}"
    response = client.get(reverse("certificates:verify", args=[number]))
    assert response.status_code == 404
    assert 'data-state="unknown"' in response.content.decode()


def test_tampered_number_is_reported_as_altered(client, certificate):
    prefix, year, sequence, random_part, check = certificate.number.split("-")
    tampered = f"{prefix}-{year}-{int(sequence) + 1:06d}-{random_part}-{check}"
    response = client.get(reverse("certificates:verify", args=[tampered]))
    assert response.status_code == 404
    assert 'data-state="malformed"' in response.content.decode()


def test_lookup_form_redirects_to_the_number(client):
    response = client.get(reverse("certificates:verify-lookup"), {"number": " gr-2026-1 "})
    assert response.status_code == 302
    assert response.url == reverse("certificates:verify", args=["GR-2026-1"])


def test_page_is_public_even_for_a_half_logged_in_user(client, agent, certificate):
    from tests.conftest import PASSWORD

    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    response = client.get(reverse("certificates:verify", args=[certificate.number]))
    assert response.status_code == 200
