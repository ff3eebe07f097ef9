"""The certificate form says, before sending, where each document goes by default, and offers
only the documents the contract may have (the others greyed out, with the reason)."""

import pytest
from django.urls import reverse
from django.utils import translation

from partners.models import Contract
from tests.desk.conftest import identify
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def certificate_part(page):
    return page.split('id="certificate"')[1].split("</section>")[0]


def test_the_default_destinations_are_shown_masked_until_the_client_is_identified(
    agent, login, client, firm, contract, on_call
):
    firm.fax = "+3612345678"
    firm.save()
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    with translation.override("hu"):
        part = certificate_part(client.get(url).content.decode())
    holder = contract.policyholder
    assert 'data-channel="post"' in part and "alapértelmezett" in part
    assert holder.postal_address not in part and holder.email not in part
    assert "+3612345678" in part  # the firm's fax is no personal data
    identify(handling, contract)
    part = certificate_part(client.get(url).content.decode())
    assert holder.postal_address in part and holder.email in part and holder.name in part


def test_a_missing_destination_on_file_is_said(agent, login, client, firm, contract, on_call):
    firm.fax = ""
    firm.save()
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    with translation.override("hu"):
        part = certificate_part(client.get(url).content.decode())
    fax_row = part.split('data-channel="fax"')[1].split("</tr>")[0]
    assert "nincs nyilvántartva" in fax_row


def test_documents_the_contract_may_not_have_cannot_be_chosen_and_say_why(
    agent, login, client, firm, on_call
):
    casco = ContractFactory(firm=firm, product=Contract.Product.CASCO, policy_number="CAS-T1")
    handling = on_call(agent, firm)
    identify(handling, casco)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, casco.policy_number])
    part = certificate_part(client.get(url).content.decode())
    assert '<option value="damage_history" disabled>' in part
    assert '<option value="coverage" selected>' in part or 'value="coverage"' in part
    option = part.split('<option value="damage_history" disabled>')[1].split("</option>")[0]
    assert " – " in option  # the reason, in the choice
