"""Offers ("ajánlat") at the desk: found by number in the verified firm's portfolio only (the
tolerant way), their details after the client is identified, every view logged; another
firm's offer is "not found", never its data."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from calls.desk import access, offers, selectors, services
from calls.desk.models import Disclosure, OfferIdentificationCheck
from partners.models import Offer, OfferMissingItem
from partners.selectors import offer_for_firm, offer_search
from tests.factories import ContractFactory, PolicyholderFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def make_offer(firm, holder, number, **fields):
    values = {
        "product": "casco",
        "status": Offer.Status.MISSING_DATA,
        "submitted_on": datetime.date(2026, 10, 5),
        "annual_premium": 185_000,
    }
    values.update(fields)
    return Offer.objects.create(offer_number=number, firm=firm, policyholder=holder, **values)


@pytest.fixture
def offer(firm, holder):
    offer = make_offer(firm, holder, "AJ-T-0003")
    OfferMissingItem.objects.create(
        offer=offer,
        kind=OfferMissingItem.Kind.DOCUMENT,
        description="Forgalmi engedély másolata",
        requested_on=datetime.date(2026, 10, 8),
    )
    OfferMissingItem.objects.create(
        offer=offer,
        description="A gépjármű alvázszáma",
        requested_on=datetime.date(2026, 10, 8),
    )
    OfferMissingItem.objects.create(
        offer=offer,
        kind=OfferMissingItem.Kind.DOCUMENT,
        description="Szemle fényképei",
        requested_on=datetime.date(2026, 10, 8),
        received_on=datetime.date(2026, 10, 20),
    )
    return offer


@pytest.fixture
def other_offer(other_firm):
    return make_offer(other_firm, PolicyholderFactory(name="Nagy Ferenc"), "AJ-T-0009")


def _identify_facts(holder):
    return {"name": holder.name, "postcode": holder.postal_code}


def _offer_url(handling, number):
    ticket_id = getattr(handling, "ticket_id", None) or handling.pk
    return reverse("desk:offer", args=[ticket_id, number])


# --- finding an offer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["AJ-T-0003", "aj-t-0003", "aj t 0003", "AJT0003", " aj-t 0003 ", "0003", "t-0003"]
)
def test_offer_search_is_tolerant_of_case_separators_and_parts(firm, offer, other_offer, query):
    assert offer_search(firm=firm, query=query) == [offer]


def test_offer_search_never_finds_another_firms_offer(firm, offer, other_offer):
    for query in ("AJ-T-0009", "aj t 0009", "0009"):
        assert offer_search(firm=firm, query=query) == []
    with pytest.raises(Offer.DoesNotExist):
        offer_for_firm(firm=firm, offer_number="AJ-T-0009")
    assert offer_for_firm(firm=firm, offer_number="aj t 0003") == offer


def test_offer_search_needs_three_characters_and_puts_the_exact_number_first(firm, holder):
    long = make_offer(firm, holder, "AJ-T-00031", submitted_on=datetime.date(2026, 11, 1))
    exact = make_offer(firm, holder, "AJ-T-0003")
    assert offer_search(firm=firm, query="03") == []
    assert offer_search(firm=firm, query="AJ-T-0003") == [exact, long]


def test_call_search_lists_the_firms_offer_and_not_another_firms(
    agent, login, client, firm, offer, other_offer, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id]), {"q": "aj t 0003"})
    html = page.content.decode()
    assert _offer_url(handling, "AJ-T-0003") in html
    # Nothing of the offer's details in the list: they are told after identification.
    assert "185" not in html
    page = client.get(reverse("desk:call", args=[handling.ticket_id]), {"q": "AJ-T-0009"})
    html = page.content.decode()
    assert "/offer/AJ-T-0009/" not in html and "Nagy Ferenc" not in html
    with translation.override("hu"):
        assert translation.gettext("Nothing in this firm's portfolio matches.") in html


# --- the offer page ---------------------------------------------------------------------------


def test_offer_details_wait_for_the_client_identification(
    agent, login, client, firm, holder, offer, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = _offer_url(handling, "aj-t-0003")  # as typed: the number is found tolerantly
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "AJ-T-0003" in html
    assert "Forgalmi engedély" not in html
    assert f"185{NBSP}000{NBSP}Ft" not in html
    assert holder.name not in html
    assert list(Disclosure.objects.values_list("record_type", "record_ref")) == [
        ("offer", "AJ-T-0003")
    ]

    response = client.post(url, _identify_facts(holder))
    assert response.status_code == 302
    check = OfferIdentificationCheck.objects.get()
    assert (check.passed, check.facts_given) == (True, ["name", "postcode"])
    # Only the names of the facts are kept, never what the caller said.
    assert holder.name not in str(check.facts_matched)

    html = client.get(url).content.decode()
    assert "Hiányos adatok" in html  # the status in Hungarian
    assert f"185{NBSP}000{NBSP}Ft" in html
    assert "2026. 10. 05." in html or "2026.10.05." in html
    # What the offer still waits for, not what arrived since.
    assert "Forgalmi engedély másolata" in html and "A gépjármű alvázszáma" in html
    assert "Szemle fényképei" not in html
    assert holder.name in html
    records = set(Disclosure.objects.values_list("record_type", "record_ref"))
    assert records == {("offer", "AJ-T-0003"), ("personal", holder.external_id)}


def test_wrong_facts_do_not_identify_and_the_tries_run_out(
    agent, login, client, firm, holder, offer, on_call, settings
):
    settings.DESK_IDENTIFICATION_TRIES = 2
    handling = on_call(agent, firm)
    login(agent)
    url = _offer_url(handling, offer.offer_number)
    wrong = {"name": holder.name, "postcode": "1111"}
    for _n in range(2):
        page = client.post(url, wrong)
        assert page.status_code == 200
        assert f"185{NBSP}000{NBSP}Ft" not in page.content.decode()
    with pytest.raises(services.IdentificationRefused):
        offers.offer_identify(handling=handling, offer=offer, facts=_identify_facts(holder))
    page = client.post(url, _identify_facts(holder))
    with translation.override("hu"):
        refused = translation.gettext(
            "Too many failed identifications of this client in this call."
        )
    assert refused in page.content.decode()
    assert not OfferIdentificationCheck.objects.filter(passed=True).exists()


def test_accepted_offer_links_to_the_contract_it_became(
    agent, login, client, firm, holder, contract, on_call
):
    make_offer(firm, holder, "AJ-T-0004", status=Offer.Status.ACCEPTED, contract=contract)
    handling = on_call(agent, firm)
    login(agent)
    url = _offer_url(handling, "AJ-T-0004")
    client.post(url, _identify_facts(holder))
    html = client.get(url).content.decode()
    assert reverse("desk:contract", args=[handling.ticket_id, contract.policy_number]) in html


def test_a_contract_in_another_firms_portfolio_is_not_named(
    agent, login, client, firm, holder, other_contract, on_call
):
    make_offer(firm, holder, "AJ-T-0005", status=Offer.Status.ACCEPTED, contract=other_contract)
    handling = on_call(agent, firm)
    login(agent)
    url = _offer_url(handling, "AJ-T-0005")
    client.post(url, _identify_facts(holder))
    html = client.get(url).content.decode()
    assert other_contract.policy_number not in html
    with translation.override("hu"):
        said = translation.gettext("It became a contract that is not in this firm's portfolio.")
    assert said in html


# --- who may see it ---------------------------------------------------------------------------


def test_another_firms_offer_is_not_found_and_discloses_nothing(
    agent, login, client, firm, other_offer, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = _offer_url(handling, "AJ-T-0009")
    assert client.get(url).status_code == 404
    holder = other_offer.policyholder
    assert client.post(url, _identify_facts(holder)).status_code == 404
    assert not Disclosure.objects.exists()
    assert not OfferIdentificationCheck.objects.exists()


def test_offer_page_needs_the_desk_and_the_agents_own_open_call(
    client, login, make_user, referent, agent, firm, offer, on_call, make_waiting
):
    handling = on_call(agent, firm)
    url = _offer_url(handling, offer.offer_number)
    assert client.get(url).status_code == 302  # not logged in: to the login page
    login(referent)
    assert client.get(url).status_code == 403
    client.logout()
    colleague = make_user("agent")
    login(colleague)
    assert client.get(url).status_code == 404
    waiting = make_waiting(firm)  # in the queue, nobody's call yet
    assert client.get(_offer_url(waiting, offer.offer_number)).status_code == 404
    client.logout()
    services.call_close(handling=handling, notes="", outcome="answered")
    login(agent)
    assert client.get(url).status_code == 403
    assert not Disclosure.objects.exists()


def test_identification_on_a_contract_does_not_identify_the_offer(
    agent, firm, holder, contract, offer, on_call
):
    handling = on_call(agent, firm)
    services.client_identify(handling=handling, contract=contract, facts=_identify_facts(holder))
    view = access.access_offer(handling=handling, offer_number=offer.offer_number)
    assert not view.identified and view.missing == []


def test_offer_identification_refuses_fewer_than_two_facts(agent, firm, offer, on_call):
    from django.core.exceptions import ValidationError

    handling = on_call(agent, firm)
    with pytest.raises(ValidationError):
        offers.offer_identify(handling=handling, offer=offer, facts={"name": "Kiss Boglárka"})


def test_offer_of_a_firm_with_the_same_policyholder_elsewhere_stays_scoped(
    agent, firm, other_firm, holder, on_call
):
    mine = make_offer(firm, holder, "AJ-T-0100")
    make_offer(other_firm, holder, "AJ-T-0101")
    handling = on_call(agent, firm)
    assert selectors.call_search(handling=handling, query="AJ-T-010").offers == [mine]
    ContractFactory(firm=other_firm, policyholder=holder)  # the client also elsewhere
    assert selectors.call_search(handling=handling, query="0101").offers == []
