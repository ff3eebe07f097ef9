"""Every endpoint refuses a missing, wrong or revoked token and a client without its scope."""

import pytest
from rest_framework.test import APIClient

from gratisz.api.models import ApiClient, Scope
from gratisz.api.services import api_client_revoke

pytestmark = pytest.mark.django_db

# (method, path, body, scope the endpoint requires; None: any valid token)
ENDPOINTS: list[tuple[str, str, dict | None, str | None]] = [
    ("get", "/api/v1/client/", None, None),
    ("post", "/api/v1/sync/", {"records": []}, Scope.SYNC),
    (
        "post",
        "/api/v1/certificate-requests/",
        {"document_type": "coverage", "policy_number": "NOPE"},
        Scope.CERTIFICATES,
    ),
    ("get", "/api/v1/certificate-requests/1/", None, Scope.CERTIFICATES),
    ("get", "/api/v1/calls/", None, Scope.REPORTING),
    (
        "post",
        "/api/v1/cti/events/",
        {"call_id": "perm.1", "event": "started", "at": "2026-11-27T10:00:00+01:00"},
        Scope.CTI,
    ),
]
IDS = [f"{m} {p}" for m, p, _b, _s in ENDPOINTS]


def call(http, method, path, body):
    return (
        getattr(http, method)(path, body, format="json")
        if body is not None
        else getattr(http, method)(path)
    )


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
def test_no_token_is_401_with_the_bearer_challenge(method, path, body, scope):
    answer = call(APIClient(), method, path, body)
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert answer["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
def test_wrong_token_is_401(method, path, body, scope, make_client, all_scopes):
    make_client(*all_scopes)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Bearer gtz_this-is-not-a-token")
    answer = call(http, method, path, body)
    assert answer.status_code == 401
    assert answer.json()["code"] == "token_invalid"


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
def test_revoked_token_is_401(method, path, body, scope, make_client, all_scopes):
    integration, _token, http = make_client(*all_scopes)
    api_client_revoke(client=integration)
    answer = call(http, method, path, body)
    assert answer.status_code == 401
    assert answer.json()["code"] == "token_revoked"


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("held", [s.value for s in Scope])
def test_each_scope_opens_only_its_endpoints(method, path, body, scope, held, make_client):
    _integration, _token, http = make_client(held)
    answer = call(http, method, path, body)
    if scope is None or scope == held:
        assert answer.status_code not in (401, 403), answer.json()
    else:
        assert answer.status_code == 403
        assert answer.json() == {
            "code": "scope_missing",
            "message": answer.json()["message"],
            "details": {"required_scope": scope},
        }


def test_a_client_with_no_scope_only_learns_who_it_is(make_client):
    _integration, _token, http = make_client()
    me = http.get("/api/v1/client/")
    assert me.status_code == 200
    assert me.json() == {"name": "client-none", "scopes": []}
    assert http.post("/api/v1/sync/", {"records": []}, format="json").status_code == 403


def test_session_login_does_not_open_the_api(login, supervisor):
    # The API is for integrations only: a logged-in person's session cookie is not a token.
    browser = login(supervisor)
    answer = browser.post("/api/v1/sync/", {"records": []}, content_type="application/json")
    assert answer.status_code == 401


def test_the_token_is_stored_only_as_its_hash(make_client):
    integration, token, http = make_client(Scope.SYNC)
    stored = ApiClient.objects.get(pk=integration.pk)
    assert token not in {str(v) for v in stored.__dict__.values()}
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert http.get("/api/v1/client/").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_token_is_refused_whatever_its_case_or_extra_parts(make_client):
    _integration, token, _http = make_client(Scope.SYNC)
    for header in (f"Bearer {token.upper()}", f"Bearer {token} extra", "Bearer", f"Token {token}"):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=header)
        assert http.get("/api/v1/client/").status_code == 401, header


def test_no_token_reaches_the_logs(make_client, caplog):
    integration, token, http = make_client(Scope.SYNC)
    api_client_revoke(client=integration)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer gtz_wrong-token-value")
    with caplog.at_level("DEBUG"):
        http.post("/api/v1/sync/", {"records": []}, format="json")
        wrong.get("/api/v1/client/")
    assert caplog.records  # the refusals are logged…
    assert token not in caplog.text  # …without the token
    assert "gtz_wrong-token-value" not in caplog.text
