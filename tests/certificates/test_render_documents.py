"""The cheap rendering keeps what the documents must show: every vehicle, the QR code, one page.

``certificates/rendering.py`` trades WeasyPrint's defaults for speed (one table for a whole
fleet, a PNG QR code, a lean user-agent stylesheet, compact spacing); these tests catch what such
a trade could lose without any other test noticing.
"""

import datetime
import io
import logging
import re

import pytest
import qrcode
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from certificates import rendering
from certificates.selectors import check_eligibility, document_snapshot
from claims.models import Claim
from partners.models import Contract, ContractVehicle
from tests.factories import (
    ClaimFactory,
    ClaimPaymentFactory,
    ContractFactory,
    PolicyholderFactory,
    VehicleFactory,
)

from .conftest import pdf_text

pytestmark = pytest.mark.django_db

NUMBER = "GR-2026-000123-45"


def render(contract, document_type, today):
    params = check_eligibility(document_type=document_type, contract=contract, today=today)
    data = document_snapshot(
        document_type=document_type, contract=contract, today=today, params=params
    )
    return rendering.render_document(
        document_type=document_type, number=NUMBER, issued_at=timezone.now(), data=data
    )


def fonts_of(reader):
    return {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


@pytest.fixture
def big_fleet(today):
    """A fleet of 30 vehicles, two claims each: several pages."""
    contract = ContractFactory(
        product=Contract.Product.CASCO_FLEET,
        policyholder=PolicyholderFactory(name="Nagy Flotta Kft.", kind="company", birth_date=None),
        start_date=today - datetime.timedelta(days=3 * 365),
        with_vehicle=False,
    )
    for i in range(30):
        vehicle = VehicleFactory(plate=f"FLX-{i:03d}", make="Iveco", model="Daily")
        ContractVehicle.objects.create(
            contract=contract, vehicle=vehicle, insured_from=contract.start_date
        )
        for j in range(2):
            ClaimFactory(
                contract=contract,
                vehicle=vehicle,
                claim_number=f"KX-{i:03d}-{j}",
                cover=Claim.Cover.OWN_DAMAGE,
                event_date=today - datetime.timedelta(days=30 + 300 * j + i),
                status=Claim.Status.SETTLEMENT,
                reserve_amount=10_000,
            )
    return contract


def test_fleet_of_thirty_vehicles_lists_every_vehicle_and_claim_over_pages(big_fleet, today):
    content = render(big_fleet, "fleet_damage_history", today)
    reader = PdfReader(io.BytesIO(content))
    text = pdf_text(content)
    assert len(reader.pages) >= 2
    for i in range(30):
        assert f"FLX-{i:03d}" in text, i
        assert f"KX-{i:03d}-0" in text and f"KX-{i:03d}-1" in text, i
    assert "Gépjárművek száma 30" in text
    assert "Károk száma (ebből nyitott) 60 (60)" in text
    assert "600 000 Ft" in text  # reserve total
    # The column heads repeat on every page that continues the table.
    for page in reader.pages[1:]:
        if "KX-" in page.extract_text():
            assert "Kárszám" in page.extract_text()
    # The verification and its QR code come once, at the end.
    assert text.count("Lekérdezés napja") == 1
    assert "Lekérdezés napja" in reader.pages[-1].extract_text()


def test_damage_history_with_ten_paid_claims_fits_on_one_page_with_its_qr_code(today):
    contract = ContractFactory(
        policyholder=PolicyholderFactory(name="Őri Űrsula"),
        start_date=today - datetime.timedelta(days=6 * 365),
    )
    for i in range(10):
        claim = ClaimFactory(
            contract=contract,
            claim_number=f"K20260000{i:02d}",
            event_date=today - datetime.timedelta(days=100 + i * 150),
            status=Claim.Status.PAID,
        )
        ClaimPaymentFactory(claim=claim, paid_on=claim.event_date + datetime.timedelta(days=20))
    content = render(contract, "damage_history", today)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text = pdf_text(content)
    assert all(f"K20260000{i:02d}" in text for i in range(10))
    assert "Őri Űrsula" in text and "Lekérdezés napja" in text
    assert len(reader.pages[0].images) == 1  # the QR code


def test_qr_code_image_encodes_the_verification_url(gfb_contract, today):
    content = render(gfb_contract, "coverage", today)
    (image,) = PdfReader(io.BytesIO(content)).pages[0].images
    pixels = Image.open(io.BytesIO(image.data)).convert("L")
    code = qrcode.QRCode(
        border=1, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2
    )
    code.add_data(rendering.verification_url(NUMBER))
    code.make(fit=True)
    matrix = code.get_matrix()
    assert pixels.size == (len(matrix), len(matrix))
    assert [
        [pixels.getpixel((x, y)) < 128 for x in range(pixels.width)] for y in range(pixels.height)
    ] == matrix
    assert "https://gratisz.example.hu/verify/" in rendering.verification_url(NUMBER)


@pytest.mark.parametrize(
    "document_type", ["damage_history", "coverage", "green_card", "premium_status"]
)
def test_documents_embed_two_subset_font_faces_and_stay_small(gfb_contract, today, document_type):
    content = render(gfb_contract, document_type, today)
    reader = PdfReader(io.BytesIO(content))
    fonts = fonts_of(reader)
    # Subset fonts carry a six-letter tag: "/ABCDEF+DejaVu-Sans"; regular and bold only.
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+DejaVu-Sans(-Bold)?", f) for f in fonts), fonts
    assert len(fonts) <= 2, fonts
    assert len(content) < 40_000, len(content)
    assert b"pdfaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_green_card_lists_every_country_box_and_the_trilingual_title(gfb_contract, today):
    content = render(gfb_contract, "green_card", today)
    params = check_eligibility(document_type="green_card", contract=gfb_contract, today=today)
    data = document_snapshot(
        document_type="green_card", contract=gfb_contract, today=today, params=params
    )
    text = pdf_text(content)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    words = set(text.split())
    assert {c["code"] for c in data["countries"]} <= words
    for box in range(1, 12):
        assert str(box) in words, box
    assert "INTERNATIONAL MOTOR INSURANCE CARD" in text
    assert "CARTE INTERNATIONALE D'ASSURANCE AUTOMOBILE" in text


def test_lean_user_agent_stylesheet_is_in_use_and_keeps_the_html_rules():
    # The hook the renderer overrides must still exist in the pinned WeasyPrint.
    assert "_ua_stylesheets" in vars(HTML)
    lean = rendering.lean_user_agent_css_text()
    assert "::marker" not in lean and "::footnote-call" not in lean
    assert "td, th, td[hidden], th[hidden] { display: table-cell }" in lean
    assert "h1 { font-size: 2em; font-weight: bold }" in lean
    document = rendering._HTML(string="<p>x</p>")
    assert document._ua_stylesheets() == [rendering._get_resources().user_agent_css]


def test_rendering_logs_no_weasyprint_warning(
    gfb_contract, fleet_contract, today, caplog, monkeypatch
):
    monkeypatch.setattr(rendering, "_resources", None)  # parse the stylesheets again, here
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        for document_type in ["damage_history", "coverage", "green_card", "premium_status"]:
            render(gfb_contract, document_type, today)
        render(fleet_contract, "fleet_damage_history", today)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
