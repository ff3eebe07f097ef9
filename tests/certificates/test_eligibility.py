"""Documents are refused before anything is queued, with the reason shown to the agent."""

import datetime

import pytest

from certificates.models import CertificateRequest, Delivery, DocumentType
from certificates.selectors import NotEligible, eligibility_overview
from certificates.services import certificate_request_create
from partners.models import Contract
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def request(contract, document_type, **kwargs):
    return certificate_request_create(
        document_type=document_type, contract=contract, requested_by=None, **kwargs
    )


def assert_refused(contract, document_type, reason, **kwargs):
    with pytest.raises(NotEligible, match=reason):
        request(contract, document_type, **kwargs)
    assert not CertificateRequest.objects.exists()
    assert not Delivery.objects.exists()


def test_green_card_refused_for_home_insurance():
    contract = ContractFactory(product=Contract.Product.HOME, bonus_malus_class="")
    assert_refused(contract, DocumentType.GREEN_CARD, "only for a motor third-party liability")


def test_green_card_refused_for_a_terminated_motor_contract(today):
    contract = ContractFactory(
        status=Contract.Status.TERMINATED, end_date=today - datetime.timedelta(days=3)
    )
    assert_refused(contract, DocumentType.GREEN_CARD, "only for a contract in force")


def test_green_card_refused_for_less_than_fifteen_days(today):
    contract = ContractFactory()
    params = {
        "valid_from": today.isoformat(),
        "valid_until": (today + datetime.timedelta(days=10)).isoformat(),
    }
    assert_refused(contract, DocumentType.GREEN_CARD, "at least 15 days", params=params)


def test_coverage_refused_for_a_period_the_contract_does_not_cover(today):
    contract = ContractFactory(end_date=today + datetime.timedelta(days=30))
    params = {
        "period_from": today.isoformat(),
        "period_to": (today + datetime.timedelta(days=60)).isoformat(),
    }
    assert_refused(
        contract, DocumentType.COVERAGE, "does not include the whole period", params=params
    )


def test_coverage_refused_for_a_lapsed_contract():
    contract = ContractFactory(status=Contract.Status.LAPSED)
    assert_refused(contract, DocumentType.COVERAGE, "not in force")


def test_damage_history_refused_for_casco_and_home():
    casco = ContractFactory(product=Contract.Product.CASCO, bonus_malus_class="")
    assert_refused(casco, DocumentType.DAMAGE_HISTORY, "only for motor liability")
    home = ContractFactory(product=Contract.Product.HOME, bonus_malus_class="")
    assert_refused(home, DocumentType.FLEET_DAMAGE_HISTORY, "only for casco fleets")


def test_damage_history_allowed_for_an_ended_gfb_contract(today):
    contract = ContractFactory(
        status=Contract.Status.TERMINATED,
        end_date=today - datetime.timedelta(days=10),
        end_reason=Contract.EndReason.OWNER_CHANGE,
    )
    assert request(contract, DocumentType.DAMAGE_HISTORY).pk


def test_overview_gives_the_desk_each_reason(today):
    contract = ContractFactory(product=Contract.Product.HOME, bonus_malus_class="")
    overview = {e.document_type: e for e in eligibility_overview(contract=contract, today=today)}
    assert overview[DocumentType.COVERAGE].allowed
    assert overview[DocumentType.PREMIUM_STATUS].allowed
    assert not overview[DocumentType.GREEN_CARD].allowed
    assert "GFB" in overview[DocumentType.GREEN_CARD].reason
