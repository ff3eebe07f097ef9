"""Reads on the portfolio."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from . import direkt
from .models import Contract, DirectDebitMandate, DirektCode, Invoice, Offer, PartnerFirm


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


@dataclass(frozen=True)
class PremiumStatus:
    """A contract's premium position ("díjrendezettség") on a given day."""

    paid_until: datetime.date | None
    arrears: int
    overdue_since: datetime.date | None
    next_due_on: datetime.date | None
    next_due_amount: int | None
    total_paid: int

    @property
    def is_settled(self) -> bool:
        return self.arrears == 0


def contract_premium_status(*, contract: Contract, today: datetime.date) -> PremiumStatus:
    """Return the premium status: payments cover invoices in order of due date.

    ``paid_until`` is the end of the last invoice period covered in full; ``arrears`` is what is
    due by ``today`` and not paid; ``next_due_*`` is the first invoice not yet covered in full.
    Two queries whatever the number of invoices and payments.
    """
    total_paid = contract.payments.aggregate(total=Sum("amount"))["total"] or 0
    remaining = total_paid
    paid_until = overdue_since = next_due_on = next_due_amount = None
    arrears = 0
    invoices = Invoice.objects.filter(contract=contract).order_by("due_on", "number")
    for invoice in invoices.only("due_on", "period_end", "amount"):
        covered = min(remaining, invoice.amount)
        remaining -= covered
        open_amount = invoice.amount - covered
        if open_amount == 0:
            paid_until = invoice.period_end
            continue
        if invoice.due_on <= today:
            arrears += open_amount
            overdue_since = overdue_since or invoice.due_on
        elif next_due_on is None:
            next_due_on, next_due_amount = invoice.due_on, open_amount
    return PremiumStatus(
        paid_until=paid_until,
        arrears=arrears,
        overdue_since=overdue_since,
        next_due_on=next_due_on,
        next_due_amount=next_due_amount,
        total_paid=total_paid,
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
    return Offer.objects.filter(firm=firm)


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
