import datetime

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimStatusChange, MissingDocument
from claims.selectors import claim_for_firm, claim_search
from tests.factories import ClaimFactory, ClaimPaymentFactory, ContractFactory

pytestmark = pytest.mark.django_db


def test_claim_detail_shows_history_open_documents_and_payments(django_assert_num_queries):
    claim = ClaimFactory(claim_number="2025000271")
    ClaimStatusChange.objects.create(claim=claim, status="reported", changed_at=timezone.now())
    MissingDocument.objects.create(
        claim=claim, description="Rendőrségi jegyzőkönyv", requested_on=datetime.date(2025, 1, 2)
    )
    MissingDocument.objects.create(
        claim=claim,
        description="Fotók",
        requested_on=datetime.date(2025, 1, 2),
        received_on=datetime.date(2025, 1, 5),
    )
    ClaimPaymentFactory(claim=claim, amount=186_500, cover="liability")
    with django_assert_num_queries(4):
        found = claim_for_firm(firm=claim.contract.firm, claim_number="2025000271")
        assert [d.description for d in found.open_documents] == ["Rendőrségi jegyzőkönyv"]
        assert [p.amount for p in found.payments.all()] == [186_500]
        assert [s.status for s in found.status_history.all()] == ["reported"]
        assert found.adjuster.phone


def test_another_firms_claim_does_not_exist():
    claim = ClaimFactory()
    stranger = ContractFactory().firm
    with pytest.raises(Claim.DoesNotExist):
        claim_for_firm(firm=stranger, claim_number=claim.claim_number)
    assert claim_search(firm=stranger, query=claim.claim_number) == []
    assert claim_search(firm=claim.contract.firm, query=claim.claim_number) == [claim]
