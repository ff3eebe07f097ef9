"""API certificate requests: only destinations on file unless the client holds
certificates_dictated; params validated; a client bound to firms reaches only their contracts."""

import pytest

from certificates.models import CertificateRequest
from gratisz.api.models import Scope
from tests.factories import ContractFactory, PartnerFirmFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/certificate-requests/"


@pytest.fixture
def contract():
    return ContractFactory(policy_number="GFB-API-1")


def _body(**fields):
    return {"document_type": "policy_copy", "policy_number": "GFB-API-1", **fields}


def _post(http, body, language="en"):
    return http.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("read_back", [False, True])
def test_a_dictated_destination_is_refused_without_the_scope(make_client, contract, read_back):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    deliveries = [
        {"channel": "email", "destination": contract.policyholder.email},
        {"channel": "email", "destination": "attacker@example.com", "read_back": read_back},
    ]
    answer = _post(http, _body(deliveries=deliveries))
    assert answer.status_code == 403
    assert answer.json()["code"] == "destination_not_on_file"
    assert answer.json()["details"] == {"deliveries": {"index": 1}}
    assert not CertificateRequest.objects.exists()


def test_the_refusal_is_hungarian_by_default(make_client, contract):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    deliveries = [{"channel": "fax", "destination": "+36 1 999 9999", "read_back": True}]
    answer = _post(http, _body(deliveries=deliveries), language="hu")
    assert answer.status_code == 403
    assert "nyilvántartott" in answer.json()["message"]


@pytest.mark.parametrize("which", ["policyholder", "firm", "empty"])
def test_destinations_on_file_are_delivered_without_the_scope(make_client, contract, which):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    destination = {
        "policyholder": contract.policyholder.email.upper(),
        "firm": contract.firm.email,
        "empty": "",
    }[which]
    answer = _post(http, _body(deliveries=[{"channel": "email", "destination": destination}]))
    assert answer.status_code == 201, answer.json()


def test_the_dictated_scope_allows_a_read_back_destination(make_client, contract):
    _i, _t, http = make_client(Scope.CERTIFICATES, Scope.CERTIFICATES_DICTATED)
    dictated = [{"channel": "email", "destination": "uj@example.com"}]
    answer = _post(http, _body(deliveries=dictated))
    assert answer.status_code == 400  # still read back first, as on the desk
    assert "read back" in " ".join(answer.json()["details"]["deliveries"])
    answer = _post(http, _body(deliveries=[{**dictated[0], "read_back": True}]))
    assert answer.status_code == 201, answer.json()


@pytest.mark.parametrize(
    ("document_type", "params", "message"),
    [
        ("policy_copy", {"invoice_id": "2026-01-01"}, "Unknown parameter"),
        ("coverage", {"period_from": "2026-01-01", "colour": "2026-01-01"}, "colour"),
        ("green_card", {"period_from": "2026-01-01"}, "period_from"),
        ("coverage", {"period_from": "x" * 5000}, "Date has wrong format"),
        ("coverage", {"period_from": {"nested": 1}}, "Date has wrong format"),
    ],
    ids=["internal key", "unknown key", "other document's key", "huge value", "nested value"],
)
def test_params_are_validated(make_client, contract, document_type, params, message):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    answer = _post(http, _body(document_type=document_type, params=params))
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert message in str(body["details"]["params"])
    assert len(answer.content) < 2000  # the refusal does not echo a huge value back
    assert not CertificateRequest.objects.exists()


def test_known_params_are_accepted(make_client):
    ContractFactory(policy_number="GFB-API-2")
    _i, _t, http = make_client(Scope.CERTIFICATES)
    params = {"valid_from": "2026-12-10", "valid_until": "2027-01-31"}
    answer = _post(
        http, _body(document_type="green_card", policy_number="GFB-API-2", params=params)
    )
    if answer.status_code == 400:  # the demo contract may not be eligible for a green card
        assert "params" not in answer.json()["details"]
    else:
        assert answer.status_code == 201
        stored = CertificateRequest.objects.get()
        assert stored.params["valid_from"] == "2026-12-10"


def test_too_many_deliveries_are_refused(make_client, contract):
    _i, _t, http = make_client(Scope.CERTIFICATES)
    deliveries = [{"channel": "post"}] * 6
    answer = _post(http, _body(deliveries=deliveries))
    assert answer.status_code == 400
    assert "deliveries" in answer.json()["details"]


def test_a_client_bound_to_firms_reaches_only_their_contracts(make_client, contract):
    other = ContractFactory(policy_number="GFB-API-3", firm=PartnerFirmFactory(grid="999999990"))
    integration, _t, http = make_client(Scope.CERTIFICATES)
    integration.firms.set([contract.firm])
    assert _post(http, _body()).status_code == 201
    answer = _post(http, _body(policy_number=other.policy_number))
    assert answer.status_code == 400
    # The same answer as for a contract that does not exist: nothing tells it is there.
    assert answer.json()["details"] == {"policy_number": ["No such contract."]}
    assert CertificateRequest.objects.filter(contract=other).count() == 0


def test_an_unbound_client_reaches_every_firms_contracts(make_client, contract):
    other = ContractFactory(policy_number="GFB-API-3", firm=PartnerFirmFactory(grid="999999990"))
    _i, _t, http = make_client(Scope.CERTIFICATES)
    assert _post(http, _body(policy_number=other.policy_number)).status_code == 201
