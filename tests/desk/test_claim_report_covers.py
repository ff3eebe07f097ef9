"""The covers a phone claim report offers follow the product."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from claims.models import Claim
from claims.services import claim_report_by_phone
from partners.models import Contract
from tests.desk.conftest import motor_answers
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def report_page(client, handling, contract):
    url = reverse("desk:claim-report", args=[handling.ticket_id, contract.policy_number])
    return url, client.get(url).content.decode()


def covers_offered(page):
    select = page.split('name="cover"')[1].split("</select>")[0]
    return [part.split('"')[0] for part in select.split('value="')[1:]]


def test_a_gfb_claim_is_a_liability_claim_against_the_insured(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url, page = report_page(client, handling, contract)
    assert covers_offered(page) == ["liability"]
    assert "a biztosítottal szembeni felelősségi kár (kgfb)" in page
    # Own damage on a GFB contract is refused, and no claim is made.
    response = client.post(url, motor_answers(contract, cover="own_damage"))
    assert response.status_code == 200 and not Claim.objects.exists()


def test_casco_offers_its_own_covers(agent, login, client, firm, on_call):
    casco = ContractFactory(
        firm=firm, policy_number="CAS-T0000001", product="casco", bonus_malus_class=""
    )
    handling = on_call(agent, firm)
    login(agent)
    _url, page = report_page(client, handling, casco)
    assert covers_offered(page) == ["own_damage", "theft", "glass"]


def test_the_claims_service_refuses_a_cover_the_product_does_not_have():
    gfb = ContractFactory(product=Contract.Product.GFB)
    with pytest.raises(ValidationError):
        claim_report_by_phone(
            contract=gfb, cover="glass", event_date=gfb.start_date, description="x"
        )
    assert not Claim.objects.exists()
