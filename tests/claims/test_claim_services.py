"""A phone report is numbered, then signalled to the apps above; a failing receiver costs
nothing of the claim."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim
from claims.services import PhoneReport, claim_report_by_phone
from claims.signals import claim_reported
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listen():
    """Connect a receiver to ``claim_reported`` for the test, and disconnect it after."""
    connected = []

    def connect(receiver):
        uid = f"test-{len(connected)}"
        claim_reported.connect(receiver, dispatch_uid=uid, weak=False)
        connected.append(uid)

    yield connect
    for uid in connected:
        claim_reported.disconnect(dispatch_uid=uid)


def report(contract, **details):
    return claim_report_by_phone(
        contract=contract,
        cover=Claim.Cover.LIABILITY,
        event_date=timezone.localdate() - datetime.timedelta(days=1),
        description="Tolatás közben nekiment egy oszlopnak.",
        **details,
    )


def test_a_phone_report_is_signalled_once_with_its_final_number_and_the_report(listen):
    heard = []

    def receiver(sender, claim_id, report, **kwargs):
        # What a receiver reads in the transaction: the number the caller is given.
        heard.append((Claim.objects.get(pk=claim_id).claim_number, report))

    listen(receiver)
    contract = ContractFactory()
    said = PhoneReport(place="Szeged, Kárász utca 5.", contact_name="Kiss Boglárka")
    claim = report(contract, report=said)
    assert claim.claim_number == f"TK{timezone.localdate().year}{claim.pk:06d}"
    assert heard == [(claim.claim_number, said)]


def test_a_report_without_details_is_signalled_with_an_empty_report(listen):
    heard = []
    listen(lambda sender, claim_id, report, **kwargs: heard.append(report))
    report(ContractFactory())
    assert heard == [PhoneReport()]


def test_a_failing_receiver_does_not_undo_the_reported_claim(listen):
    def broken(sender, claim_id, report, **kwargs):
        Claim.objects.filter(pk=claim_id).update(description="receiver wrote this")
        raise RuntimeError("receiver down")

    listen(broken)
    claim = report(ContractFactory())
    claim.refresh_from_db()
    assert claim.claim_number.startswith("TK") and claim.origin == Claim.Origin.PHONE
    assert claim.status_history.get().status == Claim.Status.REPORTED
    # The receiver's own write was rolled back with it; the claim's record was not.
    assert claim.description == "Tolatás közben nekiment egy oszlopnak."
