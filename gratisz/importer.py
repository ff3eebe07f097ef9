"""Upsert the portfolio and claims from the core systems' export, one record at a time.

A record is a dict with a ``type`` (firm, policyholder, vehicle, adjuster, contract, offer,
invoice, payment, mandate, claim) and the fields documented in the README. Each record is
validated and written in its own transaction: a bad record changes nothing and is reported with
its reason; the others still land. A record equal to what is stored writes nothing, so running
the same export twice changes nothing the second time.

One service, two interfaces: ``manage.py import_portfolio`` and (later) the sync API.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction

from claims.models import Adjuster, Claim
from partners.models import (
    Contract,
    DirectDebitMandate,
    Invoice,
    Offer,
    PartnerFirm,
    Payment,
    Policyholder,
    Vehicle,
)


class RecordError(Exception):
    """A record that cannot be imported; the message says why, for the operator."""


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _upsert(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[models.Model, str]:
    """Create or update the row found by ``lookup``; write only when a value differs."""
    existing = model._default_manager.filter(**lookup).first()
    candidate = model(**lookup, **values)
    if existing is not None:
        candidate.pk = existing.pk
        candidate._state.adding = False  # so that unique checks see the row as itself
        for f in model._meta.concrete_fields:
            if f.attname not in values and f.attname not in lookup:
                setattr(candidate, f.attname, getattr(existing, f.attname))
    candidate.full_clean()
    if existing is None:
        candidate.save(force_insert=True)
        return candidate, CREATED
    changed = [k for k in values if getattr(candidate, k) != getattr(existing, k)]
    if not changed:
        return existing, UNCHANGED
    candidate.save(update_fields=changed)
    return candidate, UPDATED


def _sync_children(
    manager, key: str, rows: list[dict[str, Any]], to_values: Callable[[dict], dict]
) -> bool:
    """Make the children under ``manager`` equal to ``rows`` (matched by ``key``); return
    whether anything changed."""
    seen, changed = [], False
    for row in rows:
        values = to_values(row)
        lookup = {key: values.pop(key)}
        obj, outcome = _upsert(manager.model, {**lookup, **manager.core_filters}, values)
        seen.append(obj.pk)
        changed |= outcome != UNCHANGED
    deleted, _ = manager.exclude(pk__in=seen).delete()
    return changed or bool(deleted)


def _get(model: type[models.Model], label: str, **lookup: Any) -> models.Model:
    try:
        return model._default_manager.get(**lookup)
    except ObjectDoesNotExist:
        value = next(iter(lookup.values()))
        raise RecordError(f"unknown {label}: {value}") from None


def _pick(record: dict[str, Any], *names: str) -> dict[str, Any]:
    """Take the optional fields that the record carries (absent ones keep their stored value)."""
    return {n: record[n] for n in names if n in record}


def _firm(r: dict) -> str:
    values = _pick(
        r,
        "name",
        "kind",
        "mnb_register_number",
        "email",
        "fax",
        "postal_code",
        "city",
        "address_line",
        "status",
    )
    return _upsert(PartnerFirm, {"grid": r["grid"]}, values)[1]


def _policyholder(r: dict) -> str:
    values = _pick(
        r,
        "kind",
        "name",
        "birth_date",
        "mothers_name",
        "tax_number",
        "postal_code",
        "city",
        "address_line",
        "email",
        "phone",
    )
    return _upsert(Policyholder, {"external_id": r["id"]}, values)[1]


def _vehicle(r: dict) -> str:
    values = _pick(
        r, "plate", "chassis_number", "make", "model", "category", "first_registration_year"
    )
    return _upsert(Vehicle, {"external_id": r["id"]}, values)[1]


def _adjuster(r: dict) -> str:
    return _upsert(Adjuster, {"external_id": r["id"]}, _pick(r, "name", "phone", "email"))[1]


def _contract(r: dict) -> str:
    values = _pick(
        r,
        "product",
        "status",
        "end_reason",
        "start_date",
        "end_date",
        "annual_premium",
        "payment_frequency",
        "payment_method",
        "bonus_malus_class",
        "risk_address",
    )
    values["firm_id"] = _get(PartnerFirm, "GRID", grid=r["grid"]).pk
    values["policyholder_id"] = _get(
        Policyholder, "policyholder", external_id=r["policyholder_id"]
    ).pk
    contract, outcome = _upsert(Contract, {"policy_number": r["policy_number"]}, values)
    changed = False
    if "vehicles" in r:
        changed |= _sync_children(
            contract.vehicle_links,
            "vehicle_id",
            r["vehicles"],
            lambda v: {
                "vehicle_id": _get(Vehicle, "vehicle", external_id=v["id"]).pk,
                **_pick(v, "insured_from", "insured_to"),
            },
        )
    if "bonus_malus_history" in r:
        changed |= _sync_children(
            contract.bonus_malus_history,
            "period_start",
            r["bonus_malus_history"],
            lambda h: {
                "bonus_malus_class": h["class"],
                **_pick(h, "period_start", "period_end", "claims_paid"),
            },
        )
    return UPDATED if outcome == UNCHANGED and changed else outcome


def _offer(r: dict) -> str:
    values = _pick(r, "product", "status", "submitted_on", "annual_premium")
    values["firm_id"] = _get(PartnerFirm, "GRID", grid=r["grid"]).pk
    values["policyholder_id"] = _get(
        Policyholder, "policyholder", external_id=r["policyholder_id"]
    ).pk
    if r.get("policy_number"):
        values["contract_id"] = _get(Contract, "policy", policy_number=r["policy_number"]).pk
    return _upsert(Offer, {"offer_number": r["offer_number"]}, values)[1]


def _contract_id(r: dict) -> int:
    return _get(Contract, "policy", policy_number=r["policy_number"]).pk


def _invoice(r: dict) -> str:
    values = _pick(r, "issued_on", "due_on", "period_start", "period_end", "amount")
    values["contract_id"] = _contract_id(r)
    return _upsert(Invoice, {"number": r["number"]}, values)[1]


def _payment(r: dict) -> str:
    values = _pick(r, "paid_on", "amount", "method")
    values["contract_id"] = _contract_id(r)
    return _upsert(Payment, {"external_id": r["id"]}, values)[1]


def _mandate(r: dict) -> str:
    values = _pick(
        r,
        "identifier",
        "payer_name",
        "account_number",
        "status",
        "start_date",
        "limit_amount",
        "problem",
        "problem_on",
    )
    values["contract_id"] = _contract_id(r)
    return _upsert(DirectDebitMandate, {"external_id": r["id"]}, values)[1]


def _claim(r: dict) -> str:
    values = _pick(
        r,
        "cover",
        "event_date",
        "reported_on",
        "status",
        "status_changed_at",
        "description",
        "reserve_amount",
        "origin",
    )
    values["contract_id"] = _contract_id(r)
    if r.get("vehicle_id"):
        values["vehicle_id"] = _get(Vehicle, "vehicle", external_id=r["vehicle_id"]).pk
    if r.get("adjuster_id"):
        values["adjuster_id"] = _get(Adjuster, "adjuster", external_id=r["adjuster_id"]).pk
    claim, outcome = _upsert(Claim, {"claim_number": r["claim_number"]}, values)
    changed = False
    if "status_history" in r:
        changed |= _sync_children(
            claim.status_history,
            "changed_at",
            r["status_history"],
            lambda h: _pick(h, "changed_at", "status", "note"),
        )
    if "missing_documents" in r:
        changed |= _sync_children(
            claim.missing_documents,
            "description",
            r["missing_documents"],
            lambda d: _pick(d, "description", "requested_on", "received_on"),
        )
    if "payments" in r:
        changed |= _sync_children(
            claim.payments,
            "external_id",
            r["payments"],
            lambda p: {"external_id": p["id"], **_pick(p, "paid_on", "amount", "cover")},
        )
    return UPDATED if outcome == UNCHANGED and changed else outcome


HANDLERS: dict[str, Callable[[dict], str]] = {
    "firm": _firm,
    "policyholder": _policyholder,
    "vehicle": _vehicle,
    "adjuster": _adjuster,
    "contract": _contract,
    "offer": _offer,
    "invoice": _invoice,
    "payment": _payment,
    "mandate": _mandate,
    "claim": _claim,
}


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def portfolio_record_import(record: Any) -> str:
    """Import one record in its own transaction; return created, updated or unchanged.

    Raises ``RecordError`` with a readable reason; then the record wrote nothing.
    """
    if not isinstance(record, dict):
        raise RecordError("a record is a JSON object")
    handler = HANDLERS.get(record.get("type"))
    if handler is None:
        raise RecordError(f"unknown type: {record.get('type')!r} (one of {', '.join(HANDLERS)})")
    try:
        with transaction.atomic():
            return handler(record)
    except KeyError as missing:
        raise RecordError(f"missing field: {missing.args[0]}") from None
    except ValidationError as error:
        raise RecordError(_describe(error)) from None


def portfolio_import(records: Iterable[tuple[int, Any]]) -> ImportReport:
    """Import numbered records; return the counts per outcome and the failed numbers with
    their reasons. Each record is applied or refused whole."""
    report = ImportReport()
    for number, record in records:
        try:
            report.counts[portfolio_record_import(record)] += 1
        except RecordError as error:
            report.counts["failed"] += 1
            report.errors.append((number, str(error)))
    return report
