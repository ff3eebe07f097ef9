"""Every endpoint's answer has exactly the fields, types and nullability that the published
schema (gratisz/api/openapi.yaml) says, on success and on refusal: the views render through the
serializers that generate the schema, and this holds them to it.

schemathesis (test_schema.py) sends random requests, which are mostly refused; here each
endpoint is called so that it succeeds, with the optional parts present and absent."""

import datetime

import pytest
import yaml
from django.utils import timezone

from calls.models import CallTicket
from calls.review.services import call_log_refresh
from gratisz.api.models import Scope
from partners.models import DirektCode
from tests.api.test_schema import SCHEMA_FILE
from tests.factories import ContractFactory, PartnerFirmFactory, set_direkt_code
from tests.gratisz.test_import_portfolio import RECORDS

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())
SCALARS: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def _resolve(schema: dict) -> dict:
    while "$ref" in schema or ("allOf" in schema and len(schema["allOf"]) == 1):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = {**SCHEMA["components"]["schemas"][name], **schema}
            del schema["$ref"]
        else:
            schema = {**_resolve(schema.pop("allOf")[0]), **schema}
    return schema


def conforms(value, schema: dict, where: str = "body") -> list[str]:
    """Return what in ``value`` the schema does not allow: a missing or undocumented field, a
    wrong type, a null where none is allowed, a value outside an enum, an unreadable date."""
    schema = _resolve(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null"]
    kind = schema.get("type", "object")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        if "properties" not in schema:  # a free-form dict (additionalProperties)
            return []
        fields = {k: s for k, s in schema["properties"].items() if not s.get("writeOnly")}
        problems = [f"{where}.{k}: not in the schema" for k in value.keys() - fields.keys()]
        problems += [f"{where}.{k}: missing" for k in fields.keys() - value.keys()]
        for key in sorted(value.keys() & fields.keys()):
            problems += conforms(value[key], fields[key], f"{where}.{key}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: not an array"]
        return [
            p
            for i, item in enumerate(value)
            for p in conforms(item, schema["items"], f"{where}.{i}")
        ]
    expected = SCALARS[kind]
    if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if schema.get("format") == "date-time":
        try:
            datetime.datetime.fromisoformat(str(value))
        except ValueError:
            return [f"{where}: {value!r} is not an ISO date-time"]
    return []


def response_schema(path: str, method: str, status: int) -> dict:
    responses = SCHEMA["paths"][path][method]["responses"]
    return responses[str(status)]["content"]["application/json"]["schema"]


# The endpoints each test below calls, recorded when the module is read (not in test order).
CHECKED: set[tuple[str, str]] = set()


def checks(*endpoints: tuple[str, str]):
    CHECKED.update(endpoints)
    return lambda test: test


def assert_conforms(answer, path: str, method: str, status: int) -> dict:
    assert answer.status_code == status, answer.content
    body = answer.json()
    assert conforms(body, response_schema(path, method, status)) == []
    return body


def test_the_checker_finds_an_undocumented_a_missing_and_a_mistyped_field():
    schema = response_schema("/api/v1/client/", "get", 200)
    assert conforms({"name": "x", "scopes": ["sync"]}, schema) == []
    assert conforms({"name": "x", "scopes": ["sync"], "secret": 1}, schema) == [
        "body.secret: not in the schema"
    ]
    assert conforms({"name": "x"}, schema) == ["body.scopes: missing"]
    assert conforms({"name": None, "scopes": ["nope", 1]}, schema) == [
        "body.name: null",
        f"body.scopes.0: 'nope' not in {[s.value for s in Scope]}",
        "body.scopes.1: 1 is not string",
    ]


@checks(("/api/v1/client/", "get"))
def test_client(make_client):
    _i, _t, http = make_client(Scope.SYNC, Scope.REPORTING)
    assert_conforms(http.get("/api/v1/client/"), "/api/v1/client/", "get", 200)


def test_refusals_have_the_error_shape(make_client):
    _i, _t, http = make_client()
    for answer, status in [
        (http.get("/api/v1/calls/"), 403),
        (http.post("/api/v1/sync/", {"records": "x"}, format="json"), 403),
    ]:
        assert_conforms(
            answer, answer.request["PATH_INFO"], answer.request["REQUEST_METHOD"].lower(), status
        )
    _i, _t, http = make_client(Scope.REPORTING)
    assert_conforms(http.get("/api/v1/calls/", {"size": 0}), "/api/v1/calls/", "get", 400)


@checks(("/api/v1/sync/", "post"))
def test_sync(make_client):
    _i, _t, http = make_client(Scope.SYNC)
    records = [*RECORDS, {"type": "contract", "policy_number": "X"}]
    body = assert_conforms(
        http.post("/api/v1/sync/", {"records": records}, format="json"),
        "/api/v1/sync/",
        "post",
        200,
    )
    assert body["counts"]["failed"] == 1
    assert body["results"][-1]["error"]


@checks(("/api/v1/certificate-requests/", "post"), ("/api/v1/certificate-requests/{id}/", "get"))
def test_certificate_requests(make_client):
    contract = ContractFactory(policy_number="GFB-SCHEMA-1")
    _i, _t, http = make_client(Scope.CERTIFICATES)
    made = assert_conforms(
        http.post(
            "/api/v1/certificate-requests/",
            {"document_type": "damage_history", "policy_number": contract.policy_number},
            format="json",
        ),
        "/api/v1/certificate-requests/",
        "post",
        201,
    )
    assert made["deliveries"]
    read = assert_conforms(
        http.get(f"/api/v1/certificate-requests/{made['id']}/"),
        "/api/v1/certificate-requests/{id}/",
        "get",
        200,
    )
    assert read == made
    assert_conforms(
        http.get("/api/v1/certificate-requests/999999/"),
        "/api/v1/certificate-requests/{id}/",
        "get",
        404,
    )


@checks(("/api/v1/calls/", "get"))
def test_calls(make_client):
    firm = PartnerFirmFactory(grid="111222333")
    tickets = [
        CallTicket.objects.create(
            call_sid=f"CA{n:032d}",
            state=CallTicket.State.COMPLETED,
            menu="1",
            grid_entered=firm.grid,
            firm=firm if n else None,  # one unverified call: no firm
            verified_at=timezone.now() if n else None,
        )
        for n in range(2)
    ]
    call_log_refresh(ticket_ids=[t.pk for t in tickets])
    _i, _t, http = make_client(Scope.REPORTING)
    body = assert_conforms(http.get("/api/v1/calls/", {"size": 1}), "/api/v1/calls/", "get", 200)
    body = assert_conforms(
        http.get("/api/v1/calls/", {"size": 1, "cursor": body["next_cursor"]}),
        "/api/v1/calls/",
        "get",
        200,
    )
    assert len(body["results"]) == 1


@checks(("/api/v1/cti/events/", "post"))
def test_cti_events(make_client, settings):
    settings.DIREKT_THROTTLE_FACTOR = 0
    firm = PartnerFirmFactory(grid="112233445")
    set_direkt_code(firm, "8642", DirektCode.Role.STAFF)
    _i, _t, http = make_client(Scope.CTI)
    at = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC).isoformat()
    url = "/api/v1/cti/events/"
    assert_conforms(
        http.post(url, {"call_id": "1.1", "event": "started", "at": at}, format="json"),
        url,
        "post",
        200,
    )
    body = assert_conforms(
        http.post(
            url,
            {
                "call_id": "1.1",
                "event": "identified",
                "at": at,
                "menu": "1",
                "grid": firm.grid,
                "direkt_code": "1111",
            },
            format="json",
        ),
        url,
        "post",
        200,
    )
    assert body["result"] == "failed"
    assert body["attempts_left"] == 1


def test_every_documented_endpoint_is_checked_here():
    """A new endpoint needs its test here."""
    documented = {
        (path, method)
        for path, operations in SCHEMA["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented - CHECKED == set()
