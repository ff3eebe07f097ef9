"""Each document type shows every required field, in Hungarian, and keeps its snapshot."""

import hashlib
import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from certificates.models import DocumentType
from certificates.services import certificate_issue, certificate_request_create
from partners.models import Contract

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def issue(contract, document_type, **kwargs):
    request = certificate_request_create(
        document_type=document_type,
        contract=contract,
        requested_by=None,
        deliveries=[],
        **kwargs,
    )
    certificate = certificate_issue(request=request)
    with certificate.pdf.open("rb") as f:
        content = f.read()
    return certificate, content, pdf_text(content)


def hu(day):
    return f"{day.year}. {day.month:02d}. {day.day:02d}."


def test_damage_history_shows_paid_claims_of_last_five_years_by_payment_date(gfb_contract, today):
    certificate, content, text = issue(gfb_contract, DocumentType.DAMAGE_HISTORY)
    assert content.startswith(b"%PDF")
    for expected in [
        "Kártörténeti igazolás",
        "Groupama Biztosító Zrt.",
        "Győri Ődön Ürmös",  # ő and ű survive the extraction
        "6720 Szeged, Kárász utca 5.",
        "1975. 03. 09.",
        "RXK-421",
        "Škoda",
        "GFB-0000123",
        hu(gfb_contract.start_date),
        "B06",
        "K2024111111",
        "K2019222222",
        certificate.number,
        hu(today),
    ]:
        assert expected in text, expected
    assert "K2018333333" not in text


def test_damage_history_states_when_there_were_no_claims(db):
    from tests.factories import ContractFactory

    _, _, text = issue(ContractFactory(), DocumentType.DAMAGE_HISTORY)
    assert "kárkifizetés nem történt" in text


def test_fleet_history_lists_each_vehicle_claims_and_totals(fleet_contract):
    _, _, text = issue(fleet_contract, DocumentType.FLEET_DAMAGE_HISTORY)
    for expected in [
        "Casco flotta",
        "FLT-001",
        "FLT-002",
        "FLT-003",
        "KF-1",
        "KF-2",
        "250 000 Ft",
        "120 000 Ft",
        "nyitott",
        "lezárt",
        "Flotta összesen",
        "Fuvarozó Bt.",
    ]:
        assert expected in text, expected


def test_coverage_certificate_states_the_period(gfb_contract, today):
    _, _, text = issue(gfb_contract, DocumentType.COVERAGE)
    assert "Fedezetigazolás" in text
    assert f"(fedezet) {hu(today)} napján fennáll." in text.replace("\n", " ")
    assert "RXK-421" in text and "GFB-0000123" in text


def test_green_card_has_its_boxes_and_crosses_out_uncovered_countries(
    gfb_contract, today, settings
):
    settings.GREEN_CARD_BUREAU = "Magyar Biztosítók Szövetsége (MABISZ), Budapest"
    certificate, _, text = issue(gfb_contract, DocumentType.GREEN_CARD)
    for expected in [
        "NEMZETKÖZI GÉPJÁRMŰ-BIZTOSÍTÁSI KÁRTYA",
        "INTERNATIONAL MOTOR INSURANCE CARD",
        "CARTE INTERNATIONALE D'ASSURANCE AUTOMOBILE",
        "MABISZ",
        hu(today),
        f"H / 999 / {certificate.number}",
        "RXK-421",
        "Škoda",
        "Győri Ődön Ürmös",
        "Groupama Biztosító Zrt.",
    ]:
        assert expected in text, expected
    countries = {c["code"]: c["covered"] for c in certificate.data["countries"]}
    assert countries["H"] and countries["A"] and not countries["RUS"] and not countries["BY"]
    assert certificate.data["vehicle"]["category"] == "A"
    assert certificate.valid_from == today


def test_premium_status_shows_paid_until_arrears_and_payments(premium_contract):
    _, _, text = issue(premium_contract, DocumentType.PREMIUM_STATUS)
    start = premium_contract.start_date
    import datetime

    assert "Díjrendezettségi igazolás" in text
    assert f"Díjrendezettség dátuma {hu(start + datetime.timedelta(days=89))}" in text
    assert f"12 500 Ft ({hu(start)} óta)" in text
    assert f"{hu(start)} 12 000 Ft" in text


def test_invoice_and_policy_copies(premium_contract):
    invoice = premium_contract.invoices.get(number="SZ-2")
    _, _, text = issue(premium_contract, DocumentType.INVOICE_COPY, invoice=invoice)
    assert "MÁSOLAT" in text and "SZ-2" in text and "12 500 Ft" in text
    _, _, text = issue(premium_contract, DocumentType.POLICY_COPY)
    assert "Biztosítási kötvény" in text and "GFB-0000555" in text and "48 000 Ft" in text


def test_issued_certificate_keeps_its_snapshot_and_hash_when_data_changes(gfb_contract):
    certificate, content, _ = issue(gfb_contract, DocumentType.DAMAGE_HISTORY)
    assert certificate.sha256 == hashlib.sha256(content).hexdigest()
    Contract.objects.filter(pk=gfb_contract.pk).update(bonus_malus_class="M04")
    gfb_contract.policyholder.name = "Új Név"
    gfb_contract.policyholder.save()
    certificate.refresh_from_db()
    assert certificate.data["bonus_malus_at_issue"] == "B06"
    assert certificate.data["policyholder"]["name"] == "Győri Ődön Ürmös"
    # Issuing again for the same request returns the same document.
    assert certificate_issue(request=certificate.request) == certificate


def test_document_numbers_are_unique_and_carry_check_digits(gfb_contract):
    from certificates.services import number_is_well_formed

    numbers = {issue(gfb_contract, DocumentType.COVERAGE)[0].number for _ in range(3)}
    assert len(numbers) == 3
    assert all(number_is_well_formed(n) for n in numbers)


def test_pdf_is_pdf_a_with_subset_fonts_and_small(gfb_contract):
    _, content, _ = issue(gfb_contract, DocumentType.DAMAGE_HISTORY)
    reader = PdfReader(io.BytesIO(content))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]
    fonts = {
        font.get_object()["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("+DejaVu" in name for name in fonts), fonts  # subset prefix
    assert len(content) < 80_000


def test_render_certificate_command_writes_the_pdf(gfb_contract, tmp_path):
    out = tmp_path / "gc.pdf"
    call_command(
        "render_certificate", "--type", "green_card", "--policy", "GFB-0000123", "--out", str(out)
    )
    assert "RXK-421" in pdf_text(out.read_bytes())


def test_render_certificate_command_refuses_with_the_reason(fleet_contract, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="only for motor liability"):
        call_command(
            "render_certificate",
            "--type",
            "damage_history",
            "--policy",
            "CF-0000777",
            "--out",
            str(tmp_path / "x.pdf"),
        )
