"""Reads on the portfolio."""

import datetime
from dataclasses import dataclass

from django.db.models import Sum

from . import direkt
from .models import Contract, DirektCode, Invoice, PartnerFirm


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
