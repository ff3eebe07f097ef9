"""The admin: the document library takes versioned PDF uploads; deliveries are read-only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certificates.models import LibraryDocument
from certificates.rendering import html_to_pdf

pytestmark = pytest.mark.django_db


def test_administrator_publishes_a_library_pdf_as_version_one(client, login, administrator):
    login(administrator)
    pdf = html_to_pdf("<p>Kockázatfelmérő lap</p>")
    response = client.post(
        reverse("admin:certificates_librarydocument_add"),
        {
            "code": "kockazatfelmero",
            "title": "Kockázatfelmérő lap",
            "category": "site_survey",
            "is_active": "on",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-file": SimpleUploadedFile("lap.pdf", pdf, "application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = LibraryDocument.objects.get(code="kockazatfelmero")
    version = document.current_version
    assert version.version == 1 and version.uploaded_by == administrator
    assert len(version.sha256) == 64


def test_deliveries_admin_is_for_staff_only(client, login, administrator, agent):
    url = reverse("admin:certificates_delivery_changelist")
    login(agent)
    assert client.get(url).status_code == 302  # not staff: to the admin login
    other = client.__class__()
    login(administrator, other)
    assert other.get(url).status_code == 200
