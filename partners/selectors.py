"""Reads on the portfolio."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import direkt
from .models import (
    Contract,
    ContractVehicle,
    DirectDebitMandate,
    DirektCode,
    Invoice,
    Offer,
    OfferMissingItem,
    PartnerFirm,
)
from .search import Compact, Fold, compact, fold


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


# What a search hit matched, as the desk shows it ("what matched").
MATCH_LABELS = {
    "policy_number": gettext_lazy("policy number"),
    "offer_number": gettext_lazy("offer number"),
    "plate": gettext_lazy("plate"),
    "chassis_number": gettext_lazy("chassis number"),
    "name": gettext_lazy("policyholder's name"),
}
_SUBQUERY_ROWS = 200  # each kind of key brings at most this many candidates


def number_rank(key: str, query: str) -> int:
    """Rank how a compact number ``key`` matches the compact ``query`` (0: it does not).

    Whole number first, then a typed start, a typed end ("0001"), anything inside."""
    if not query or query not in key:
        return 0
    if key == query:
        return 100
    if key.startswith(query):
        return 80
    return 75 if key.endswith(query) else 60


def _name_rank(name: str, tokens: list[str]) -> int:
    words = fold(name).split()
    if words == tokens:
        return 95
    if all(any(w.startswith(t) for w in words) for t in tokens):
        return 85
    return 50


def _number_filter(field: str, query: str) -> Q:
    """Compact ``field`` equal to the compact query, or containing it from three characters."""
    lookup = "contains" if len(query) >= 3 else "exact"
    return Q(**{f"{field}__{lookup}": query})


# A shorter fragment would match half the firm's offers ("0" or "00").
OFFER_FRAGMENT_MIN = 3


def offer_search(*, firm: PartnerFirm, query: str, limit: int = 20) -> list[Offer]:
    """Find the firm's offers whose number contains ``query``, tolerantly: case, spaces,
    dashes and slashes do not matter, and a part is enough ("0003" finds "AJ-DEMO-0003").

    At least ``OFFER_FRAGMENT_MIN`` letters or digits; only the firm's offers, exact matches
    first, then the newest.
    """
    key = compact(query)
    if len(key) < OFFER_FRAGMENT_MIN:
        return []
    found = (
        firm_offers(firm=firm)
        .annotate(number_key=Compact("offer_number"))
        .filter(number_key__contains=key)
        .select_related("contract")
        .order_by("-submitted_on", "offer_number")
    )
    offers: list[Offer] = list(found[: limit + 1])
    offers.sort(key=lambda o: compact(o.offer_number) != key)  # stable: the exact match leads
    return offers[:limit]


def offer_for_firm(*, firm: PartnerFirm, offer_number: str) -> Offer:
    """Return the firm's offer with this number (separators and case ignored), or raise
    ``Offer.DoesNotExist``: another firm's offer is as unknown as a wrong number."""
    key = compact(offer_number)
    if not key:
        raise Offer.DoesNotExist
    matches = list(
        firm_offers(firm=firm)
        .annotate(number_key=Compact("offer_number"))
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
    policyholder name (claim numbers are searched in ``claims.selectors``), as agents type.

    Accents, case and separators do not matter ("kovacs eva" finds Kovács Éva, "abc123" finds
    ABC-123, "gfb demo 0001" finds GFB-DEMO-0001); a number may be partial from three
    characters ("0001"); every word of a name must appear in the policyholder's name. Each
    contract found carries ``match_kind`` (a key of ``MATCH_LABELS``), ``match_value`` (the
    number that matched; empty for a name, which the desk does not disclose) and ``rank``; best
    match first, then newest. At most four queries, whatever the size of the portfolio.
    """
    text = " ".join(query.split())
    number = compact(text)
    tokens = [t for t in fold(text).split() if len(t) >= 2]
    if len(text) < 2 or not (number or tokens):
        return []
    hits: dict[int, tuple[int, str, str]] = {}

    def hit(pk: int, rank: int, kind: str, value: str) -> None:
        if rank and rank > hits.get(pk, (0, "", ""))[0]:
            hits[pk] = (rank, kind, value)

    found = _direct_hits(firm, number, tokens, hit)
    if number:
        _vehicle_hits(firm, number, hit)
        _offer_hits(firm, number, hit)
    missing = [pk for pk in hits if pk not in found]
    if missing:
        found.update(
            (c.pk, c)
            for c in firm_contracts(firm=firm).filter(pk__in=missing).select_related("policyholder")
        )
    return _ranked(found, hits)[:limit]


def _direct_hits(firm, number: str, tokens: list[str], hit) -> dict[int, Any]:
    """Rank the contracts whose own number or policyholder's name matches; return them by pk.

    The contracts carry the search's attributes (number_key, holder_key, then rank, match_*).
    """
    by_name = Q(*[Q(holder_key__contains=t) for t in tokens]) if tokens else Q(pk__in=[])
    direct: list[Any] = list(
        firm_contracts(firm=firm)
        .annotate(number_key=Compact("policy_number"), holder_key=Fold("policyholder__name"))
        .filter(_number_filter("number_key", number) | by_name)
        .select_related("policyholder")[:_SUBQUERY_ROWS]
    )
    for c in direct:
        hit(c.pk, number_rank(c.number_key, number), "policy_number", c.policy_number)
        if tokens and all(t in c.holder_key for t in tokens):
            hit(c.pk, _name_rank(c.policyholder.name, tokens), "name", "")
    return {c.pk: c for c in direct}


def _ranked(found: dict[int, Any], hits: dict[int, tuple[int, str, str]]) -> list[Any]:
    """Best match first, then the newest; each contract told what matched."""
    ordered = sorted(
        (found[pk] for pk in hits if pk in found),
        key=lambda c: (-hits[c.pk][0], -c.start_date.toordinal(), c.policy_number),
    )
    for contract in ordered:
        contract.rank, contract.match_kind, contract.match_value = hits[contract.pk]
        contract.match_label = MATCH_LABELS[contract.match_kind]
    return ordered


def _vehicle_hits(firm, number, hit) -> None:
    rows = (
        ContractVehicle.objects.filter(contract__firm=firm)
        .annotate(
            plate_key=Compact("vehicle__plate"), chassis_key=Compact("vehicle__chassis_number")
        )
        .filter(_number_filter("plate_key", number) | _number_filter("chassis_key", number))
        .values_list("contract_id", "vehicle__plate", "plate_key", "vehicle__chassis_number")
    )
    for contract_id, plate, plate_key, chassis in rows[:_SUBQUERY_ROWS]:
        hit(contract_id, number_rank(plate_key, number), "plate", plate)
        hit(contract_id, number_rank(compact(chassis), number), "chassis_number", chassis)


def _offer_hits(firm, number, hit) -> None:
    rows = (
        firm_offers(firm=firm)
        .filter(contract__isnull=False)
        .annotate(number_key=Compact("offer_number"))
        .filter(_number_filter("number_key", number))
        .values_list("contract_id", "offer_number", "number_key")
    )
    for contract_id, offer_number, key in rows[:_SUBQUERY_ROWS]:
        hit(contract_id, number_rank(key, number), "offer_number", offer_number)


def mandate_diagnosis(*, mandate: DirectDebitMandate, premium: int) -> list[str]:
    """Explain in plain words why a group direct debit did not start (or that it runs).

    ``premium`` is one instalment, to compare with the mandate's upper limit.
    """
    Status, Problem = DirectDebitMandate.Status, DirectDebitMandate.Problem
    reasons: dict[str, str] = {
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
