"""Access to the records a call may see: one function per record type.

Each ``access_*`` function scopes the record to the call's verified firm, raises ``Http404`` for
a record the firm does not hold (another firm's and a wrong number alike: the desk does not tell
them apart), and writes the disclosure log before it returns: no page can show a contract, a
claim or an offer without the trace. The log holds one row per call, agent and record (and one
more for the client's personal data once the client is identified): the first time the record
was shown on that call.

Views reach these records only through this module; the scoping lookups and the log writer are
private to it.
"""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils import timezone

from claims.models import Claim
from claims.selectors import claim_for_firm
from partners.models import Contract, Offer, OfferMissingItem, Policyholder
from partners.selectors import (
    contract_for_firm,
    firm_contracts,
    offer_for_firm,
    offer_missing_items,
)

from .models import (
    CallHandling,
    ClaimReport,
    Disclosure,
    IdentificationCheck,
    OfferIdentificationCheck,
)


def _disclosure_log(*, handling: CallHandling, record_type: str, record_ref: str) -> None:
    """Write that the handling's agent was shown ``record_ref`` on this call (once per call)."""
    row = {
        "agent_id": handling.agent_id,
        "ticket_id": handling.ticket_id,
        "record_type": record_type,
        "record_ref": record_ref[:40],
    }
    if Disclosure.objects.filter(**row).exists():
        return
    Disclosure.objects.create(**row, firm_id=handling.firm.pk, at=timezone.now())


# The number each kind of record is logged by, as it is on file.
_REF_FIELDS: dict[str, str] = {
    Disclosure.Record.CONTRACT: "policy_number",
    Disclosure.Record.CLAIM: "claim_number",
    Disclosure.Record.OFFER: "offer_number",
}


def _shown(handling: CallHandling, record_type: str, lookup, **number):
    """Return the record of the call's firm that ``lookup(firm=…, **number)`` finds, logged as
    shown on this call; raise ``Http404`` when the firm holds none (another firm's included)."""
    try:
        record = lookup(firm=handling.firm, **number)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    ref = getattr(record, _REF_FIELDS[record_type])
    _disclosure_log(handling=handling, record_type=record_type, record_ref=ref)
    return record


def _personal_data_log(handling: CallHandling, holder: Policyholder) -> None:
    _disclosure_log(
        handling=handling, record_type=Disclosure.Record.PERSONAL, record_ref=holder.external_id
    )


def client_is_identified(*, handling: CallHandling, contract: Contract) -> bool:
    """Tell whether the caller identified the contract's client on this call."""
    return IdentificationCheck.objects.filter(
        handling=handling, contract=contract, passed=True
    ).exists()


# --- contracts ---------------------------------------------------------------------------------


def access_contract(*, handling: CallHandling, policy_number: str) -> Contract:
    """Return the contract if the call's firm holds it, else raise ``Http404``.

    Side effects: the contract's disclosure, and the client's personal data's once the client
    is identified on this call (the pages then show them unmasked).
    """
    contract = _shown(
        handling, Disclosure.Record.CONTRACT, contract_for_firm, policy_number=policy_number
    )
    if client_is_identified(handling=handling, contract=contract):
        _personal_data_log(handling, contract.policyholder)
    return contract


# --- claims ------------------------------------------------------------------------------------


@dataclass
class ClaimView:
    """What the claim page may show on this call."""

    claim: Claim
    # Its status, documents, payments and adjuster: after the client of its contract was
    # identified, or when the claim was reported on this very call.
    identified: bool


def access_claim(*, handling: CallHandling, claim_number: str) -> ClaimView:
    """Return the claim as this call may see it, or raise ``Http404`` when it is on none of the
    call's firm's contracts. Side effect: the claim's disclosure."""
    claim = _shown(handling, Disclosure.Record.CLAIM, claim_for_firm, claim_number=claim_number)
    identified = (
        client_is_identified(handling=handling, contract=claim.contract)
        or ClaimReport.objects.filter(handling=handling, claim=claim).exists()
    )
    return ClaimView(claim=claim, identified=identified)


# --- offers ------------------------------------------------------------------------------------


@dataclass
class OfferView:
    """What the offer page may show on this call."""

    offer: Offer
    identified: bool
    checks: list[OfferIdentificationCheck]
    missing: list[OfferMissingItem]
    # The contract the offer became, when it is in the caller's firm's portfolio (linked);
    # ``other_contract``: it became a contract outside it (its number is not told).
    contract: Contract | None
    other_contract: bool


def access_offer(*, handling: CallHandling, offer_number: str) -> OfferView:
    """Return the offer as this call may see it, or raise ``Http404`` when the verified firm
    holds no offer with this number (another firm's included).

    Side effects: the offer's disclosure, and once the client is identified, the client's
    personal data's.
    """
    offer = _shown(handling, Disclosure.Record.OFFER, offer_for_firm, offer_number=offer_number)
    checks = list(
        OfferIdentificationCheck.objects.filter(handling=handling, offer=offer).order_by("at")
    )
    identified = any(c.passed for c in checks)
    contract = None
    other_contract = False
    if identified:
        _personal_data_log(handling, offer.policyholder)
        if offer.contract_id is not None:
            contract = firm_contracts(firm=handling.firm).filter(pk=offer.contract_id).first()
            other_contract = contract is None
    return OfferView(
        offer=offer,
        identified=identified,
        checks=checks,
        missing=offer_missing_items(offer=offer) if identified else [],
        contract=contract,
        other_contract=other_contract,
    )
