"""One error format (code, message, details) in Hungarian by default, English on request; limits
per client."""

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from gratisz.api.models import Scope

pytestmark = pytest.mark.django_db


def test_errors_speak_hungarian_by_default_and_english_on_request(make_client):
    _i, _t, http = make_client(Scope.SYNC)
    hungarian = APIClient().get("/api/v1/client/")
    english = APIClient().get("/api/v1/client/", HTTP_ACCEPT_LANGUAGE="en")
    assert hungarian.json()["code"] == english.json()["code"] == "not_authenticated"
    assert english.json()["message"].startswith("Send your API token")
    assert hungarian.json()["message"].startswith("Küldje el")


def test_invalid_body_lists_the_fields(make_client):
    _i, _t, http = make_client(Scope.SYNC)
    answer = http.post("/api/v1/sync/", {"records": "nope"}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert "records" in body["details"]


def test_malformed_json_is_a_parse_error(make_client):
    _i, _t, http = make_client(Scope.SYNC)
    answer = http.post("/api/v1/sync/", "{not json", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"


def test_wrong_method_and_unknown_request_are_in_the_same_format(make_client, all_scopes):
    _i, _t, http = make_client(*all_scopes)
    assert http.get("/api/v1/sync/").json()["code"] == "method_not_allowed"
    missing = http.get("/api/v1/certificate-requests/999999/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_each_client_has_its_own_request_limit(make_client):
    _i, _t, busy = make_client(Scope.SYNC, name="busy", rate="3/min")
    _j, _u, calm = make_client(Scope.SYNC, name="calm", rate="3/min")
    for _ in range(3):
        assert busy.get("/api/v1/client/").status_code == 200
    refused = busy.get("/api/v1/client/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["details"]["retry_after"] > 0
    # Another client is not slowed down by the first one.
    assert calm.get("/api/v1/client/").status_code == 200


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/sync/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    # Everything the page loads comes from this site (no CDN) and no script is inline (CSP).
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert re.search(r"<script>\s*\S", page) is None
    for src in sources:
        if src.startswith("/static/"):  # shipped by an installed package, found by staticfiles
            assert finders.find(src.removeprefix("/static/").split("?")[0]), src
        else:
            assert client.get(src).status_code == 200, src
