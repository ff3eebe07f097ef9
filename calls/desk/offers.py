"""Offers ("ajánlat") at the desk: found by number in the verified firm's portfolio only, their
details told after the client is identified, every view logged.

The same rules as for a contract: another firm's offer number is "not found" (the same 404 as
a wrong number, never its data); the status, the missing data or documents, the submission
date, the premium and the contract it became are disclosed only after the caller gave two
facts of the offer's client correctly (``offer_identify``); pages reach an offer through
``access.access_offer``, which writes the disclosure log.
"""

from django.db import transaction

from partners.models import Offer

from .models import CallHandling, OfferIdentificationCheck
from .services import holder_fact_matches, identification_check

# The facts that identify an offer's client (an offer has no vehicle: no plate).
OFFER_IDENTIFYING_FACTS = ("name", "birth_date", "tax_number", "mothers_name", "postcode")


@transaction.atomic
def offer_identify(
    *, handling: CallHandling, offer: Offer, facts: dict
) -> OfferIdentificationCheck:
    """Compare the facts the caller gave with the offer's client; two matches identify, as for
    a contract (``services.identification_check``)."""
    holder = offer.policyholder
    return identification_check(
        handling=handling,
        model=OfferIdentificationCheck,
        subject={"offer": offer},
        fact_names=OFFER_IDENTIFYING_FACTS,
        matches=lambda fact, value: holder_fact_matches(holder, fact, value),
        facts=facts,
    )
