"""Reads on the portfolio."""

import datetime
from dataclasses import dataclass

from django.db.models import Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _

from . import direkt
from .models import (
    Contract,
    DirectDebitMandate,
    DirektCode,
    Invoice,
    Offer,
    OfferMissingItem,
    PartnerFirm,
)


def direkt_code_is_valid(*, firm: PartnerFirm, role: str, code: str) -> bool:
    """Tell whether ``code`` is the firm's active code for ``role``, in constant time."""
    active = DirektCode.objects.filter(firm=firm, role=role, retired_at__isnull=True).first()
    if active is None:
        # Compare anyway, so that a firm without a code costs the same time as a wrong code.
        direkt.hash_matches(grid=firm.grid, salt="0" * 32, code_hash="0" * 64, code=code)
        return False
    return direkt.hash_matches(
        grid=firm.grid, salt=active.salt, code_hash=active.code_hash, code=code
    )


# GFB (motor liability) premium unpaid this many days after its due date ends the contract
# (2009. évi LXII. törvény): the cover ends on that day.
GFB_LAPSE_DAYS = 60


@dataclass(frozen=True)
class PremiumStatus:
    """A contract's premium position ("díjrendezettség") on a given day.

    ``cover_end``: the last day the insurer carried the risk, if the contract has ended (or
    ended for non-payment by now); premium is owed only up to it, pro rata. ``lapse_on``: for a
    GFB contract in arrears, the day its cover ends for non-payment (60 days after the first
    unpaid due date), past or ahead.
    """

    as_of: datetime.date
    paid_until: datetime.date | None
    arrears: int
    overdue_since: datetime.date | None
    next_due_on: datetime.date | None
    next_due_amount: int | None
    total_paid: int
    first_paid_on: datetime.date | None = None
    last_paid_on: datetime.date | None = None
    cover_end: datetime.date | None = None
    lapse_on: datetime.date | None = None

    @property
    def is_settled(self) -> bool:
        return self.arrears == 0

    @property
    def has_lapsed(self) -> bool:
        """Tell whether the contract has ended for non-payment by ``as_of``."""
        return self.lapse_on is not None and self.lapse_on < self.as_of

    @property
    def will_lapse(self) -> bool:
        """Tell whether the contract is in arrears and ends for non-payment unless paid."""
        return self.lapse_on is not None and self.lapse_on >= self.as_of


def _owed(invoice: Invoice, cover_end: datetime.date | None) -> int:
    """Return what an invoice asks for the part of its period the insurer carried the risk."""
    if cover_end is None or cover_end >= invoice.period_end:
        return invoice.amount
    if cover_end < invoice.period_start:
        return 0
    days = (invoice.period_end - invoice.period_start).days + 1
    carried = (cover_end - invoice.period_start).days + 1
    return round(invoice.amount * carried / days)


def _apply_payments(invoices, total_paid, cover_end, today):
    remaining = total_paid
    paid_until = overdue_since = next_due_on = next_due_amount = None
    arrears = 0
    for invoice in invoices:
        owed = _owed(invoice, cover_end)
        if owed == 0:
            continue
        covered = min(remaining, owed)
        remaining -= covered
        open_amount = owed - covered
        if open_amount == 0:
            paid_until = min(invoice.period_end, cover_end or invoice.period_end)
            continue
        if invoice.due_on <= today:
            arrears += open_amount
            overdue_since = overdue_since or invoice.due_on
        elif next_due_on is None:
            next_due_on, next_due_amount = invoice.due_on, open_amount
    return paid_until, arrears, overdue_since, next_due_on, next_due_amount


def contract_premium_status(*, contract: Contract, today: datetime.date) -> PremiumStatus:
    """Return the premium status: payments cover invoices in order of due date.

    ``paid_until`` is the end of the last invoice period covered in full; ``arrears`` is what is
    due by ``today`` and not paid, counted only to the end of cover (pro rata: an ended contract
    owes nothing for the rest of its billing period); ``next_due_*`` is the first invoice not
    yet covered in full. A GFB contract whose premium is unpaid 60 days after its due date has
    ended on that day, whatever the import says yet. Two queries whatever the number of
    invoices and payments.
    """
    totals = contract.payments.aggregate(
        total=Sum("amount"), first=Min("paid_on"), last=Max("paid_on")
    )
    total_paid = totals["total"] or 0
    invoices = list(
        Invoice.objects.filter(contract=contract)
        .order_by("due_on", "number")
        .only("due_on", "period_start", "period_end", "amount")
    )
    cover_end = contract.end_date
    result = _apply_payments(invoices, total_paid, cover_end, today)
    lapse_on = None
    overdue_since = result[2]
    if contract.product == Contract.Product.GFB and overdue_since is not None:
        lapse_on = overdue_since + datetime.timedelta(days=GFB_LAPSE_DAYS)
        if cover_end is not None and cover_end < lapse_on:
            lapse_on = None  # it ended earlier, for another reason
        elif lapse_on < today:
            cover_end = lapse_on
            result = _apply_payments(invoices, total_paid, cover_end, today)
    paid_until, arrears, overdue_since, next_due_on, next_due_amount = result
    if cover_end is not None and cover_end < today:
        next_due_on = next_due_amount = None
    return PremiumStatus(
        as_of=today,
        paid_until=paid_until,
        arrears=arrears,
        overdue_since=overdue_since,
        next_due_on=next_due_on,
        next_due_amount=next_due_amount,
        total_paid=total_paid,
        first_paid_on=totals["first"],
        last_paid_on=totals["last"],
        cover_end=cover_end if cover_end is not None and cover_end < today else None,
        lapse_on=lapse_on,
    )


# --- the portfolio of one firm ------------------------------------------------------------------
# Every read of contracts or offers on behalf of a caller goes through these: a record outside
# the firm's portfolio does not exist for the caller (the same DoesNotExist as a wrong number).


def firm_contracts(*, firm: PartnerFirm) -> QuerySet[Contract]:
    """Return the contracts in the firm's portfolio (the one scope for lists and details)."""
    return Contract.objects.filter(firm=firm)


def contract_for_firm(*, firm: PartnerFirm, policy_number: str) -> Contract:
    """Return the firm's contract with this policy number, or raise ``Contract.DoesNotExist``."""
    return (
        firm_contracts(firm=firm)
        .select_related("policyholder", "firm")
        .get(policy_number=policy_number.strip().upper())
    )


def firm_offers(*, firm: PartnerFirm) -> QuerySet[Offer]:
    """Return the offers in the firm's portfolio (the one scope for offer lists and details)."""
    return Offer.objects.filter(firm=firm)


# The separators a caller may say or type inside an offer number ("AJ-DEMO-0003", "aj demo 0003",
# "AJ/DEMO/0003"): ignored when numbers are compared.
_OFFER_SEPARATORS = (" ", "-", "/", ".", "_")
# A shorter fragment would match half the firm's offers ("0" or "00").
OFFER_FRAGMENT_MIN = 3


def offer_number_key(text: str) -> str:
    """Return an offer number as it is compared: upper case, without separators."""
    key = str(text or "").upper()
    for sep in _OFFER_SEPARATORS:
        key = key.replace(sep, "")
    return key


def _offer_key_expression():
    expression = Upper("offer_number")
    for sep in _OFFER_SEPARATORS:
        expression = Replace(expression, Value(sep), Value(""))
    return expression


def offer_search(*, firm: PartnerFirm, query: str, limit: int = 20) -> list[Offer]:
    """Find the firm's offers whose number contains ``query``, tolerantly: case, spaces,
    dashes and slashes do not matter, and a part is enough ("0003" finds "AJ-DEMO-0003").

    At least ``OFFER_FRAGMENT_MIN`` letters or digits; only the firm's offers, exact matches
    first, then the newest.
    """
    key = offer_number_key(query)
    if len(key) < OFFER_FRAGMENT_MIN or not key.isalnum():
        return []
    found = (
        firm_offers(firm=firm)
        .annotate(number_key=_offer_key_expression())
        .filter(number_key__contains=key)
        .select_related("contract")
        .order_by("-submitted_on", "offer_number")
    )
    offers = list(found[: limit + 1])
    offers.sort(key=lambda o: o.number_key != key)  # stable: the exact match leads
    return offers[:limit]


def offer_for_firm(*, firm: PartnerFirm, offer_number: str) -> Offer:
    """Return the firm's offer with this number (separators and case ignored), or raise
    ``Offer.DoesNotExist``: another firm's offer is as unknown as a wrong number."""
    key = offer_number_key(offer_number)
    if not key or not key.isalnum():
        raise Offer.DoesNotExist
    matches = list(
        firm_offers(firm=firm)
        .annotate(number_key=_offer_key_expression())
        .filter(number_key=key)
        .select_related("policyholder", "contract", "firm")
        .order_by("pk")[:3]
    )
    exact = [o for o in matches if o.offer_number == str(offer_number).strip().upper()]
    if exact:
        return exact[0]
    if len(matches) != 1:  # two numbers that differ only in separators: ask for the exact one
        raise Offer.DoesNotExist
    return matches[0]


def offer_missing_items(*, offer: Offer) -> list[OfferMissingItem]:
    """Return what the offer still waits for (not received yet), oldest request first."""
    return list(offer.missing_items.filter(received_on__isnull=True).order_by("requested_on", "pk"))


def portfolio_search(*, firm: PartnerFirm, query: str, limit: int = 50) -> list[Contract]:
    """Find the firm's contracts by policy number, offer number, plate, chassis number or
    policyholder name (claim numbers are searched in ``claims.selectors``).

    Numbers and plates match exactly (spaces and dashes ignored for plates), names by a
    case-insensitive prefix of any word; at most ``limit`` contracts, newest first.
    """
    text = " ".join(query.split())
    if len(text) < 2:
        return []
    number = text.upper()
    plate = number.replace(" ", "").replace("-", "")
    by_number = (
        Q(policy_number=number)
        | Q(offers__offer_number=number)
        | Q(vehicles__chassis_number=number)
        | Q(vehicles__plate__in=_plate_spellings(plate))
    )
    by_name = Q(policyholder__name__istartswith=text) | Q(policyholder__name__icontains=f" {text}")
    found = (
        firm_contracts(firm=firm)
        .filter(by_number | by_name)
        .select_related("policyholder")
        .distinct()
        .order_by("-start_date", "policy_number")
    )
    return list(found[:limit])


def _plate_spellings(plate: str) -> list[str]:
    """Return the ways a plate typed without separators may be stored (ABC-123, AA BB-123)."""
    spellings = {plate}
    if len(plate) == 6:
        spellings.add(f"{plate[:3]}-{plate[3:]}")
    if len(plate) == 7:
        spellings.add(f"{plate[:2]} {plate[2:4]}-{plate[4:]}")
    return sorted(spellings)


def mandate_diagnosis(*, mandate: DirectDebitMandate, premium: int) -> list[str]:
    """Explain in plain words why a group direct debit did not start (or that it runs).

    ``premium`` is one instalment, to compare with the mandate's upper limit.
    """
    Status, Problem = DirectDebitMandate.Status, DirectDebitMandate.Problem
    reasons = {
        Problem.IDENTIFIER_MISMATCH: _(
            "The payer identifier on the mandate (%(identifier)s) does not match the policy "
            "number, so the bank cannot pair it with the contract. The client should file a "
            "corrected mandate at their bank."
        ),
        Problem.LIMIT_TOO_LOW: _(
            "The mandate's upper limit (%(limit)s Ft) is below the instalment (%(premium)s Ft), "
            "so the bank refuses the debit. The client should raise the limit at their bank."
        ),
        Problem.INSUFFICIENT_FUNDS: _(
            "The last debit failed because the account had no funds; the bank retries on the "
            "next collection day. The unpaid instalment can also be paid by transfer."
        ),
        Problem.REVOKED: _(
            "The payer revoked the mandate at their bank; premiums are not collected until a "
            "new mandate is filed."
        ),
        Problem.ACCOUNT_CLOSED: _(
            "The account on the mandate was closed; a new mandate on another account is needed."
        ),
    }
    params = {
        "identifier": mandate.identifier,
        "limit": _huf(mandate.limit_amount or 0),
        "premium": _huf(premium),
    }
    lines = []
    if mandate.status == Status.PENDING_BANK:
        lines.append(
            _(
                "The mandate has not been accepted by the payer's bank yet; it usually takes up to "
                "30 days. Until then the premium must be paid another way."
            )
        )
    elif mandate.status == Status.PENDING_INSURER:
        lines.append(
            _(
                "The bank accepted the mandate; it is being registered at the insurer. The first "
                "debit follows at the next due date."
            )
        )
    if mandate.problem:
        lines.append(reasons[mandate.problem] % params)
    elif mandate.limit_amount is not None and mandate.limit_amount < premium:
        lines.append(reasons[Problem.LIMIT_TOO_LOW] % params)
    if not lines:
        lines.append(_("The mandate is active and the debits run."))
    return lines


def _huf(amount: int) -> str:
    """Format forints the Hungarian way: 12 000 (thin groups, no decimals)."""
    return f"{amount:,}".replace(",", "\u00a0")
