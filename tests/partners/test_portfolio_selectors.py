import pytest
from django.utils import translation

from partners.models import Contract, ContractVehicle, DirectDebitMandate, Offer
from partners.selectors import contract_for_firm, mandate_diagnosis, portfolio_search
from tests.factories import (
    ContractFactory,
    PartnerFirmFactory,
    PolicyholderFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_firms():
    mine, other = PartnerFirmFactory(), PartnerFirmFactory()
    holder = PolicyholderFactory(name="Kovács Éva Mária")
    vehicle = VehicleFactory(plate="MKX-314", chassis_number="TSMLYD21S00123456")
    contract = ContractFactory(
        firm=mine, policy_number="GFB-1", policyholder=holder, with_vehicle=False
    )
    ContractVehicle.objects.create(
        contract=contract, vehicle=vehicle, insured_from=contract.start_date
    )
    Offer.objects.create(
        offer_number="AJ-1",
        firm=mine,
        policyholder=holder,
        product="gfb",
        status="accepted",
        submitted_on=contract.start_date,
        annual_premium=1,
        contract=contract,
    )
    foreign = ContractFactory(
        firm=other, policy_number="GFB-2", policyholder=PolicyholderFactory(name="Kovács Éva")
    )
    return mine, other, contract, foreign


@pytest.mark.parametrize(
    "query",
    ["GFB-1", "gfb-1", "AJ-1", "MKX-314", "mkx314", "TSMLYD21S00123456", "kovács", "Éva Mária"],
)
def test_search_finds_the_firms_contract_by_every_key(two_firms, query):
    mine, _other, contract, _foreign = two_firms
    assert portfolio_search(firm=mine, query=query) == [contract]


def test_search_never_returns_another_firms_contract(two_firms):
    mine, other, _contract, foreign = two_firms
    assert portfolio_search(firm=mine, query="GFB-2") == []
    assert portfolio_search(firm=other, query="Kovács") == [foreign]
    assert portfolio_search(firm=other, query="MKX-314") == []


def test_detail_uses_the_same_scope(two_firms):
    mine, other, contract, _foreign = two_firms
    assert contract_for_firm(firm=mine, policy_number=" gfb-1 ") == contract
    with pytest.raises(Contract.DoesNotExist):
        contract_for_firm(firm=other, policy_number="GFB-1")


def test_search_needs_two_characters(two_firms):
    assert portfolio_search(firm=two_firms[0], query=" K ") == []


def mandate(**kw):
    defaults = {
        "external_id": "M",
        "identifier": "GFB-1",
        "payer_name": "X",
        "account_number": "1",
        "status": "active",
        "start_date": "2024-01-01",
    }
    return DirectDebitMandate(**{**defaults, **kw})


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"status": "pending_bank"}, "nem fogadta be"),
        ({"status": "pending_insurer"}, "befogadta"),
        ({"status": "rejected", "problem": "identifier_mismatch"}, "GFB-1"),
        ({"problem": "limit_too_low", "limit_amount": 5000}, "5\u00a0000 Ft"),
        ({"problem": "insufficient_funds"}, "fedezet"),
        ({"status": "revoked", "problem": "revoked"}, "visszavonta"),
        ({"status": "rejected", "problem": "account_closed"}, "megszűnt"),
        ({"limit_amount": 5000}, "12\u00a0000 Ft"),
        ({}, "aktív"),
    ],
)
def test_direct_debit_diagnosis_explains_each_reason_in_hungarian(kw, words):
    with translation.override("hu"):
        text = " ".join(mandate_diagnosis(mandate=mandate(**kw), premium=12_000))
    assert words in text
