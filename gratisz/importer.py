"""Upsert the portfolio and claims from the core systems' export.

A record is a dict with a ``type`` (firm, policyholder, vehicle, adjuster, contract, offer,
invoice, payment, mandate, claim) and the fields documented in the README. Each record is
validated on its own: a bad record changes nothing and is reported with its reason; the others
still land. A record equal to what is stored writes nothing, so running the same export twice
changes nothing the second time.

One service, two interfaces: ``manage.py import_portfolio`` and the sync API
(``POST /api/v1/sync/``) both call ``portfolio_import``.

Speed: records are taken in batches. For each batch the rows they name are fetched with one query
per model (by natural key), every record is validated in memory against them, and then the batch
is written with ``bulk_create`` / ``bulk_update`` in one transaction. Validation happens before
any write, so a refused record writes nothing. The check and unique constraints (which may span
rows) are left to the database: when it refuses, the batch rolls back whole and runs again record
by record, each record a batch of one in its own savepoint (``portfolio_record_import``). That
batch of one also runs those checks before writing, so the refused record is reported in words
and the rest land. There is one engine, driven by one field spec (``SPECS`` and ``CHILDREN``).
"""

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from claims.models import Adjuster, Claim, ClaimPayment, ClaimStatusChange, MissingDocument
from partners.models import (
    BonusMalusEntry,
    Contract,
    ContractVehicle,
    DirectDebitMandate,
    Invoice,
    Offer,
    OfferMissingItem,
    PartnerFirm,
    Payment,
    Policyholder,
    Vehicle,
)


class RecordError(Exception):
    """A record that cannot be imported; the message says why, for the operator."""


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


FAILED = "failed"


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)
    # (number, outcome, reason or "") for every record, in the order given.
    results: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _pick(record: dict[str, Any], *names: str) -> dict[str, Any]:
    """Take the optional fields that the record carries (absent ones keep their stored value)."""
    return {n: record[n] for n in names if n in record}


# type -> (model, natural key field, record field that carries it, plain fields)
SPECS: dict[str, tuple[type[models.Model], str, str, tuple[str, ...]]] = {
    "firm": (
        PartnerFirm,
        "grid",
        "grid",
        (
            "name",
            "kind",
            "mnb_register_number",
            "email",
            "fax",
            "postal_code",
            "city",
            "address_line",
            "status",
        ),
    ),
    "policyholder": (
        Policyholder,
        "external_id",
        "id",
        (
            "kind",
            "name",
            "birth_date",
            "mothers_name",
            "tax_number",
            "registration_number",
            "postal_code",
            "city",
            "address_line",
            "email",
            "phone",
        ),
    ),
    "vehicle": (
        Vehicle,
        "external_id",
        "id",
        ("plate", "chassis_number", "make", "model", "category", "first_registration_year"),
    ),
    "adjuster": (Adjuster, "external_id", "id", ("name", "phone", "email")),
    "contract": (
        Contract,
        "policy_number",
        "policy_number",
        (
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
        ),
    ),
    "offer": (
        Offer,
        "offer_number",
        "offer_number",
        ("product", "status", "submitted_on", "annual_premium"),
    ),
    "invoice": (
        Invoice,
        "number",
        "number",
        ("issued_on", "due_on", "period_start", "period_end", "amount"),
    ),
    "payment": (Payment, "external_id", "id", ("paid_on", "amount", "method")),
    "mandate": (
        DirectDebitMandate,
        "external_id",
        "id",
        (
            "identifier",
            "payer_name",
            "account_number",
            "status",
            "start_date",
            "limit_amount",
            "problem",
            "problem_on",
        ),
    ),
    "claim": (
        Claim,
        "claim_number",
        "claim_number",
        (
            "cover",
            "event_date",
            "reported_on",
            "status",
            "status_changed_at",
            "description",
            "reserve_amount",
            "origin",
        ),
    ),
}


_WRONG_SHAPE = "a field has the wrong shape (a list or object where a value is expected)"


def _refuse_nul(value: Any) -> None:
    """Refuse text with NUL characters anywhere in a record: no database column stores them."""
    if isinstance(value, str):
        if "\x00" in value:
            raise RecordError("text may not contain NUL characters")
    elif isinstance(value, dict):
        for item in value.values():
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


BATCH_SIZE = 1000

# Parents are written before the rows that point at them.
WRITE_ORDER = [SPECS[t][0] for t in SPECS]

# References from a record to other rows: record field -> (model, label used in messages).
_REFS = {
    "grid": (PartnerFirm, "GRID"),
    "policyholder_id": (Policyholder, "policyholder"),
    "keeper_id": (Policyholder, "keeper"),
    "policy_number": (Contract, "policy"),
    "vehicle_id": (Vehicle, "vehicle"),
    "adjuster_id": (Adjuster, "adjuster"),
}
_NATURAL_KEY = {model: key for model, key, _r, _f in SPECS.values()}


@dataclass(frozen=True)
class _Children:
    """A list of child rows that a record carries whole (matched by ``key``)."""

    record_field: str
    model: type[models.Model]
    parent_field: str  # the FK to the parent
    key: str  # the attname that identifies a child under its parent
    to_values: Callable[[Any, dict], dict]  # (batch, row) -> field values incl. the key


CHILDREN: dict[type[models.Model], list[_Children]] = {
    Offer: [
        _Children(
            "missing_items",
            OfferMissingItem,
            "offer",
            "description",
            lambda batch, d: _pick(d, "kind", "description", "requested_on", "received_on"),
        ),
    ],
    Contract: [
        _Children(
            "vehicles",
            ContractVehicle,
            "contract",
            "vehicle_id",
            lambda batch, v: {
                "vehicle": batch.ref(Vehicle, "vehicle", v["id"]),
                **_pick(v, "insured_from", "insured_to"),
            },
        ),
        _Children(
            "bonus_malus_history",
            BonusMalusEntry,
            "contract",
            "period_start",
            lambda batch, h: {
                "bonus_malus_class": h["class"],
                **_pick(h, "period_start", "period_end", "claims_paid"),
            },
        ),
    ],
    Claim: [
        _Children(
            "status_history",
            ClaimStatusChange,
            "claim",
            "changed_at",
            lambda batch, h: _pick(h, "changed_at", "status", "note"),
        ),
        _Children(
            "missing_documents",
            MissingDocument,
            "claim",
            "description",
            lambda batch, d: _pick(d, "description", "requested_on", "received_on"),
        ),
        _Children(
            "payments",
            ClaimPayment,
            "claim",
            "external_id",
            lambda batch, p: {"external_id": p["id"], **_pick(p, "paid_on", "amount", "cover")},
        ),
    ],
}


def _batched(iterable: Iterable, size: int):
    """Yield lists of ``size`` items (itertools.batched arrives with Python 3.12)."""
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _key(model: type[models.Model], name: str, value: Any) -> Any:
    """Return a natural key as the database holds it (``123`` and ``"123"`` are one key)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"{name}: expected text, got {type(value).__name__}")
    return _concrete_field(model, _NATURAL_KEY[model]).to_python(value)


def _concrete_field(model: type[models.Model], name: str) -> models.Field:
    """Return the model's field ``name``: a column, not a reverse relation."""
    found = model._meta.get_field(name)
    if not isinstance(found, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return found


# The field that records when a row last changed, on the models that have one.
_STAMP = "updated_at"


def _differences(
    candidate: models.Model, existing: models.Model, values: dict, relations: dict
) -> set[str]:
    """Return the names of the values and relations in which ``candidate`` differs from the
    stored ``existing`` (a relation to a row not yet written always differs)."""
    changed = {k for k in values if getattr(candidate, k) != getattr(existing, k)}
    changed |= {
        name
        for name, obj in relations.items()
        if getattr(existing, f"{name}_id") != obj.pk or obj.pk is None
    }
    return changed


def _child_key(spec: _Children, values: dict[str, Any], relations: dict[str, Any]) -> Any:
    """Return the key that matches a child entry to its stored row (the entry's key value, as
    the database holds it, is put back into ``values``)."""
    if "vehicle" in relations:
        vehicle = relations["vehicle"]
        # A vehicle created in this batch has no links yet: any unique key will do.
        return vehicle.pk if vehicle.pk is not None else ("new", id(vehicle))
    key = _concrete_field(spec.model, spec.key).to_python(values[spec.key])
    values[spec.key] = key
    return key


def _wanted_keys(records: list[Any]) -> dict[type[models.Model], set]:
    """Return the natural keys, per model, of the rows the records name (themselves, the rows
    they point at, their vehicles); what is no valid key is left for the record's own check."""
    wanted: dict[type[models.Model], set] = {m: set() for m in WRITE_ORDER}

    def want(model, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and "\x00" not in value:
            wanted[model].add(_key(model, "key", value))

    for record in records:
        kind = record.get("type") if isinstance(record, dict) else None
        if not isinstance(kind, str) or kind not in SPECS:
            continue
        model, _k, record_key, _f = SPECS[kind]
        want(model, record.get(record_key))
        for ref, (ref_model, _label) in _REFS.items():
            if ref in record:
                want(ref_model, record[ref])
        vehicles = record.get("vehicles")
        for v in vehicles if isinstance(vehicles, list) else []:
            if isinstance(v, dict):
                want(Vehicle, v.get("id"))
    return wanted


def _record_type(record: Any) -> str:
    """Return the record's type, or raise ``RecordError`` for what is no record of ours."""
    if not isinstance(record, dict):
        raise RecordError("a record is a JSON object")
    _refuse_nul(record)
    kind = record.get("type")
    if not isinstance(kind, str) or kind not in SPECS:
        raise RecordError(f"unknown type: {kind!r} (one of {', '.join(SPECS)})")
    return kind


class _Batch:
    """One batch of records: the rows they name, and what writing the batch will do.

    A ``thorough`` batch also runs Django's unique and constraint checks on every row it would
    write (a query each), so what the database would refuse is said in words; a batch of a
    thousand leaves those to the database and pays no query per row for them."""

    def __init__(self, records: list[Any], *, thorough: bool = False):
        self.thorough = thorough
        self.rows: dict[type[models.Model], dict[Any, models.Model]] = {m: {} for m in WRITE_ORDER}
        self.new: dict[type[models.Model], list[models.Model]] = {}
        self.dirty: dict[type[models.Model], dict[int, tuple[models.Model, set[str]]]] = {}
        # (child spec, parent object id) -> {child key: child}
        self.children: dict[tuple[_Children, int], dict[Any, models.Model]] = {}
        self.child_delete: dict[type[models.Model], set[int]] = {}
        self._prefetch(records)

    # Reading -----------------------------------------------------------------------------
    def _prefetch(self, records: list[Any]) -> None:
        wanted = _wanted_keys(records)
        for model, keys in wanted.items():
            if keys:
                self.rows[model] = model._default_manager.in_bulk(
                    list(keys), field_name=_NATURAL_KEY[model]
                )
        for parent_model, specs in CHILDREN.items():
            parents = {obj.pk: obj for obj in self.rows[parent_model].values()}
            for spec in specs:
                self._prefetch_children(spec, parents)

    def _prefetch_children(self, spec: _Children, parents: dict[Any, models.Model]) -> None:
        """Read the stored children under ``spec`` of the batch's ``parents`` (by pk)."""
        for obj in parents.values():
            self.children[(spec, id(obj))] = {}
        if not parents:
            return
        rows = spec.model._default_manager.filter(**{f"{spec.parent_field}_id__in": list(parents)})
        for child in rows:
            parent = parents[getattr(child, f"{spec.parent_field}_id")]
            self.children[(spec, id(parent))][getattr(child, spec.key)] = child

    def ref(self, model: type[models.Model], label: str, value: Any) -> models.Model:
        """Return the row a record points at, whether stored or created earlier in the batch."""
        found = self.rows[model].get(_key(model, label, value))
        if found is None:
            raise RecordError(f"unknown {label}: {value}")
        return found

    # Planning one record -----------------------------------------------------------------
    def plan(self, record: Any) -> tuple[str, Callable[[], None]]:
        """Validate one record; return its outcome and the function that books its writes.

        Nothing in the batch changes until that function runs, so a refused record leaves no
        trace."""
        kind = _record_type(record)
        model, key_field, record_key, fields = SPECS[kind]
        try:
            key = _key(model, record_key, record[record_key])
            values = _pick(record, *fields)
            relations = self._relations(kind, record, values)
            existing = self.rows[model].get(key)
            candidate, changed = self._candidate(
                model, existing, {key_field: key}, values, relations
            )
            child_plans = [
                self._plan_children(spec, existing, [*record[spec.record_field]])
                for spec in CHILDREN.get(model, [])
                if spec.record_field in record
            ]
        except KeyError as missing:
            raise RecordError(f"missing field: {missing.args[0]}") from None
        except (TypeError, AttributeError):
            raise RecordError(_WRONG_SHAPE) from None
        except ValidationError as error:
            raise RecordError(_describe(error)) from None

        if existing is None:
            outcome = CREATED
        elif changed or any(changes for changes, _book in child_plans):
            outcome = UPDATED
        else:
            outcome = UNCHANGED

        def book() -> None:
            parent = self._book(model, key, existing, candidate, changed)
            for _changes, book_children in child_plans:
                book_children(parent)

        return outcome, book

    def _relations(self, kind: str, record: dict, values: dict[str, Any]) -> dict[str, Any]:
        """Return the rows the record of type ``kind`` points at, by relation name. A contract
        whose keeper is emptied gets ``keeper_id`` None in ``values``."""
        relations: dict[str, Any] = {}
        if kind in ("contract", "offer"):
            relations["firm"] = self.ref(PartnerFirm, "GRID", record["grid"])
            relations["policyholder"] = self.ref(
                Policyholder, "policyholder", record["policyholder_id"]
            )
        if kind == "contract" and record.get("keeper_id"):
            relations["keeper"] = self.ref(Policyholder, "keeper", record["keeper_id"])
        elif kind == "contract" and "keeper_id" in record:
            values["keeper_id"] = None  # the keeper is the policyholder again
        if kind == "offer" and record.get("policy_number"):
            relations["contract"] = self.ref(Contract, "policy", record["policy_number"])
        if kind in ("invoice", "payment", "mandate", "claim"):
            relations["contract"] = self.ref(Contract, "policy", record["policy_number"])
        if kind == "claim" and record.get("vehicle_id"):
            relations["vehicle"] = self.ref(Vehicle, "vehicle", record["vehicle_id"])
        if kind == "claim" and record.get("adjuster_id"):
            relations["adjuster"] = self.ref(Adjuster, "adjuster", record["adjuster_id"])
        return relations

    def _candidate(self, model, existing, lookup, values, relations):
        """Return the row as the record wants it (validated) and the attnames that differ."""
        if existing is not None and self._same(model, existing, values, relations):
            # The common case of a re-sent export: equal to what is stored (which was valid
            # when it was written), so there is nothing to validate or write.
            return existing, set()
        candidate = model(**lookup, **values, **relations)
        exclude = [f.name for f in model._meta.concrete_fields if f.is_relation]
        if existing is not None:
            candidate.pk = existing.pk
            candidate._state.adding = False  # so that unique checks see the row as itself
            for f in model._meta.concrete_fields:
                if f.attname not in values and f.name not in relations and f.attname not in lookup:
                    setattr(candidate, f.attname, getattr(existing, f.attname))
        # The references were resolved above and the natural key is known to be free; the
        # database itself holds the remaining constraints (see the module doc), which only a
        # thorough batch checks here too.
        candidate.full_clean(
            exclude=exclude, validate_unique=self.thorough, validate_constraints=self.thorough
        )
        if existing is None:
            return candidate, set(values) | set(relations)
        return candidate, _differences(candidate, existing, values, relations)

    @staticmethod
    def _same(model, existing, values, relations) -> bool:
        """Return whether ``values`` and ``relations`` equal what ``existing`` holds."""
        for name, obj in relations.items():
            if obj.pk is None or getattr(existing, f"{name}_id") != obj.pk:
                return False
        for name, value in values.items():
            try:
                typed = model._meta.get_field(name).to_python(value)
            except (ValidationError, TypeError, ValueError):
                return False  # the full check below says why
            if typed != getattr(existing, name):
                return False
        return True

    def _book(self, model, key, existing, candidate, changed):
        if existing is None:
            self.rows[model][key] = candidate
            self.new.setdefault(model, []).append(candidate)
            for spec in CHILDREN.get(model, []):
                self.children[(spec, id(candidate))] = {}
            return candidate
        if changed:
            for name in changed:
                field_obj = model._meta.get_field(name)
                setattr(existing, name, getattr(candidate, name))
                if field_obj.is_relation:
                    setattr(existing, field_obj.attname, getattr(candidate, field_obj.attname))
            if existing.pk is not None:
                _obj, fields = self.dirty.setdefault(model, {}).setdefault(
                    id(existing), (existing, set())
                )
                fields |= changed
        return existing

    def _plan_children(self, spec: _Children, parent, rows: list):
        """Plan making ``parent``'s children under ``spec`` equal to ``rows``."""
        current = self.children.get((spec, id(parent)), {}) if parent is not None else {}
        plans = []  # (key, existing child or None, candidate, changed)
        for row in rows:
            if not isinstance(row, dict):
                raise RecordError(f"{spec.record_field}: each entry is a JSON object")
            values = spec.to_values(self, row)
            relations = {k: values.pop(k) for k in list(values) if k == "vehicle"}
            key = _child_key(spec, values, relations)
            existing = current.get(key)
            try:
                candidate, changed = self._candidate(spec.model, existing, {}, values, relations)
            except ValidationError as error:
                raise RecordError(f"{spec.record_field}: {_describe(error)}") from None
            plans.append((key, existing, candidate, changed if existing is not None else True))
        wanted = {key for key, *_rest in plans}
        if len(wanted) != len(plans):
            raise RecordError(f"{spec.record_field}: the same entry appears twice")
        removed = [child for key, child in current.items() if key not in wanted]
        changes = bool(removed) or any(changed for *_r, changed in plans)

        def book(parent_obj) -> None:
            mapping = {}
            for key, existing, candidate, changed in plans:
                if existing is None:
                    setattr(candidate, spec.parent_field, parent_obj)
                    self.new.setdefault(spec.model, []).append(candidate)
                    mapping[key] = candidate
                else:
                    self._book(spec.model, None, existing, candidate, changed or set())
                    mapping[key] = existing
            for child in removed:
                if child.pk is not None:
                    self.child_delete.setdefault(spec.model, set()).add(child.pk)
                else:
                    self.new[spec.model].remove(child)
            self.children[(spec, id(parent_obj))] = mapping

        return changes, book

    # Writing -----------------------------------------------------------------------------
    def write(self) -> None:
        """Write everything booked: parents first, then children (deletions first)."""
        now = timezone.now()
        for model in WRITE_ORDER:
            self._write_model(model, now)
        for specs in CHILDREN.values():
            for spec in specs:
                doomed = self.child_delete.get(spec.model)
                if doomed:
                    for chunk in _batched(sorted(doomed), 500):
                        spec.model._default_manager.filter(pk__in=chunk).delete()
        for specs in CHILDREN.values():
            for spec in specs:
                self._write_model(spec.model, now)

    def _write_model(self, model, now) -> None:
        # bulk_update does not stamp auto_now fields, so the time is set here for both.
        stamped = any(f.name == _STAMP for f in model._meta.concrete_fields)
        new = self.new.get(model)
        if new:
            if stamped:
                for obj in new:
                    setattr(obj, _STAMP, now)
            model._default_manager.bulk_create(new, batch_size=500)
        dirty = self.dirty.get(model)
        if dirty:
            by_fields: dict[tuple[str, ...], list[models.Model]] = {}
            for obj, fields in dirty.values():
                if stamped:
                    setattr(obj, _STAMP, now)
                    fields = fields | {_STAMP}
                by_fields.setdefault(tuple(sorted(fields)), []).append(obj)
            for names, objs in by_fields.items():
                model._default_manager.bulk_update(objs, names, batch_size=500)


def _run(batch: list[tuple[int, Any]], *, thorough: bool = False) -> list[tuple[int, str, str]]:
    """Plan every record of ``batch``, then write what the valid ones book, in one transaction;
    return (number, outcome, reason) per record. Raises what the database refuses (the
    transaction is then rolled back whole)."""
    results: list[tuple[int, str, str]] = []
    with transaction.atomic():
        plan = _Batch([record for _n, record in batch], thorough=thorough)
        for number, record in batch:
            try:
                outcome, book = plan.plan(record)
            except RecordError as error:
                results.append((number, FAILED, str(error)))
                continue
            book()
            results.append((number, outcome, ""))
        plan.write()
    return results


def portfolio_record_import(record: Any) -> str:
    """Import one record, as a thorough batch of one in its own savepoint; return created,
    updated or unchanged.

    Raises ``RecordError`` with a readable reason; then the record wrote nothing.
    """
    try:
        [(_number, outcome, reason)] = _run([(0, record)], thorough=True)
    except (DatabaseError, ValueError, OverflowError) as error:
        # What the checks let through and the database refused (a value out of its range):
        # the savepoint is rolled back.
        raise RecordError(f"refused by the database: {error}".strip()[:300]) from None
    if outcome == FAILED:
        raise RecordError(reason)
    return outcome


def _import_batch(batch: list[tuple[int, Any]]) -> list[tuple[int, str, str]]:
    """Import one batch; return (number, outcome, reason) per record."""
    try:
        return _run(batch)
    except (DatabaseError, ValueError, OverflowError):
        pass  # refused by the database only: find the record, one savepoint each
    results = []
    for number, record in batch:
        try:
            results.append((number, portfolio_record_import(record), ""))
        except RecordError as error:
            results.append((number, FAILED, str(error)))
    return results


def portfolio_import(
    records: Iterable[tuple[int, Any]], *, batch_size: int = BATCH_SIZE
) -> ImportReport:
    """Import numbered records; return the counts per outcome, the failed numbers with their
    reasons and each record's result. Each record is applied or refused whole."""
    report = ImportReport()
    for batch in _batched(records, batch_size):
        for number, outcome, reason in _import_batch(batch):
            report.counts[outcome] += 1
            report.results.append((number, outcome, reason))
            if outcome == FAILED:
                report.errors.append((number, reason))
    return report
