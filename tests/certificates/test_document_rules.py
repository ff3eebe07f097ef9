"""What each document may certify: the rules, on the demo's named contracts too."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from certificates.models import CertificateRequest, DocumentType
from certificates.selectors import NotEligible, eligibility_overview
from certificates.services import certificate_issue, certificate_request_create
from gratisz import demo
from partners.models import Contract, ContractVehicle
from tests.factories import ContractFactory, InvoiceFactory, PaymentFactory, VehicleFactory

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def hu(day):
    return f"{day.year}. {day.month:02d}. {day.day:02d}."


def issue(contract, document_type, **kwargs):
    request = certificate_request_create(
        document_type=document_type, contract=contract, requested_by=None, deliveries=[], **kwargs
    )
    certificate = certificate_issue(request=request)
    with certificate.pdf.open("rb") as f:
        return certificate, pdf_text(f.read()).replace("\n", " ")


def refusal(contract, document_type, **kwargs) -> str:
    before = CertificateRequest.objects.count()
    with pytest.raises(NotEligible) as caught:
        certificate_request_create(
            document_type=document_type, contract=contract, requested_by=None, **kwargs
        )
    assert CertificateRequest.objects.count() == before
    return caught.value.reason


@pytest.fixture
def seeded(today):
    demo.seed_demo(today=today)


def contract(policy_number):
    return Contract.objects.get(policy_number=policy_number)


def in_arrears_since(contract, due_on, amount=12_000):
    """Give ``contract`` one paid quarter and an unpaid one due on ``due_on``."""
    paid_from = due_on - datetime.timedelta(days=91)
    InvoiceFactory(
        contract=contract,
        due_on=paid_from,
        period_start=paid_from,
        period_end=due_on - datetime.timedelta(days=1),
        amount=amount,
    )
    InvoiceFactory(
        contract=contract,
        due_on=due_on,
        period_start=due_on,
        period_end=due_on + datetime.timedelta(days=90),
        amount=amount,
    )
    PaymentFactory(contract=contract, paid_on=paid_from, amount=amount)


# --- 1. green card ------------------------------------------------------------------------------


def test_demo_fleet_and_arrears_contracts_get_no_green_card(seeded):
    fleet = refusal(contract("CFL-DEMO-0001"), DocumentType.GREEN_CARD)
    assert "only for a motor third-party liability (GFB) contract" in fleet
    arrears = refusal(contract("GFB-DEMO-0004"), DocumentType.GREEN_CARD)
    assert "in arrears" in arrears
    lapsed = refusal(contract("GFB-DEMO-0003"), DocumentType.GREEN_CARD)
    assert "in force" in lapsed


def test_demo_reasons_are_on_the_desk_before_sending(seeded, today):
    overview = {
        e.document_type: e
        for e in eligibility_overview(contract=contract("GFB-DEMO-0004"), today=today)
    }
    assert not overview[DocumentType.GREEN_CARD].allowed
    assert "in arrears" in overview[DocumentType.GREEN_CARD].reason


def test_demo_render_certificate_refuses_the_fleet_green_card(seeded, tmp_path):
    with pytest.raises(CommandError, match="GFB"):
        call_command(
            "render_certificate",
            "--type=green_card",
            "--policy=CFL-DEMO-0001",
            f"--out={tmp_path / 'gc.pdf'}",
        )


def test_green_card_refused_for_casco(today):
    casco = ContractFactory(product=Contract.Product.CASCO, bonus_malus_class="")
    assert "GFB" in refusal(casco, DocumentType.GREEN_CARD)


def test_green_card_never_valid_past_the_contracts_end(today):
    ends = today + datetime.timedelta(days=40)
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=300), end_date=ends)
    reason = refusal(
        gfb,
        DocumentType.GREEN_CARD,
        params={"valid_until": (ends + datetime.timedelta(days=1)).isoformat()},
    )
    assert f"past the contract's end ({hu(ends)})" in reason
    certificate, _text = issue(gfb, DocumentType.GREEN_CARD)
    assert certificate.valid_until == ends


def test_green_card_default_validity_is_at_most_a_year(today):
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=300))
    certificate, _text = issue(gfb, DocumentType.GREEN_CARD)
    assert certificate.valid_from == today
    assert (certificate.valid_until - today).days in (364, 365)


def test_green_card_refused_from_a_past_day(today):
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=300))
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert "past day" in refusal(gfb, DocumentType.GREEN_CARD, params={"valid_from": yesterday})


def test_green_card_is_for_the_vehicle_insured_now_not_a_former_one(today):
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=700), with_vehicle=False)
    old = VehicleFactory(plate="OLD-111")
    new = VehicleFactory(plate="NEW-222")
    ContractVehicle.objects.create(
        contract=gfb,
        vehicle=old,
        insured_from=gfb.start_date,
        insured_to=today - datetime.timedelta(days=30),
    )
    ContractVehicle.objects.create(
        contract=gfb, vehicle=new, insured_from=today - datetime.timedelta(days=29)
    )
    certificate, text = issue(gfb, DocumentType.GREEN_CARD)
    assert certificate.data["vehicle"]["plate"] == "NEW-222"
    assert "OLD-111" not in text


def test_green_card_box_nine_names_the_policyholder_in_both_languages(today):
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=300))
    _certificate, text = issue(gfb, DocumentType.GREEN_CARD)
    assert "A szerződő neve és címe / Name and address of the policyholder" in text


# --- 2. coverage certificate ----------------------------------------------------------------------


def test_coverage_states_the_date_to_which_premium_is_paid(premium_contract, today):
    premium_contract.product = Contract.Product.CASCO
    premium_contract.bonus_malus_class = ""
    premium_contract.save()
    _c, text = issue(premium_contract, DocumentType.COVERAGE)
    paid_until = premium_contract.start_date + datetime.timedelta(days=89)
    assert f"Díj rendezve eddig {hu(paid_until)}" in text
    assert "díjhátralék áll fenn" in text  # the second quarter is overdue: said plainly


def test_coverage_in_arrears_refuses_a_period_after_today(today):
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=300))
    in_arrears_since(gfb, today - datetime.timedelta(days=10))
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    reason = refusal(
        gfb, DocumentType.COVERAGE, params={"period_from": tomorrow, "period_to": tomorrow}
    )
    assert "in arrears" in reason


def test_coverage_of_a_past_period_of_an_ended_contract_reads_fedezet_fennallt(seeded, today):
    lapsed = contract("GFB-DEMO-0003")
    day = lapsed.end_date - datetime.timedelta(days=100)
    _c, text = issue(
        lapsed,
        DocumentType.COVERAGE,
        params={"period_from": day.isoformat(), "period_to": day.isoformat()},
    )
    assert f"(fedezet) {hu(day)} napján fennállt." in text
    after = (lapsed.end_date + datetime.timedelta(days=1)).isoformat()
    reason = refusal(lapsed, DocumentType.COVERAGE, params={"period_from": after})
    assert "does not include the whole period" in reason


def test_coverage_of_a_longer_period_names_both_ends(today):
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=300))
    start = today - datetime.timedelta(days=30)
    _c, text = issue(
        gfb,
        DocumentType.COVERAGE,
        params={"period_from": start.isoformat(), "period_to": today.isoformat()},
    )
    assert f"{hu(start)} és {hu(today)} között fennáll." in text


# --- 3. kártörténeti igazolás -----------------------------------------------------------------


@pytest.fixture
def ended_gfb(today):
    """A GFB contract that ended three years ago, kept by a company other than the holder."""
    from partners.models import BonusMalusEntry
    from tests.factories import ClaimFactory, ClaimPaymentFactory, PolicyholderFactory

    ended = today - datetime.timedelta(days=3 * 365)
    keeper = PolicyholderFactory(
        name="Bérautó Üzemeltető Kft.",
        kind="company",
        birth_date=None,
        tax_number="12345678-2-41",
        registration_number="01-09-765432",
    )
    gfb = ContractFactory(
        policy_number="GFB-ENDED-1",
        status=Contract.Status.TERMINATED,
        end_reason=Contract.EndReason.OWNER_CHANGE,
        start_date=today - datetime.timedelta(days=12 * 365),
        end_date=ended,
        keeper=keeper,
        bonus_malus_class="B03",
    )
    BonusMalusEntry.objects.create(
        contract=gfb,
        period_start=ended - datetime.timedelta(days=200),
        period_end=ended + datetime.timedelta(days=165),
        bonus_malus_class="B05",
    )
    for number, paid_years_before_end in [("K-IN-5Y", 4), ("K-OUT-5Y", 6)]:
        paid_on = ended - datetime.timedelta(days=paid_years_before_end * 365)
        claim = ClaimFactory(
            contract=gfb,
            claim_number=number,
            event_date=paid_on - datetime.timedelta(days=30),
        )
        ClaimPaymentFactory(claim=claim, paid_on=paid_on)
    return gfb


def test_damage_history_counts_five_years_back_from_the_contracts_end(ended_gfb, settings):
    settings.INSURER_TAX_NUMBER = "10305911-4-44"
    settings.INSURER_REGISTRATION_NUMBER = "01-10-041454"
    certificate, text = issue(ended_gfb, DocumentType.DAMAGE_HISTORY)
    # Paid 7 years before today but 4 before the end: it counts; 6 before the end does not.
    assert "K-IN-5Y" in text and "K-OUT-5Y" not in text
    assert f"Kockázatviselés vége {hu(ended_gfb.end_date)}" in text
    assert "Megszűnés oka tulajdonosváltozás" in text or "Megszűnés oka" in text
    assert "Bonus-malus osztály a megszűnéskor B05" in text
    assert "Kártörténeti igazolás" in text
    # The keeper, with the company's identifiers, beside the policyholder.
    assert "Üzembentartó Bérautó Üzemeltető Kft." in text.replace("Név ", "")
    assert "12345678-2-41" in text and "01-09-765432" in text
    # The insurer's identifiers, and the place and date of issue.
    assert "10305911-4-44, 01-10-041454" in text
    assert f"Kelt: Budapest, {hu(timezone.localdate(certificate.issued_at))}" in text


def test_bilingual_damage_history_on_request(ended_gfb, tmp_path):
    call_command(
        "render_certificate",
        "--type=damage_history_en",
        f"--policy={ended_gfb.policy_number}",
        f"--out={tmp_path / 'dh.pdf'}",
    )
    text = pdf_text((tmp_path / "dh.pdf").read_bytes()).replace("\n", " ")
    for expected in [
        "Kártörténeti igazolás / Claims history statement",
        "Keeper of the vehicle",
        "Reason for termination",
        "Bonus-malus class at the end",
        "Place and date of issue",
    ]:
        assert expected in text, expected
    assert "K-IN-5Y" in text


def test_bilingual_damage_history_is_refused_for_casco_like_the_hungarian_one():
    casco = ContractFactory(product=Contract.Product.CASCO, bonus_malus_class="")
    assert "GFB" in refusal(casco, DocumentType.DAMAGE_HISTORY_BILINGUAL)


def test_demo_gfb_damage_history_lists_its_paid_claims(seeded):
    certificate, text = issue(contract("GFB-DEMO-0001"), DocumentType.DAMAGE_HISTORY)
    assert len(certificate.data["claims"]) == 2
    for claim in certificate.data["claims"]:
        assert claim["claim_number"] in text


def test_demo_lapsed_gfb_premium_status_says_it_ended_and_owes_pro_rata(seeded):
    lapsed = contract("GFB-DEMO-0003")
    certificate, text = issue(lapsed, DocumentType.PREMIUM_STATUS)
    assert f"díjnemfizetés miatt {hu(lapsed.end_date)} napjával megszűnt" in text
    quarter = lapsed.invoices.order_by("-due_on").first()
    days = (quarter.period_end - quarter.period_start).days + 1
    carried = (lapsed.end_date - quarter.period_start).days + 1
    assert certificate.data["arrears"] == round(quarter.amount * carried / days)
    assert "Befizetések összesen (" in text


# --- 5. casco fleet history ---------------------------------------------------------------------


def test_fleet_history_gives_the_loss_ratio_period_and_company_identifiers(fleet_contract, today):
    holder = fleet_contract.policyholder
    holder.tax_number, holder.registration_number = "87654321-2-13", "13-06-111222"
    holder.save()
    certificate, text = issue(fleet_contract, DocumentType.FLEET_DAMAGE_HISTORY)
    data = certificate.data
    days = (today - fleet_contract.start_date).days + 1
    earned = round(fleet_contract.annual_premium * days / 365)
    assert data["earned_premium"] == earned
    assert data["incurred"] == 250_000 + 120_000  # paid plus the open claim's reserve
    assert data["loss_ratio"] == round(100 * 370_000 / earned, 1)
    assert f"{data['loss_ratio']:.1f}".replace(".", ",") + " %" in text.replace("\u00a0", " ")
    assert f"Szerződés tartama {hu(fleet_contract.start_date)} – határozatlan tartamú" in text
    assert "87654321-2-13, 13-06-111222" in text


def test_demo_fleet_history_has_a_loss_ratio(seeded):
    certificate, text = issue(contract("CFL-DEMO-0001"), DocumentType.FLEET_DAMAGE_HISTORY)
    assert certificate.data["loss_ratio"] is not None
    assert "Kárhányad" in text
