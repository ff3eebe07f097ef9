import datetime
import hashlib

import pytest
from django.core.management import CommandError, call_command

from certificates.models import LibraryDocument
from claims.models import Adjuster, Claim, ClaimPayment
from gratisz import demo
from partners.models import (
    Contract,
    DirectDebitMandate,
    Invoice,
    Offer,
    PartnerFirm,
    Payment,
    Policyholder,
    Vehicle,
)
from partners.selectors import contract_premium_status, direkt_code_is_valid

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 27)


def fingerprint() -> str:
    """Hash the business content of the demo data (not the database ids or the salts)."""
    parts = []
    for model, fields in [
        (PartnerFirm, ["grid", "name", "kind", "email", "postal_code", "status"]),
        (Policyholder, ["external_id", "name", "birth_date", "city", "address_line"]),
        (Vehicle, ["external_id", "plate", "chassis_number", "make", "category"]),
        (
            Contract,
            [
                "policy_number",
                "firm__grid",
                "product",
                "status",
                "start_date",
                "annual_premium",
                "bonus_malus_class",
            ],
        ),
        (Invoice, ["number", "contract__policy_number", "due_on", "amount"]),
        (Payment, ["external_id", "paid_on", "amount"]),
        (Claim, ["claim_number", "contract__policy_number", "status", "event_date"]),
        (ClaimPayment, ["external_id", "paid_on", "amount"]),
    ]:
        parts.append(repr(list(model._default_manager.order_by(*fields[:1]).values_list(*fields))))
    return hashlib.sha256("".join(parts).encode()).hexdigest()


@pytest.fixture
def seeded():
    demo.seed_demo(today=TODAY)


def test_demo_data_is_deterministic(seeded):
    first = fingerprint()
    for model in (Claim, Offer):
        model.objects.all().delete()
    Contract.objects.all().delete()
    for model in (Vehicle, Policyholder, PartnerFirm, Adjuster, LibraryDocument):
        model.objects.all().delete()
    from gratisz.models import User

    User.objects.all().delete()
    demo.seed_demo(today=TODAY)
    assert fingerprint() == first


def test_readme_fixtures_exist(seeded):
    firm = PartnerFirm.objects.get(grid="314159265")
    assert firm.name == "Demo Alkusz Kft."
    assert direkt_code_is_valid(firm=firm, role="staff", code="2718")
    assert direkt_code_is_valid(firm=firm, role="manager", code="1414")
    other = PartnerFirm.objects.get(grid="271828182")
    assert other.name == "Másik Partner Zrt."
    assert direkt_code_is_valid(firm=other, role="staff", code="3141")

    gfb = Contract.objects.get(policy_number="GFB-DEMO-0001")
    assert (gfb.firm, gfb.product, gfb.bonus_malus_class) == (firm, "gfb", "B04")
    five_years_ago = TODAY.replace(year=TODAY.year - 5)
    paid = ClaimPayment.objects.filter(claim__contract=gfb, paid_on__gte=five_years_ago)
    assert paid.values("claim").distinct().count() == 2
    assert Contract.objects.get(policy_number="CFL-DEMO-0001").vehicles.count() == 6
    assert Contract.objects.get(policy_number="VAG-DEMO-0001").product == "home"
    assert Contract.objects.get(policy_number="GFB-DEMO-0002").firm == other
    # Forms the desk can send at once (SOS), each with a published PDF.
    library = LibraryDocument.objects.filter(versions__file__endswith=".pdf").distinct()
    assert library.count() == len(demo.DEMO_LIBRARY)


def test_demo_data_covers_every_status_and_edge_case(seeded):
    assert set(Contract.objects.values_list("product", flat=True)) == set(Contract.Product.values)
    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status.values)
    problems = set(DirectDebitMandate.objects.exclude(problem="").values_list("problem", flat=True))
    assert problems == set(DirectDebitMandate.Problem.values)
    assert Contract.objects.filter(status="lapsed", end_reason="non_payment").exists()
    fleets = [c.vehicles.count() for c in Contract.objects.filter(product="casco_fleet")]
    assert min(fleets) >= 6 and max(fleets) <= 30 and len(fleets) > 1
    in_arrears = Contract.objects.get(policy_number="GFB-DEMO-0004")
    assert contract_premium_status(contract=in_arrears, today=TODAY).arrears > 0
    settled = Contract.objects.get(policy_number="GFB-DEMO-0001")
    assert contract_premium_status(contract=settled, today=TODAY).is_settled
    awaiting = Claim.objects.filter(status="awaiting_documents")
    assert all(c.missing_documents.exists() for c in awaiting)


def test_seed_demo_command_is_rerunnable_and_prints_the_logins(capsys, settings):
    settings.DEBUG = True  # as in the demo; with DEBUG off the command refuses
    call_command("seed_demo", "--today", TODAY.isoformat())
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "already loaded" in out
    for user in demo.DEMO_USERS:
        assert user.username in out and user.totp_secret in out
    assert "314159265 / 2718 / 1414" in out


def test_scale_adds_contracts_whose_firms_verify_with_the_derived_code():
    demo.seed_scale(250, today=TODAY, batch=100)
    contracts = Contract.objects.filter(policy_number__startswith="S-")
    assert contracts.count() == 250
    assert Invoice.objects.filter(contract__in=contracts).count() == 1000
    firm = contracts.first().firm
    assert direkt_code_is_valid(firm=firm, role="staff", code=demo.scale_firm_code(firm.grid))
    demo.seed_scale(100, today=TODAY)
    assert Contract.objects.filter(policy_number__startswith="S-").count() == 350
    # The ids were assigned by the bulk writer; the database's sequences still follow.
    from tests.factories import ClaimFactory

    assert ClaimFactory().contract.pk > contracts.order_by("-pk").first().pk


def test_seed_demo_refuses_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not PartnerFirm.objects.exists()


def test_demo_data_a_hungarian_reader_believes(seeded):
    from partners.models import BonusMalusEntry

    scale = demo.BONUS_MALUS_SCALE
    for contract in Contract.objects.filter(product="gfb"):
        periods = list(BonusMalusEntry.objects.filter(contract=contract).order_by("period_start"))
        assert periods and periods[0].bonus_malus_class == "A00", contract
        category = contract.vehicles.values_list("category", flat=True).first()
        drop = 1 if category in ("C", "E") else 2
        for before, after in zip(periods, periods[1:], strict=False):
            step = -drop * before.claims_paid if before.claims_paid else 1
            expected = max(0, min(len(scale) - 1, scale.index(before.bonus_malus_class) + step))
            assert after.bonus_malus_class == scale[expected], (contract, before, after)
        assert contract.bonus_malus_class == periods[-1].bonus_malus_class
    # Budapest postcodes (1xxx) only in Budapest, and Budapest only with them.
    for model in (Policyholder, PartnerFirm):
        for postal_code, city in model.objects.values_list("postal_code", "city"):
            assert postal_code.startswith("1") == (city == "Budapest"), (postal_code, city)
    # A person's name is a family name and given names of one sex, not "Kiss Tamás Noémi".
    for name in Policyholder.objects.filter(kind="person").values_list("name", flat=True):
        assert len(name.split()) == 2, name
    for claim_number, event_date in Claim.objects.values_list("claim_number", "event_date"):
        assert claim_number.startswith(str(event_date.year)), claim_number
    gfb = Contract.objects.get(policy_number="GFB-DEMO-0001")
    assert gfb.bonus_malus_class == "B04"
    assert Contract.objects.get(policy_number="GFB-DEMO-0004").keeper.registration_number
