import json

import pytest
from django.core.management import CommandError, call_command

from claims.models import Claim
from partners.models import Contract, PartnerFirm

pytestmark = pytest.mark.django_db

RECORDS = [
    {
        "type": "firm",
        "grid": "123456789",
        "name": "Import Alkusz Kft.",
        "kind": "broker",
        "email": "iroda@import.example.hu",
        "postal_code": "1051",
        "city": "Budapest",
        "address_line": "Nádor utca 9.",
    },
    {
        "type": "policyholder",
        "id": "U1",
        "kind": "person",
        "name": "Gipsz Jakab",
        "birth_date": "1970-01-31",
        "postal_code": "9021",
        "city": "Győr",
        "address_line": "Baross út 3.",
    },
    {
        "type": "vehicle",
        "id": "V1",
        "plate": "ABC-123",
        "chassis_number": "VF1AAAAA123456789",
        "make": "Renault",
        "model": "Clio",
        "category": "A",
    },
    {
        "type": "adjuster",
        "id": "A1",
        "name": "Kárszakértő Kálmán",
        "phone": "+36 1 555 0000",
        "email": "kalman@example.hu",
    },
    {
        "type": "contract",
        "policy_number": "GFB-100",
        "grid": "123456789",
        "policyholder_id": "U1",
        "product": "gfb",
        "status": "active",
        "start_date": "2024-01-01",
        "annual_premium": 52000,
        "payment_frequency": "quarterly",
        "payment_method": "bank_transfer",
        "bonus_malus_class": "B02",
        "vehicles": [{"id": "V1", "insured_from": "2024-01-01"}],
        "bonus_malus_history": [
            {"period_start": "2024-01-01", "period_end": "2024-12-31", "class": "B01"}
        ],
    },
    {
        "type": "invoice",
        "number": "SZ-1",
        "policy_number": "GFB-100",
        "issued_on": "2024-01-01",
        "due_on": "2024-01-15",
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
        "amount": 13000,
    },
    {
        "type": "payment",
        "id": "P1",
        "policy_number": "GFB-100",
        "paid_on": "2024-01-10",
        "amount": 13000,
        "method": "bank_transfer",
    },
    {
        "type": "mandate",
        "id": "M1",
        "policy_number": "GFB-100",
        "identifier": "GFB-100",
        "payer_name": "Gipsz Jakab",
        "account_number": "11773016-12345678-00000000",
        "status": "rejected",
        "start_date": "2024-01-01",
        "problem": "identifier_mismatch",
    },
    {
        "type": "claim",
        "claim_number": "2024123",
        "policy_number": "GFB-100",
        "vehicle_id": "V1",
        "adjuster_id": "A1",
        "cover": "liability",
        "event_date": "2024-05-01",
        "reported_on": "2024-05-02",
        "status": "paid",
        "status_changed_at": "2024-06-01T10:00:00+02:00",
        "status_history": [
            {"status": "reported", "changed_at": "2024-05-02T09:00:00+02:00"},
            {"status": "paid", "changed_at": "2024-06-01T10:00:00+02:00"},
        ],
        "missing_documents": [
            {
                "description": "Rendőrségi jegyzőkönyv",
                "requested_on": "2024-05-02",
                "received_on": "2024-05-20",
            }
        ],
        "payments": [
            {"id": "KP1", "paid_on": "2024-06-01", "amount": 250000, "cover": "liability"}
        ],
    },
]


def write(tmp_path, lines, name="export.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(path, capsys):
    try:
        call_command("import_portfolio", path)
        failed = None
    except CommandError as error:
        failed = str(error)
    out = capsys.readouterr()
    return out.out, out.err, failed


def test_import_creates_everything_and_a_rerun_changes_nothing(tmp_path, capsys):
    path = write(tmp_path, [json.dumps(r, ensure_ascii=False) for r in RECORDS])
    out, err, failed = run(path, capsys)
    assert failed is None, err
    assert "created 9" in out
    contract = Contract.objects.get(policy_number="GFB-100")
    assert contract.firm.grid == "123456789"
    assert [v.plate for v in contract.vehicles.all()] == ["ABC-123"]
    claim = Claim.objects.get(claim_number="2024123")
    assert claim.payments.get().amount == 250000
    assert claim.status_history.count() == 2
    stamp = contract.updated_at

    out, err, failed = run(path, capsys)
    assert failed is None
    assert "created 0, updated 0, unchanged 9, failed 0" in out
    contract.refresh_from_db()
    assert contract.updated_at == stamp


def test_changed_record_updates_only_what_differs(tmp_path, capsys):
    run(write(tmp_path, [json.dumps(r) for r in RECORDS]), capsys)
    changed = dict(RECORDS[-1], status="closed", payments=[])
    out, _err, failed = run(write(tmp_path, [json.dumps(changed)], "b.jsonl"), capsys)
    assert failed is None
    assert "updated 1" in out
    claim = Claim.objects.get(claim_number="2024123")
    assert claim.status == "closed"
    assert not claim.payments.exists()


def test_bad_lines_are_reported_by_number_and_the_good_ones_land(tmp_path, capsys):
    bad_contract = dict(RECORDS[4], policy_number="GFB-BAD", grid="999999999")
    bad_claim = dict(RECORDS[-1], claim_number="2024999", event_date="2024-13-45")
    lines = [
        json.dumps(RECORDS[0]),
        "{not json",
        json.dumps({"type": "firm", "grid": "12345", "name": "Rossz", "kind": "broker"}),
        json.dumps(RECORDS[1]),
        json.dumps(RECORDS[2]),
        json.dumps(bad_contract),
        json.dumps(RECORDS[4]),
        json.dumps({"type": "spaceship"}),
        json.dumps(RECORDS[3]),
        json.dumps(bad_claim),
        json.dumps({"type": "vehicle", "plate": "X"}),
    ]
    out, err, failed = run(write(tmp_path, lines), capsys)
    assert failed and "6 line(s) failed" in failed
    assert "line 2: not valid JSON" in err
    assert "line 3: grid:" in err
    assert "line 6: unknown GRID: 999999999" in err
    assert "line 8: unknown type: 'spaceship'" in err
    assert "line 10: event_date:" in err
    assert "line 11: missing field: id" in err
    assert "created 5" in out
    assert not PartnerFirm.objects.filter(grid="12345").exists()
    assert not Contract.objects.filter(policy_number="GFB-BAD").exists()
    assert Contract.objects.filter(policy_number="GFB-100").exists()


def test_a_failing_child_leaves_no_half_written_contract(tmp_path, capsys):
    run(write(tmp_path, [json.dumps(r) for r in RECORDS[:4]]), capsys)
    broken = dict(
        RECORDS[4],
        vehicles=[
            {"id": "V1", "insured_from": "2024-01-01"},
            {"id": "NOPE", "insured_from": "2024-01-01"},
        ],
    )
    _out, err, failed = run(write(tmp_path, [json.dumps(broken)], "c.jsonl"), capsys)
    assert failed
    assert "unknown vehicle: NOPE" in err
    assert not Contract.objects.filter(policy_number="GFB-100").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_portfolio", str(tmp_path / "nope.jsonl"))


def test_a_contract_names_its_keeper_and_a_company_its_registration_number(tmp_path, capsys):
    keeper = {
        "type": "policyholder",
        "id": "U2",
        "kind": "company",
        "name": "Flotta Bérlő Kft.",
        "tax_number": "12345678-2-41",
        "registration_number": "01-09-123456",
        "postal_code": "1139",
        "city": "Budapest",
        "address_line": "Váci út 81.",
    }
    contract = dict(RECORDS[4], keeper_id="U2")
    records = [*RECORDS[:4], keeper, contract]
    out, err, failed = run(write(tmp_path, [json.dumps(r) for r in records]), capsys)
    assert failed is None, err
    stored = Contract.objects.get(policy_number="GFB-100")
    assert stored.keeper.name == "Flotta Bérlő Kft."
    assert stored.keeper.registration_number == "01-09-123456"
    out, _err, _failed = run(write(tmp_path, [json.dumps(contract)], "b.jsonl"), capsys)
    assert "unchanged 1" in out
    # The keeper is the policyholder again.
    again = dict(contract, keeper_id=None)
    out, _err, failed = run(write(tmp_path, [json.dumps(again)], "c.jsonl"), capsys)
    assert failed is None and "updated 1" in out
    assert Contract.objects.get(policy_number="GFB-100").keeper is None
