"""Certificate requests through the API: made by certificates' own service, each client sees only
its own."""

import pytest

from certificates.models import CertificateRequest
from gratisz.api.models import Scope
from tests.factories import ContractFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/certificate-requests/"


@pytest.fixture
def contract():
    return ContractFactory(policy_number="GFB-API-1")


def test_a_request_to_the_address_on_file_is_queued_and_readable(make_client, contract):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    email = contract.policyholder.email
    answer = http.post(
        URL,
        {
            "document_type": "damage_history",
            "policy_number": "GFB-API-1",
            "deliveries": [{"channel": "email", "destination": email}],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["policy_number"] == "GFB-API-1"
    assert body["certificate_number"] is None
    assert body["deliveries"] == [
        {
            "channel": "email",
            "destination": email,
            "state": "queued",
            "attempts": 0,
            "sent_at": None,
            "last_error": "",
        }
    ]
    stored = CertificateRequest.objects.get(pk=body["id"])
    assert stored.requested_by is None
    assert http.get(f"{URL}{body['id']}/").json() == body


def test_without_deliveries_the_document_goes_by_post_to_the_policyholder(make_client, contract):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    answer = http.post(
        URL, {"document_type": "policy_copy", "policy_number": "GFB-API-1"}, format="json"
    )
    assert answer.status_code == 201
    [delivery] = answer.json()["deliveries"]
    assert delivery["channel"] == "post"
    assert delivery["destination"] == contract.policyholder.postal_address


def test_another_client_cannot_see_the_request(make_client, contract):
    _i, _t, maker = make_client(Scope.CERTIFICATES, name="portal")
    _j, _u, other = make_client(Scope.CERTIFICATES, name="other")
    made = maker.post(
        URL, {"document_type": "policy_copy", "policy_number": "GFB-API-1"}, format="json"
    ).json()
    answer = other.get(f"{URL}{made['id']}/")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"document_type": "coverage", "policy_number": "NOPE"}, "policy_number", "No such"),
        (
            {"document_type": "invoice_copy", "policy_number": "GFB-API-1", "invoice_number": "X"},
            "invoice_number",
            "No such invoice",
        ),
        (
            {"document_type": "damage_history", "policy_number": "HOME-API-1"},
            "document_type",
            "only for motor liability",
        ),
    ],
    ids=["unknown contract", "unknown invoice", "not eligible"],
)
def test_refusals_name_the_field_and_save_nothing(make_client, contract, body, field, reason):
    ContractFactory(policy_number="HOME-API-1", product="home")
    InvoiceFactory()  # an invoice of another contract
    _i, _t, http = make_client(Scope.CERTIFICATES)
    answer = http.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert reason in " ".join(answer.json()["details"][field])
    assert not CertificateRequest.objects.exists()
