"""Writes on claims. Claims come from the core claims system; the one exception is a first
notice of loss taken by phone at GrATISZ, which is recorded here (origin "phone") with its
own claim number until the core system takes it over."""

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Contract, PartnerFirm, Vehicle

from .models import Claim, ClaimStatusChange
from .selectors import covers_for_product
from .signals import claim_reported

logger = logging.getLogger(__name__)

PHONE_CLAIM_PREFIX = "TK"


@dataclass(frozen=True, kw_only=True)
class PhoneReport:
    """What the caller said about the loss beyond what the claim row holds: what the core claims
    system needs to open the claim. Empty (or None) where it was not asked or not said.

    Only the personal data the claim needs: whom the adjuster contacts (the damaged vehicle's
    owner, or the insured of a property), never the identification facts asked at the desk.
    """

    reported_by: PartnerFirm | None = None
    call_reference: str = ""
    event_at: datetime.datetime | None = None
    noticed_at: datetime.datetime | None = None
    place: str = ""
    what_happened: str = ""
    damaged_plate: str = ""
    damaged_vehicle_type: str = ""
    at_fault_plate: str = ""
    inspection_place: str = ""
    authorities_involved: bool | None = None
    estimated_amount: int | None = None
    contact_name: str = ""
    contact_address: str = ""
    contact_phone_or_email: str = ""


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
    report: PhoneReport | None = None,
) -> Claim:
    """Create the claim of a phone report, numbered at once, with its first status step.

    Side effects: a ``Claim`` (status reported, origin phone) and its ``ClaimStatusChange``;
    then, once the claim has its final number, ``claims.signals.claim_reported`` with the
    ``report`` in the same transaction (the API turns it into the ``claim.reported`` webhook).
    The number comes from the row's id, so parallel reports never share one.
    """
    if cover not in covers_for_product(contract.product):
        raise ValidationError(_("A claim on this contract cannot be reported under this cover."))
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
    _announce_reported(claim.pk, report or PhoneReport())
    return claim


def _announce_reported(claim_id: int, report: PhoneReport) -> None:
    """Send ``claim_reported`` inside the caller's transaction; a failing receiver is rolled
    back to a savepoint and logged, so the claim is recorded whatever it does."""
    try:
        with transaction.atomic():
            claim_reported.send(sender=Claim, claim_id=claim_id, report=report)
    except Exception:
        logger.exception("a receiver of claim_reported failed for claim %s", claim_id)
