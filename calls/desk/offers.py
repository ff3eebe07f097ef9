"""Offers ("ajánlat") at the desk: found by number in the verified firm's portfolio only, their
details told after the client is identified, every view logged.

The same rules as for a contract: another firm's offer number is "not found" (the same 404 as
a wrong number, never its data); the status, the missing data or documents, the submission
date, the premium and the contract it became are disclosed only after the caller gave two
facts of the offer's client correctly (``offer_identify``); pages reach an offer through
``access.access_offer``, which writes the disclosure log.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Offer
from partners.selectors import offer_search

from .models import CallHandling, OfferIdentificationCheck
from .services import IdentificationRefused, _ensure_open, holder_fact_matches

# The facts that identify an offer's client (an offer has no vehicle: no plate).
OFFER_IDENTIFYING_FACTS = ("name", "birth_date", "tax_number", "mothers_name", "postcode")


def offers_for_call(*, handling: CallHandling, query: str) -> list[Offer]:
    """Search the verified firm's offers by number (tolerant: case, separators, a part)."""
    return offer_search(firm=handling.firm, query=query)


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
