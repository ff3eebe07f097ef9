"""Reads on claims, scoped to one partner firm's portfolio."""

from django.db.models import Prefetch, QuerySet

from partners.models import PartnerFirm
from partners.selectors import firm_contracts

from .models import Claim, ClaimStatusChange, MissingDocument


def firm_claims(*, firm: PartnerFirm) -> QuerySet[Claim]:
    """Return the claims on the firm's contracts (the one scope for lists and details)."""
    return Claim.objects.filter(contract__in=firm_contracts(firm=firm))


def claim_for_firm(*, firm: PartnerFirm, claim_number: str) -> Claim:
    """Return the firm's claim with its history, open documents and payments, or raise
    ``Claim.DoesNotExist`` (also for another firm's claim). A fixed number of queries."""
    return (
        firm_claims(firm=firm)
        .select_related("contract", "vehicle", "adjuster")
        .prefetch_related(
            Prefetch("status_history", queryset=ClaimStatusChange.objects.order_by("changed_at")),
            Prefetch(
                "missing_documents",
                queryset=MissingDocument.objects.filter(received_on__isnull=True),
                to_attr="open_documents",
            ),
            "payments",
        )
        .get(claim_number=claim_number.strip().upper())
    )


def claim_search(*, firm: PartnerFirm, query: str) -> list[Claim]:
    number = query.strip().upper()
    if not number:
        return []
    return list(firm_claims(firm=firm).filter(claim_number=number).select_related("contract"))
