"""Offers ("ajánlat") at the desk: found by number in the verified firm's portfolio only, their
details told after the client is identified, every view logged.

The same rules as for a contract: another firm's offer number is "not found" (the same 404 as
a wrong number, never its data); the status, the missing data or documents, the submission
date, the premium and the contract it became are disclosed only after the caller gave two
facts of the offer's client correctly (``offer_identify``); each view writes a ``Disclosure``
(and, once identified, one for the personal data).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Offer, OfferMissingItem
from partners.selectors import (
    firm_contracts,
    offer_for_firm,
    offer_missing_items,
    offer_search,
)

from .models import CallHandling, Disclosure, OfferIdentificationCheck
from .services import IdentificationRefused, _ensure_open, disclosure_log, holder_fact_matches

# The facts that identify an offer's client (an offer has no vehicle: no plate).
OFFER_IDENTIFYING_FACTS = ("name", "birth_date", "tax_number", "mothers_name", "postcode")


def offers_for_call(*, handling: CallHandling, query: str) -> list[Offer]:
    """Search the verified firm's offers by number (tolerant: case, separators, a part)."""
    return offer_search(firm=handling.firm, query=query)


def offer_for_call(*, handling: CallHandling, offer_number: str) -> Offer:
    """Return the verified firm's offer with this number, or raise ``Http404`` (for the
    identification form: it shows nothing, the page after it logs what it shows)."""
    try:
        return offer_for_firm(firm=handling.firm, offer_number=offer_number)
    except Offer.DoesNotExist as exc:
        raise Http404 from exc


@dataclass
class OfferView:
    """What the offer page may show on this call."""

    offer: Offer
    identified: bool
    checks: list[OfferIdentificationCheck]
    missing: list[OfferMissingItem]
    # The contract the offer became, when it is in the caller's firm's portfolio (linked);
    # ``other_contract``: it became a contract outside it (its number is not told).
    contract: object | None
    other_contract: bool


def offer_access_for_call(*, handling: CallHandling, offer_number: str) -> OfferView:
    """Return the offer as this call may see it, or raise ``Http404`` when the verified firm
    holds no offer with this number (another firm's included).

    Side effects: a ``Disclosure`` of the offer, and once the client is identified, one of the
    client's personal data: no page can show an offer without the trace.
    """
    offer = offer_for_call(handling=handling, offer_number=offer_number)
    checks = list(
        OfferIdentificationCheck.objects.filter(handling=handling, offer=offer).order_by("at")
    )
    identified = any(c.passed for c in checks)
    disclosure_log(
        handling=handling, record_type=Disclosure.Record.OFFER, record_ref=offer.offer_number
    )
    contract = other_contract = None
    if identified:
        disclosure_log(
            handling=handling,
            record_type=Disclosure.Record.PERSONAL,
            record_ref=offer.policyholder.external_id,
        )
        if offer.contract_id is not None:
            contract = firm_contracts(firm=handling.firm).filter(pk=offer.contract_id).first()
            other_contract = contract is None
    return OfferView(
        offer=offer,
        identified=identified,
        checks=checks,
        missing=offer_missing_items(offer=offer) if identified else [],
        contract=contract,
        other_contract=bool(other_contract),
    )


@transaction.atomic
def offer_identify(
    *, handling: CallHandling, offer: Offer, facts: dict
) -> OfferIdentificationCheck:
    """Compare the facts the caller gave with the offer's client; two matches identify.

    As ``services.client_identify`` for a contract: only the names of the facts given and
    matched are stored, never the values; ``DESK_IDENTIFICATION_TRIES`` failures per offer and
    call, then ``IdentificationRefused``. Raises ``HandlingClosed`` on a closed call and
    ``ValidationError`` when fewer than two facts were given.
    """
    _ensure_open(handling)
    given = [f for f in OFFER_IDENTIFYING_FACTS if facts.get(f) not in (None, "")]
    if len(given) < 2:
        raise ValidationError(_("Give at least two identifying facts."))
    failures = OfferIdentificationCheck.objects.filter(
        handling=handling, offer=offer, passed=False
    ).count()
    if failures >= settings.DESK_IDENTIFICATION_TRIES:
        raise IdentificationRefused
    holder = offer.policyholder
    matched = [f for f in given if holder_fact_matches(holder, f, facts[f])]
    return OfferIdentificationCheck.objects.create(
        handling=handling,
        offer=offer,
        facts_given=given,
        facts_matched=matched,
        passed=len(matched) >= 2,
        at=timezone.now(),
    )
