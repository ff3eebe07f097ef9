"""The desk writes dates and amounts one way: "2026. 12. 06.", "125 000 Ft"; English keeps ISO."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from partners.models import Contract
from tests.desk.conftest import identify
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def in_arrears(contract):
    # A casco contract: a GFB one would have ended 60 days after the due date, and its arrears
    # stop there (tests/desk/test_document_reasons.py).
    contract.annual_premium = 125_000
    contract.product = Contract.Product.CASCO
    contract.bonus_malus_class = ""
    contract.save(update_fields=["annual_premium", "product", "bonus_malus_class"])
    InvoiceFactory(contract=contract, due_on=datetime.date(2024, 1, 15), amount=31_250)
    return contract


def test_contract_page_groups_amounts_and_says_since_when_in_hungarian_order(
    agent, login, client, firm, in_arrears, on_call
):
    handling = on_call(agent, firm)
    identify(handling, in_arrears)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, in_arrears.policy_number])
    page = client.get(url).content.decode()
    assert f"125{NBSP}000{NBSP}Ft" in page and "125000 Ft" not in page
    assert f"31{NBSP}250{NBSP}Ft (2024. 01. 15. óta)" in page  # not "(óta: 2024-01-15)"
    assert "2024. 01. 01. –" in page  # the cover period starts
    assert "2024-01-01" not in page


def test_english_desk_keeps_iso_dates_and_the_english_word_order(
    agent, login, client, firm, in_arrears, on_call
):
    handling = on_call(agent, firm)
    identify(handling, in_arrears)
    login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("desk:contract", args=[handling.ticket_id, in_arrears.policy_number])
    page = client.get(url).content.decode()
    assert f"31{NBSP}250{NBSP}Ft (since 2024-01-15)" in page


def test_claim_page_groups_the_paid_amount(agent, login, client, firm, claim, on_call):
    handling = on_call(agent, firm)
    identify(handling, claim.contract)
    login(agent)
    page = client.get(reverse("desk:claim", args=[handling.ticket_id, claim.claim_number]))
    assert f"350{NBSP}000{NBSP}Ft" in page.content.decode()
