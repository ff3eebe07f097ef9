"""The offers' data: the demo's AJ-DEMO offers are linked so that an agent finds them on a Demo
Alkusz call (the accepted one is its contract's, the missing-data one lists what it waits
for); the import carries an offer's missing items from the core systems."""

import datetime

import pytest
from django.urls import reverse

from calls.desk import selectors
from gratisz import demo
from gratisz.importer import portfolio_import, portfolio_record_import
from partners.models import Offer, OfferMissingItem, PartnerFirm
from tests.factories import ContractFactory, PartnerFirmFactory, PolicyholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 27)


def test_demo_offers_are_linked_and_found_on_a_demo_alkusz_call(agent, on_call, login, client):
    demo.seed_demo(today=TODAY)
    firm = PartnerFirm.objects.get(grid=demo.DEMO_GRID)
    accepted = Offer.objects.get(offer_number="AJ-DEMO-0004")
    assert accepted.status == Offer.Status.ACCEPTED
    assert accepted.contract.policy_number == "VAG-DEMO-0001"
    assert accepted.contract.firm == firm == accepted.firm
    missing = Offer.objects.get(offer_number="AJ-DEMO-0003")
    assert missing.status == Offer.Status.MISSING_DATA
    assert missing.missing_items.filter(received_on__isnull=True).count() == 3
    assert set(Offer.objects.filter(firm=firm).values_list("status", flat=True)) == set(
        Offer.Status.values
    )

    handling = on_call(agent, firm)
    assert [
        o.offer_number for o in selectors.call_search(handling=handling, query="0003").offers
    ] == ["AJ-DEMO-0003"]
    # Másik Partner's offer is not found on Demo Alkusz's call, however it is typed.
    assert selectors.call_search(handling=handling, query="aj demo 0007").offers == []
    login(agent)
    url = reverse("desk:offer", args=[handling.ticket_id, "AJ-DEMO-0007"])
    assert client.get(url).status_code == 404
    url = reverse("desk:offer", args=[handling.ticket_id, "AJ-DEMO-0004"])
    client.post(url, {"name": "Kovács Éva", "birth_date": "1978-03-14"})
    html = client.get(url).content.decode()
    assert reverse("desk:contract", args=[handling.ticket_id, "VAG-DEMO-0001"]) in html


def _offer_record(**changes):
    record = {
        "type": "offer",
        "offer_number": "AJ-IMP-1",
        "grid": "111222333",
        "policyholder_id": "PH-IMP-1",
        "product": "casco",
        "status": "missing_data",
        "submitted_on": "2026-10-01",
        "annual_premium": 210000,
        "missing_items": [
            {"kind": "document", "description": "Forgalmi engedély", "requested_on": "2026-10-03"},
            {"kind": "data", "description": "Alvázszám", "requested_on": "2026-10-03"},
        ],
    }
    record.update(changes)
    return record


@pytest.fixture
def import_parents(db):
    firm = PartnerFirmFactory(grid="111222333")
    holder = PolicyholderFactory(external_id="PH-IMP-1")
    return firm, holder


def test_import_carries_an_offers_missing_items_and_a_rerun_changes_nothing(import_parents):
    report = portfolio_import([(1, _offer_record())])
    assert report.ok, report.errors
    offer = Offer.objects.get(offer_number="AJ-IMP-1")
    assert sorted(offer.missing_items.values_list("kind", "description")) == [
        ("data", "Alvázszám"),
        ("document", "Forgalmi engedély"),
    ]
    again = portfolio_import([(1, _offer_record())])
    assert again.counts["unchanged"] == 1

    # The core system says the registration arrived and the chassis number is no longer asked.
    received = _offer_record(
        missing_items=[
            {
                "kind": "document",
                "description": "Forgalmi engedély",
                "requested_on": "2026-10-03",
                "received_on": "2026-10-10",
            }
        ]
    )
    assert portfolio_record_import(received) == "updated"
    assert list(offer.missing_items.values_list("description", "received_on")) == [
        ("Forgalmi engedély", datetime.date(2026, 10, 10))
    ]


def test_import_links_an_accepted_offer_to_its_contract(import_parents):
    firm, holder = import_parents
    contract = ContractFactory(firm=firm, policyholder=holder, policy_number="CAS-IMP-1")
    record = _offer_record(status="accepted", policy_number="CAS-IMP-1", missing_items=[])
    assert portfolio_import([(1, record)]).ok
    offer = Offer.objects.get(offer_number="AJ-IMP-1")
    assert offer.contract == contract
    assert not OfferMissingItem.objects.exists()
