"""The core systems' sync: bulk, idempotent, per-record results, no half-written record."""

import copy

import pytest

from claims.models import Claim
from gratisz.api.models import Scope
from partners.models import Contract, PartnerFirm, Vehicle
from tests.gratisz.test_import_portfolio import RECORDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def sync(make_client):
    _integration, _token, http = make_client(Scope.SYNC)

    def send(records):
        answer = http.post("/api/v1/sync/", {"records": records}, format="json")
        assert answer.status_code == 200, answer.content
        return answer.json()

    return send


def test_a_batch_creates_everything_and_resending_it_changes_nothing(
    sync, django_assert_max_num_queries
):
    first = sync(RECORDS)
    assert first["counts"] == {"created": 9, "updated": 0, "unchanged": 0, "failed": 0}
    assert [r["outcome"] for r in first["results"]] == ["created"] * 9
    contract = Contract.objects.get(policy_number="GFB-100")
    assert [v.plate for v in contract.vehicles.all()] == ["ABC-123"]
    assert Claim.objects.get(claim_number="2024123").payments.get().amount == 250000
    stamp = contract.updated_at

    # The re-run reads each model once per batch and writes nothing.
    with django_assert_max_num_queries(25):
        again = sync(RECORDS)
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 9, "failed": 0}
    contract.refresh_from_db()
    assert contract.updated_at == stamp


def test_results_say_which_records_failed_and_why_and_the_rest_land(sync):
    records = [
        RECORDS[0],
        {"type": "firm", "grid": "12345", "name": "Rossz", "kind": "broker"},
        RECORDS[1],
        RECORDS[2],
        dict(RECORDS[4], policy_number="GFB-BAD", grid="999999999"),
        RECORDS[4],
        {"type": "spaceship"},
        "not an object",
        {"type": "vehicle", "plate": "X"},
        dict(RECORDS[4], policy_number="GFB-NUL", risk_address="a\x00b"),
        dict(RECORDS[4], policy_number="GFB-SHAPE", vehicles=5),
    ]
    body = sync(records)
    failed = {r["index"]: r["error"] for r in body["results"] if r["outcome"] == "failed"}
    assert set(failed) == {1, 4, 6, 7, 8, 9, 10}
    assert failed[1].startswith("grid:")
    assert failed[4] == "unknown GRID: 999999999"
    assert failed[6].startswith("unknown type: 'spaceship'")
    assert failed[7] == "a record is a JSON object"
    assert failed[8] == "missing field: id"
    assert "NUL" in failed[9]
    assert failed[10].startswith("a field has the wrong shape")
    assert body["counts"]["created"] == 4
    assert Contract.objects.filter(policy_number="GFB-100").exists()
    assert not Contract.objects.filter(
        policy_number__in=["GFB-BAD", "GFB-NUL", "GFB-SHAPE"]
    ).exists()
    assert not PartnerFirm.objects.filter(grid="12345").exists()


def test_a_record_with_a_bad_child_writes_nothing_of_itself(sync):
    sync(RECORDS[:4])
    broken = dict(
        RECORDS[4],
        vehicles=[
            {"id": "V1", "insured_from": "2024-01-01"},
            {"id": "NOPE", "insured_from": "2024-01-01"},
        ],
    )
    body = sync([broken])
    assert body["results"][0] == {
        "index": 0,
        "outcome": "failed",
        "error": "unknown vehicle: NOPE",
    }
    assert not Contract.objects.filter(policy_number="GFB-100").exists()


def test_a_change_updates_only_that_record_and_its_children(sync):
    sync(RECORDS)
    contract = Contract.objects.get(policy_number="GFB-100")
    stamp = contract.updated_at
    claim = copy.deepcopy(RECORDS[-1])
    claim.update(status="closed", payments=[])
    claim["missing_documents"][0]["received_on"] = None
    renamed = dict(RECORDS[2], plate="XYZ-999")
    body = sync([renamed, RECORDS[4], claim])
    assert [r["outcome"] for r in body["results"]] == ["updated", "unchanged", "updated"]
    stored = Claim.objects.get(claim_number="2024123")
    assert stored.status == "closed"
    assert not stored.payments.exists()
    assert stored.missing_documents.get().received_on is None
    assert Vehicle.objects.get(external_id="V1").plate == "XYZ-999"
    contract.refresh_from_db()
    assert contract.updated_at == stamp


def test_a_record_changed_twice_in_one_batch_ends_as_the_last_says(sync):
    firm = RECORDS[0]
    body = sync([firm, dict(firm, name="Új Név Kft."), dict(firm, name="Végső Név Kft.")])
    assert [r["outcome"] for r in body["results"]] == ["created", "updated", "updated"]
    assert PartnerFirm.objects.get(grid=firm["grid"]).name == "Végső Név Kft."


def test_a_rule_only_the_database_checks_refuses_that_record_alone(sync):
    # Motor liability is the only product with a bonus-malus class: a database constraint.
    sync(RECORDS[:4])
    bad = dict(RECORDS[4], policy_number="HOME-1", product="home", vehicles=[])
    bad.pop("bonus_malus_history")
    body = sync([RECORDS[4], bad])
    assert [r["outcome"] for r in body["results"]] == ["created", "failed"]
    assert "bonus_malus_only_for_gfb" in body["results"][1]["error"]
    assert Contract.objects.filter(policy_number="GFB-100").exists()
    assert not Contract.objects.filter(policy_number="HOME-1").exists()


def test_a_constraint_across_rows_refuses_the_record_that_breaks_it_and_the_rest_land(sync):
    # A claim payment's core-system id is unique across all claims: the database refuses the
    # batch, which then runs again record by record.
    sync(RECORDS)
    thief = dict(copy.deepcopy(RECORDS[-1]), claim_number="2024124")  # carries KP1 too
    renamed = dict(RECORDS[2], plate="XYZ-999")
    honest = dict(thief, claim_number="2024125", payments=[])
    body = sync([renamed, thief, honest])
    assert [r["outcome"] for r in body["results"]] == ["updated", "failed", "created"]
    assert body["results"][1]["error"].startswith("payments: external_id:")
    assert Vehicle.objects.get(external_id="V1").plate == "XYZ-999"
    assert Claim.objects.filter(claim_number="2024125").exists()
    assert not Claim.objects.filter(claim_number="2024124").exists()
    assert Claim.objects.get(claim_number="2024123").payments.get().external_id == "KP1"

    again = sync([renamed, thief, honest])
    assert [r["outcome"] for r in again["results"]] == ["unchanged", "failed", "unchanged"]
    assert again["results"][1]["error"] == body["results"][1]["error"]


def test_too_many_records_are_refused_whole(sync, make_client, settings):
    settings.API_SYNC_MAX_RECORDS = 2
    _i, _t, http = make_client(Scope.SYNC, name="big")
    answer = http.post("/api/v1/sync/", {"records": RECORDS[:3]}, format="json")
    assert answer.status_code == 413
    assert answer.json()["code"] == "batch_too_large"
    assert answer.json()["details"] == {"max_records": 2, "sent": 3}
    assert not PartnerFirm.objects.exists()
