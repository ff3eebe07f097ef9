"""Reads for certificates: eligibility, the data snapshot each document shows, deliveries."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from claims.models import Claim
from partners.models import BonusMalusEntry, Contract, ContractVehicle, Invoice, Policyholder
from partners.selectors import PremiumStatus, contract_premium_status

from .models import Delivery, DocumentType, IssuedCertificate, PrintBatch

HISTORY_YEARS = 5
GREEN_CARD_MIN_DAYS = 15

# The green card system's countries (box 8), in the card's order. The ones this insurer's cards
# do not cover are crossed out on the card: the bureaus of Russia and Belarus are suspended from
# the system, Iran left it. Data, not law: check the Council of Bureaux' list each year.
GREEN_CARD_COUNTRIES = [
    "A", "AL", "AND", "AZ", "B", "BG", "BIH", "BY", "CH", "CY", "CZ", "D", "DK", "E", "EST",
    "F", "FIN", "GB", "GR", "H", "HR", "I", "IL", "IR", "IRL", "IS", "L", "LT", "LV", "M", "MA",
    "MD", "MK", "MNE", "N", "NL", "P", "PL", "RO", "RUS", "S", "SK", "SLO", "SRB", "TN", "TR",
    "UA",
]  # fmt: skip
GREEN_CARD_NOT_COVERED = {"AZ", "BY", "IR", "RUS"}


class NotEligible(Exception):
    """The document cannot be issued for this contract; ``reason`` is shown to the agent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Eligibility:
    document_type: str
    allowed: bool
    reason: str = ""


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _years_ago(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _date_param(params: dict, key: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(params[key]))
    except (KeyError, ValueError) as exc:
        raise NotEligible(_("The period is not a valid date range.")) from exc


def _hu(day: datetime.date | None) -> str:
    return day.strftime("%Y. %m. %d.") if day else ""


def _ft(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u00a0")


def cover_ended_on(*, contract: Contract, premium: PremiumStatus) -> datetime.date | None:
    """Return the last day of cover of a contract that has ended (or ended for non-payment
    by the status's day), else None."""
    lapse_on = premium.lapse_on
    if premium.has_lapsed and lapse_on is not None:
        return min(lapse_on, contract.end_date or lapse_on)
    return contract.end_date


def _is_in_force(contract: Contract, premium: PremiumStatus, today: datetime.date) -> bool:
    ended_on = cover_ended_on(contract=contract, premium=premium)
    return (
        contract.status == Contract.Status.ACTIVE
        and contract.start_date <= today
        and (ended_on is None or ended_on >= today)
    )


def green_card_vehicle(
    contract: Contract, start: datetime.date, end: datetime.date
) -> ContractVehicle | None:
    """Return the contract's vehicle insured for the whole of ``start``–``end``, if any."""
    return (
        contract.vehicle_links.select_related("vehicle")
        .filter(insured_from__lte=start)
        .filter(Q(insured_to__isnull=True) | Q(insured_to__gte=end))
        .order_by("-insured_from", "pk")
        .first()
    )


def default_params(*, document_type: str, contract: Contract, today: datetime.date) -> dict:
    """Return the period parameters a document gets when the agent gives none."""
    if document_type == DocumentType.COVERAGE:
        return {"period_from": today.isoformat(), "period_to": today.isoformat()}
    if document_type == DocumentType.GREEN_CARD:
        start = max(today, contract.start_date)
        until = _years_ago(start, -1) - datetime.timedelta(days=1)
        if contract.end_date is not None:
            until = min(until, contract.end_date)
        return {"valid_from": start.isoformat(), "valid_until": until.isoformat()}
    return {}


def _check_green_card(
    contract: Contract, premium: PremiumStatus, today: datetime.date, params: dict
) -> None:
    if contract.product != Contract.Product.GFB:
        raise NotEligible(
            _(
                "A green card is issued only for a motor third-party liability (GFB) contract, "
                "not for casco or property insurance."
            )
        )
    if not _is_in_force(contract, premium, today):
        raise NotEligible(_("A green card is issued only for a contract in force."))
    if premium.arrears:
        raise NotEligible(
            _(
                "A green card is not issued while the premium is in arrears "
                "(%(amount)s Ft since %(since)s)."
            )
            % {"amount": _ft(premium.arrears), "since": _hu(premium.overdue_since)}
        )
    start, end = _date_param(params, "valid_from"), _date_param(params, "valid_until")
    if start < today:
        raise NotEligible(_("A green card cannot be valid from a past day."))
    if start < contract.start_date:
        raise NotEligible(_("A green card cannot be valid before the contract's cover starts."))
    if contract.end_date is not None and end > contract.end_date:
        raise NotEligible(
            _("A green card cannot be valid past the contract's end (%(end)s).")
            % {"end": _hu(contract.end_date)}
        )
    if (end - start).days + 1 < GREEN_CARD_MIN_DAYS:
        raise NotEligible(_("A green card is valid for at least 15 days."))
    if green_card_vehicle(contract, start, end) is None:
        raise NotEligible(_("No vehicle of the contract is insured for the whole validity."))


def _check_coverage(
    contract: Contract, premium: PremiumStatus, today: datetime.date, params: dict
) -> None:
    start, end = _date_param(params, "period_from"), _date_param(params, "period_to")
    if end < start:
        raise NotEligible(_("The period ends before it starts."))
    ended_on = cover_ended_on(contract=contract, premium=premium)
    if ended_on is None and contract.status in (Contract.Status.LAPSED, Contract.Status.TERMINATED):
        raise NotEligible(_("The contract is not in force for the whole period asked."))
    if start < contract.start_date or (ended_on is not None and end > ended_on):
        raise NotEligible(
            _("The contract's cover (%(start)s – %(end)s) does not include the whole period asked.")
            % {"start": _hu(contract.start_date), "end": _hu(ended_on) or _("open-ended")}
        )
    if contract.status == Contract.Status.SUSPENDED and end >= today:
        raise NotEligible(_("The contract is suspended: only a past period can be certified."))
    if premium.arrears and end > today:
        raise NotEligible(
            _(
                "The premium is in arrears (%(amount)s Ft since %(since)s): cover after today "
                "cannot be certified."
            )
            % {"amount": _ft(premium.arrears), "since": _hu(premium.overdue_since)}
        )


def check_eligibility(
    *,
    document_type: str,
    contract: Contract | None,
    today: datetime.date,
    params: dict | None = None,
    invoice: Invoice | None = None,
    premium: PremiumStatus | None = None,
) -> dict:
    """Return the document's parameters, or raise ``NotEligible`` with the reason to show.

    The one rule book: the desk, the API and the command line all ask here, and the desk shows
    each document's reason before the agent sends. Green card: only for a GFB (motor
    third-party liability) contract in force with no premium in arrears, for its vehicle, at
    least 15 days from today and never past the contract's end. Coverage: a period inside the
    contract's cover (a past period of an ended contract too); in arrears, nothing after today.
    Damage history (*kártörténeti igazolás*): GFB contracts, ended ones too; fleet damage
    history: casco fleet contracts.
    """
    if document_type not in DocumentType.values:
        raise NotEligible(_("Unknown document type."))
    if document_type == DocumentType.LIBRARY:
        return {}
    if contract is None:
        raise NotEligible(_("Choose a contract first."))
    merged = default_params(document_type=document_type, contract=contract, today=today)
    merged.update({k: v for k, v in (params or {}).items() if v})
    _check_rules(document_type, contract, today, merged, invoice=invoice, premium=premium)
    return merged


def _check_rules(
    document_type: str,
    contract: Contract,
    today: datetime.date,
    merged: dict,
    *,
    invoice: Invoice | None,
    premium: PremiumStatus | None,
) -> None:
    """Raise ``NotEligible`` unless ``contract`` may have the document with ``merged``."""
    if document_type in (DocumentType.DAMAGE_HISTORY, DocumentType.DAMAGE_HISTORY_BILINGUAL):
        if contract.product != Contract.Product.GFB:
            raise NotEligible(
                _("A damage history certificate is issued only for motor liability (GFB).")
            )
    elif document_type == DocumentType.FLEET_DAMAGE_HISTORY:
        if contract.product != Contract.Product.CASCO_FLEET:
            raise NotEligible(_("A fleet damage history is issued only for casco fleets."))
    elif document_type == DocumentType.COVERAGE:
        premium = premium or contract_premium_status(contract=contract, today=today)
        _check_coverage(contract, premium, today, merged)
    elif document_type == DocumentType.GREEN_CARD:
        premium = premium or contract_premium_status(contract=contract, today=today)
        _check_green_card(contract, premium, today, merged)
    elif document_type == DocumentType.INVOICE_COPY:
        if invoice is None or invoice.contract_id != contract.pk:
            raise NotEligible(_("Choose an invoice of this contract."))


def eligibility_overview(
    *, contract: Contract, today: datetime.date, premium: PremiumStatus | None = None
) -> list[Eligibility]:
    """Return, for each rendered type, whether it may be issued now and why not (for the desk).

    The same ``check_eligibility`` as the request itself, with the premium status read once
    (``premium``: already read by the caller).
    """
    premium = premium or contract_premium_status(contract=contract, today=today)
    result = []
    for document_type in DocumentType:
        if document_type in (DocumentType.LIBRARY, DocumentType.INVOICE_COPY):
            continue
        try:
            check_eligibility(
                document_type=document_type, contract=contract, today=today, premium=premium
            )
        except NotEligible as refusal:
            result.append(Eligibility(document_type, False, refusal.reason))
        else:
            result.append(Eligibility(document_type, True))
    return result


# --- snapshots -------------------------------------------------------------------------------
# Plain JSON (dates as ISO strings, money as integer forint): what the document shows, frozen at
# issue, so that a later change of the portfolio never alters an issued certificate.


def _insurer() -> dict:
    return {
        "name": settings.INSURER_NAME,
        "address": settings.INSURER_ADDRESS,
        "tax_number": settings.INSURER_TAX_NUMBER,
        "registration_number": settings.INSURER_REGISTRATION_NUMBER,
    }


def _party(holder: Policyholder) -> dict:
    return {
        "name": holder.name,
        "address": holder.postal_address,
        "birth_date": _iso(holder.birth_date),
        "tax_number": holder.tax_number,
        "registration_number": holder.registration_number,
        "kind": str(holder.kind),
        "is_company": holder.kind == Policyholder.Kind.COMPANY,
    }


def _policyholder(contract: Contract) -> dict:
    return _party(contract.policyholder)


def _vehicle(link: ContractVehicle) -> dict:
    vehicle = link.vehicle
    return {
        "plate": vehicle.plate,
        "chassis_number": vehicle.chassis_number,
        "make": vehicle.make,
        "model": vehicle.model,
        "category": str(vehicle.category),
        "category_label": vehicle.get_category_display(),
        "insured_from": _iso(link.insured_from),
        "insured_to": _iso(link.insured_to),
    }


def _contract(contract: Contract) -> dict:
    return {
        "policy_number": contract.policy_number,
        "product": str(contract.product),
        "product_label": contract.get_product_display(),
        "status": str(contract.status),
        "status_label": contract.get_status_display(),
        "start_date": _iso(contract.start_date),
        "end_date": _iso(contract.end_date),
        "end_reason": contract.get_end_reason_display() if contract.end_reason else "",
        "annual_premium": contract.annual_premium,
        "payment_frequency": contract.get_payment_frequency_display(),
        "payment_method": contract.get_payment_method_display(),
        "bonus_malus_class": contract.bonus_malus_class,
        "risk_address": contract.risk_address,
    }


def _main_vehicle_link(contract: Contract) -> ContractVehicle | None:
    links = contract.vehicle_links.select_related("vehicle")
    return links.filter(insured_to__isnull=True).order_by("-insured_from").first() or (
        links.order_by("-insured_from").first()
    )


def _damage_history(contract: Contract, today: datetime.date, params: dict) -> dict:
    """The *kártörténeti igazolás*: every claim paid in the last five years of the contract,
    counted back from its end when it has ended (not from today)."""
    ended_on, end_reason, at_end = _history_end(contract, today)
    until = ended_on or today
    since = _years_ago(until, HISTORY_YEARS)
    # A claim counts when it was first paid (payment date), not when it happened.
    claims = (
        Claim.objects.filter(contract=contract)
        .annotate(first_paid_on=Min("payments__paid_on"))
        .filter(first_paid_on__gte=since, first_paid_on__lte=until)
        .order_by("first_paid_on", "claim_number")
    )
    link = _main_vehicle_link(contract)
    keeper = contract.keeper
    return {
        "history_from": max(since, contract.start_date).isoformat(),
        "history_to": until.isoformat(),
        "ended_on": _iso(ended_on),
        "end_reason": end_reason,
        "keeper": _party(keeper) if keeper and keeper.pk != contract.policyholder_id else None,
        "vehicle": _vehicle(link) if link else None,
        "bonus_malus_at_issue": "" if ended_on else contract.bonus_malus_class,
        "bonus_malus_at_end": at_end if ended_on else "",
        "issue_place": settings.DOCUMENTS_ISSUE_PLACE,
        "claims": [
            {
                "claim_number": c.claim_number,
                "event_date": _iso(c.event_date),
                "paid_on": _iso(c.first_paid_on),
            }
            for c in claims
        ],
    }


def _history_end(contract: Contract, today: datetime.date) -> tuple[datetime.date | None, str, str]:
    """Return when the contract's cover ended (None while it runs), why, and its bonus-malus
    class at that end."""
    premium = contract_premium_status(contract=contract, today=today)
    ended_on = cover_ended_on(contract=contract, premium=premium)
    end_reason = contract.get_end_reason_display() if contract.end_reason else ""
    if ended_on is None or ended_on > today:
        return None, end_reason, contract.bonus_malus_class  # running (a fixed term too)
    last_period = (
        BonusMalusEntry.objects.filter(contract=contract, period_start__lte=ended_on)
        .order_by("-period_start")
        .first()
    )
    at_end = last_period.bonus_malus_class if last_period else contract.bonus_malus_class
    if not end_reason and premium.has_lapsed:
        end_reason = str(Contract.EndReason.NON_PAYMENT.label)
    return ended_on, end_reason, at_end


def _fleet_damage_history(contract: Contract, today: datetime.date, params: dict) -> dict:
    """The casco fleet history brokers tender renewals with: per vehicle its vehicle-years and
    claims, and the loss ratio (*kárhányad*): paid plus outstanding reserves over the premium
    earned in the period (the annual premium pro rata to the days of cover in it)."""
    period_end = min(contract.end_date or today, today)
    since = max(_years_ago(period_end, HISTORY_YEARS), contract.start_date)
    earned_days = max((period_end - since).days + 1, 0)
    earned = round(contract.annual_premium * earned_days / 365)
    claims = (
        Claim.objects.filter(contract=contract)
        .filter(Q(event_date__gte=since) | Q(status__in=Claim.OPEN_STATUSES))
        .annotate(paid=Sum("payments__amount"))
        .order_by("event_date", "claim_number")
    )
    by_vehicle: dict[int | None, list[dict]] = {}
    for claim in claims:
        by_vehicle.setdefault(claim.vehicle_id, []).append(_fleet_claim(claim))
    vehicles = []
    total_days = 0
    for link in contract.vehicle_links.select_related("vehicle").order_by("insured_from", "pk"):
        start = max(link.insured_from, since)
        end = min(link.insured_to or period_end, period_end)
        days = max((end - start).days + 1, 0)
        total_days += days
        vehicles.append(
            {
                **_vehicle(link),
                "vehicle_years": round(days / 365.25, 2),
                "claims": by_vehicle.pop(link.vehicle_id, []),
            }
        )
    unassigned = [c for rows in by_vehicle.values() for c in rows]
    every = [c for v in vehicles for c in v["claims"]] + unassigned
    incurred = sum(c["paid"] + c["reserve"] for c in every)
    return {
        "history_from": since.isoformat(),
        "history_to": period_end.isoformat(),
        "earned_premium": earned,
        "incurred": incurred,
        # A percentage with one decimal, as tenders quote it; None without earned premium.
        "loss_ratio": round(100 * incurred / earned, 1) if earned else None,
        "vehicles": vehicles,
        "unassigned_claims": unassigned,
        "totals": {
            "vehicles": len(vehicles),
            "vehicle_years": round(total_days / 365.25, 2),
            **_fleet_claim_totals(every),
        },
    }


def _fleet_claim(claim: Claim) -> dict:
    """A claim as the fleet history lists it (``paid``: the annotated sum of its payments)."""
    return {
        "claim_number": claim.claim_number,
        "event_date": _iso(claim.event_date),
        "cover": claim.get_cover_display(),
        "paid": getattr(claim, "paid", None) or 0,
        "reserve": claim.reserve_amount,
        "open": claim.status in Claim.OPEN_STATUSES,
    }


def _fleet_claim_totals(claims: list[dict]) -> dict:
    return {
        "claims": len(claims),
        "open_claims": sum(1 for c in claims if c["open"]),
        "paid": sum(c["paid"] for c in claims),
        "reserve": sum(c["reserve"] for c in claims),
    }


def _premium_position(premium: PremiumStatus) -> dict:
    return {
        "paid_until": _iso(premium.paid_until),
        "arrears": premium.arrears,
        "overdue_since": _iso(premium.overdue_since),
        "lapse_on": _iso(premium.lapse_on),
        "lapsed": premium.has_lapsed,
        "cover_end": _iso(premium.cover_end),
    }


def _coverage(contract: Contract, today: datetime.date, params: dict) -> dict:
    links = (
        contract.vehicle_links.select_related("vehicle")
        .filter(Q(insured_to__isnull=True) | Q(insured_to__gte=params["period_from"]))
        .filter(insured_from__lte=params["period_to"])
    )
    premium = contract_premium_status(contract=contract, today=today)
    return {
        "period_from": params["period_from"],
        "period_to": params["period_to"],
        "one_day": params["period_from"] == params["period_to"],
        # A period that is over reads "fedezet fennállt" (cover existed), as after a claim.
        "past": params["period_to"] < today.isoformat(),
        "ended_on": _iso(cover_ended_on(contract=contract, premium=premium)),
        **_premium_position(premium),
        "vehicles": [_vehicle(link) for link in links.order_by("insured_from", "pk")],
    }


def _green_card(contract: Contract, today: datetime.date, params: dict) -> dict:
    link = green_card_vehicle(
        contract,
        datetime.date.fromisoformat(params["valid_from"]),
        datetime.date.fromisoformat(params["valid_until"]),
    )
    if link is None:  # check_eligibility refuses such a period before a document is built
        raise ValueError("no vehicle is insured for the whole green card period")
    return {
        "valid_from": params["valid_from"],
        "valid_until": params["valid_until"],
        "vehicle": _vehicle(link),
        "bureau": settings.GREEN_CARD_BUREAU,
        "country_code": "H",
        "insurer_code": settings.GREEN_CARD_INSURER_CODE,
        "countries": [
            {"code": code, "covered": code not in GREEN_CARD_NOT_COVERED}
            for code in GREEN_CARD_COUNTRIES
        ],
        "categories": ["A", "B", "C", "D", "E", "F", "G"],
    }


def _premium_status(contract: Contract, today: datetime.date, params: dict) -> dict:
    status = contract_premium_status(contract=contract, today=today)
    payments = contract.payments.order_by("-paid_on", "-pk")[:5]
    return {
        "as_of": today.isoformat(),
        **_premium_position(status),
        "ended_on": _iso(cover_ended_on(contract=contract, premium=status)),
        "next_due_on": _iso(status.next_due_on),
        "next_due_amount": status.next_due_amount,
        "total_paid": status.total_paid,
        "total_paid_from": _iso(status.first_paid_on),
        "total_paid_to": _iso(status.last_paid_on),
        "settled": status.is_settled,
        "last_payments": [
            {"paid_on": _iso(p.paid_on), "amount": p.amount, "method": p.get_method_display()}
            for p in payments
        ],
    }


def _invoice_copy(contract: Contract, today: datetime.date, params: dict) -> dict:
    invoice = Invoice.objects.get(pk=params["invoice_id"], contract=contract)
    return {
        "invoice": {
            "number": invoice.number,
            "issued_on": _iso(invoice.issued_on),
            "due_on": _iso(invoice.due_on),
            "period_start": _iso(invoice.period_start),
            "period_end": _iso(invoice.period_end),
            "amount": invoice.amount,
        }
    }


def _policy_copy(contract: Contract, today: datetime.date, params: dict) -> dict:
    links = contract.vehicle_links.select_related("vehicle").order_by("insured_from", "pk")
    return {"vehicles": [_vehicle(link) for link in links]}


_BUILDERS: dict[str, Callable[[Contract, datetime.date, dict], dict]] = {
    DocumentType.DAMAGE_HISTORY: _damage_history,
    DocumentType.DAMAGE_HISTORY_BILINGUAL: _damage_history,
    DocumentType.FLEET_DAMAGE_HISTORY: _fleet_damage_history,
    DocumentType.COVERAGE: _coverage,
    DocumentType.GREEN_CARD: _green_card,
    DocumentType.PREMIUM_STATUS: _premium_status,
    DocumentType.INVOICE_COPY: _invoice_copy,
    DocumentType.POLICY_COPY: _policy_copy,
}


def document_snapshot(
    *, document_type: str, contract: Contract, today: datetime.date, params: dict
) -> dict:
    """Return the JSON data a document of ``document_type`` shows about ``contract`` today."""
    return {
        "document_type": str(document_type),
        "as_of": today.isoformat(),
        "insurer": _insurer(),
        "policyholder": _policyholder(contract),
        "contract": _contract(contract),
        "firm": {"name": contract.firm.name, "grid": contract.firm.grid},
        **_BUILDERS[document_type](contract, today, params),
    }


def validity_of(*, document_type: str, data: dict) -> tuple[str | None, str | None]:
    """Return the (from, until) ISO dates a document states it is valid for, if any."""
    if document_type == DocumentType.GREEN_CARD:
        return data["valid_from"], data["valid_until"]
    if document_type == DocumentType.COVERAGE:
        return data["period_from"], data["period_to"]
    return data["as_of"], None


# --- reads for screens ------------------------------------------------------------------------


def certificate_for_verification(*, number: str) -> IssuedCertificate | None:
    """Return the issued certificate with ``number`` (for the public page), or None."""
    return (
        IssuedCertificate.objects.filter(number=number)
        .only("number", "document_type", "issued_at", "valid_from", "valid_until", "revoked_at")
        .first()
    )


def deliveries_visible_to(*, user) -> QuerySet[Delivery]:
    """Return the deliveries ``user`` may see: their own requests', or all for supervisors."""
    qs = Delivery.objects.select_related("request", "request__contract", "request__certificate")
    if user.has_perm("certificates.view_all_deliveries"):
        return qs
    return qs.filter(request__requested_by=user)


def failed_deliveries_for(*, user) -> QuerySet[Delivery]:
    """Return the permanently failed deliveries ``user`` should see and may resend."""
    return deliveries_visible_to(user=user).filter(state=Delivery.State.FAILED)


def certificate_for_download(*, user, number: str) -> IssuedCertificate | None:
    """Return the certificate if ``user`` may download it: their own request, or supervisors."""
    qs = IssuedCertificate.objects.filter(number=number)
    if not user.has_perm("certificates.view_all_deliveries"):
        qs = qs.filter(request__requested_by=user)
    return qs.first()


def print_batches_for_mailroom(*, user) -> QuerySet[PrintBatch]:
    """Return the print batches for the mailroom, newest first; none unless ``user`` handles
    the mail. The list, the download and the posting confirmation all read through here."""
    if not user.has_perm("certificates.handle_mail"):
        return PrintBatch.objects.none()
    return PrintBatch.objects.select_related("posted_by").prefetch_related("events__by")
