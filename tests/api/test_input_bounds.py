"""The API's boundary: the documented batch is accepted, what is larger or odd is a 4xx in the
API's error format, never a 500."""

import json

import pytest
from django.conf import settings

from gratisz.api.models import Scope

pytestmark = pytest.mark.django_db


def realistic_records(count: int) -> list[dict]:
    """Policyholders, vehicles and contracts , as the
    core systems send them (ten years of history): about 800 bytes a record."""
    records: list[dict] = []
    for i in range(count // 3):
        records.append(
            {
                "type": "policyholder",
                "id": f"U{i}",
                "kind": "person",
                "name": f"dr. Teszt-Ügyfélné Kovács Erzsébet Katalin Mária {i}",
                "birth_date": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
                "mothers_name": "Minta-Szőllősi Mária Magdolna Terézia",
                "tax_number": f"8{i:09d}",
                "postal_code": f"{1000 + i % 8000}",
                "city": "Székesfehérvár",
                "address_line": (
                    f"Szent István király körút {i % 200 + 1}. B épület, 3. lépcsőház, "
                    "3. emelet 12. ajtó (kapucsengő: Ügyfél)"
                ),
                "email": f"teszt.ugyfelne.kovacs.erzsebet.{i}@levelezes.example.hu",
                "phone": "+36 30 123 4567",
            }
        )
        records.append(
            {
                "type": "vehicle",
                "id": f"V{i}",
                "plate": f"B{i % 1000:03d}-{i // 1000:03d}",
                "chassis_number": f"VF1BENCH{i:09d}",
                "make": "Renault",
                "model": "Clio Grandtour 1.5 dCi Energy Limited, 5 ajtós kombi",
                "category": "A",
                "first_registration_year": 2015 + i % 10,
            }
        )
        records.append(
            {
                "type": "contract",
                "policy_number": f"GFB-{i:07d}",
                "grid": "700000000",
                "policyholder_id": f"U{i}",
                "product": "gfb",
                "status": "active",
                "start_date": "2015-01-01",
                "annual_premium": 40_000 + i % 30_000,
                "payment_frequency": "quarterly",
                "payment_method": "bank_transfer",
                "bonus_malus_class": "B10",
                "risk_address": f"8000 Székesfehérvár, Szent István király körút {i % 200 + 1}.",
                "vehicles": [{"id": f"V{i}", "insured_from": "2015-01-01"}],
                "bonus_malus_history": [
                    {
                        "period_start": f"{year}-01-01",
                        "period_end": f"{year}-12-31",
                        "class": f"B{min(year - 2014, 10):02d}",
                        "claims_paid": 0,
                    }
                    for year in range(2015, 2026)
                ],
            }
        )
    return records


@pytest.fixture
def sync_client(make_client):
    _integration, _token, http = make_client(Scope.SYNC)
    return http


def test_the_documented_batch_size_is_accepted(sync_client):
    """4,000 realistic records (3 MiB, under the documented 5,000) are one request."""
    firm = {"type": "firm", "grid": "700000000", "name": "Teszt Alkusz Kft.", "kind": "broker"}
    body = json.dumps({"records": [firm, *realistic_records(3999)]})
    assert len(body) > 3 * 1024 * 1024 > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    answer = sync_client.post("/api/v1/sync/", body, content_type="application/json")
    assert answer.status_code == 200, answer.content[:500]
    assert answer.json()["counts"]["failed"] == 0


def test_a_larger_body_is_413_in_the_api_error_format(sync_client, settings):
    settings.API_SYNC_MAX_BODY_BYTES = 1024 * 1024
    body = json.dumps({"records": realistic_records(3000)})
    answer = sync_client.post(
        "/api/v1/sync/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"
    assert answer.json()["details"] == {"max_bytes": 1024 * 1024}


def test_json_nested_100000_deep_is_a_400(sync_client):
    body = "[" * 100_000 + "]" * 100_000
    answer = sync_client.post("/api/v1/sync/", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "query",
    [
        "date_from=0001-01-01",
        "date_to=9999-12-31",
        "date_from=２０２６-１１-２７",
        "cursor=2026-11-27T10:00:00%2B01:00~99999999999999999999999",
        "cursor=9999-12-31T23:59:59-14:00~1",
        "cursor=0001-01-01T00:00:00%2B14:00~1",
        "cursor=x~١٢٣",
    ],
)
def test_reporting_filters_and_cursors_at_the_ends_of_the_calendar(make_client, query):
    _integration, _token, http = make_client(Scope.REPORTING)
    answer = http.get(f"/api/v1/calls/?{query}")
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 400:
        assert answer.json()["code"] == "invalid"


def test_cti_refuses_non_ascii_digits_and_calendar_ends(make_client):
    _integration, _token, http = make_client(Scope.CTI)
    for event in (
        {"call_id": "pbx-1", "event": "started", "at": "9999-12-31T23:59:59-14:00"},
        {"call_id": "pbx-1", "event": "started", "at": "2026-11-27T10:00:00+01:00", "attempt": "²"},
    ):
        answer = http.post("/api/v1/cti/events/", event, format="json")
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == "invalid"
