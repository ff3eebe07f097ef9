"""Writes on claims. Claims come from the core claims system; the one exception is a first
notice of loss taken by phone at GrATISZ, which is recorded here (origin "phone") with its
own claim number until the core system takes it over."""

import datetime

from django.db import transaction
from django.utils import timezone

from partners.models import Contract, Vehicle

from .models import Claim, ClaimStatusChange

PHONE_CLAIM_PREFIX = "TK"


def phone_claim_number(*, year: int, sequence: int) -> str:
    """Return the claim number of a phone report: TK + year + 6-digit sequence."""
    return f"{PHONE_CLAIM_PREFIX}{year}{sequence:06d}"


@transaction.atomic
def claim_report_by_phone(
    *,
    contract: Contract,
    cover: str,
    event_date: datetime.date,
    description: str,
    vehicle: Vehicle | None = None,
) -> Claim:
    """Create the claim of a phone report, numbered at once, with its first status step.

    Side effects: a ``Claim`` (status reported, origin phone) and its ``ClaimStatusChange``.
    The number comes from the row's id, so parallel reports never share one.
    """
    now = timezone.now()
    claim = Claim.objects.create(
        claim_number=f"PENDING-{now.timestamp()}-{contract.pk}",
        contract=contract,
        vehicle=vehicle,
        cover=cover,
        event_date=event_date,
        reported_on=timezone.localdate(),
        status=Claim.Status.REPORTED,
        status_changed_at=now,
        description=description,
        origin=Claim.Origin.PHONE,
    )
    claim.claim_number = phone_claim_number(year=timezone.localdate().year, sequence=claim.pk)
    claim.save(update_fields=["claim_number"])
    ClaimStatusChange.objects.create(
        claim=claim, status=Claim.Status.REPORTED, changed_at=now, note="GrATISZ phone report"
    )
    return claim
