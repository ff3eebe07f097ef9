"""Reads on claims, scoped to one partner firm's portfolio."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from partners.models import Contract, PartnerFirm
from partners.search import Compact, compact
from partners.selectors import firm_contracts, number_rank

from .models import Claim, ClaimStatusChange, MissingDocument

Cover = Claim.Cover
# What a claim on each product can be: a GFB (motor third-party liability) claim is always a
# liability claim against the insured, never the insured's own damage, glass or theft; casco
# covers the insured vehicle; property covers its perils.
PRODUCT_COVERS: dict[str, list[Cover]] = {
    Contract.Product.GFB: [Cover.LIABILITY],
    Contract.Product.CASCO: [Cover.OWN_DAMAGE, Cover.THEFT, Cover.GLASS],
    Contract.Product.CASCO_FLEET: [Cover.OWN_DAMAGE, Cover.THEFT, Cover.GLASS],
    Contract.Product.HOME: [Cover.FIRE, Cover.WATER, Cover.STORM, Cover.BURGLARY, Cover.OTHER],
    Contract.Product.COMPANY_PROPERTY: [
        Cover.FIRE,
        Cover.WATER,
        Cover.STORM,
        Cover.BURGLARY,
        Cover.OTHER,
    ],
}


def covers_for_product(product: str) -> list[str]:
    """Return the covers a claim on a contract of ``product`` may be reported under."""
    return [str(c) for c in PRODUCT_COVERS.get(product, [Cover.OTHER])]


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


def claim_search(*, firm: PartnerFirm, query: str, limit: int = 20) -> list[Claim]:
    """Find the firm's claims by claim number as agents type: separators and case do not
    matter, a part of three characters or more is enough; the whole number first, then newest.
    Each claim carries ``rank``. One query."""
    number = compact(query)
    if len(number) < 2:
        return []
    lookup = "key__contains" if len(number) >= 3 else "key"
    found: list[Any] = list(  # claims carrying the search's key and rank
        firm_claims(firm=firm)
        .annotate(key=Compact("claim_number"))
        .filter(**{lookup: number})
        .select_related("contract")
        .order_by("-event_date", "claim_number")[:200]
    )
    for claim in found:
        claim.rank = number_rank(claim.key, number)
    found.sort(key=lambda c: -c.rank)  # stable: newest first within a rank
    return found[:limit]
