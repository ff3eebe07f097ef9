"""The back office makes integration clients (token shown once) and revokes them."""

import re

import pytest
from rest_framework.test import APIClient

from gratisz.api.models import ApiClient

pytestmark = pytest.mark.django_db

ADD = "/admin/api/apiclient/add/"
LIST = "/admin/api/apiclient/"


def test_the_administrator_gets_the_token_once_and_it_works(login, administrator):
    browser = login(administrator)
    answer = browser.post(
        ADD, {"name": "core systems", "scopes": ["sync"], "throttle_rate": ""}, follow=True
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    token = re.search(r"(gtz_[A-Za-z0-9_-]{43})", page).group(1)
    client = ApiClient.objects.get(name="core systems")
    assert client.scopes == ["sync"]
    assert client.created_by == administrator
    assert token not in browser.get(f"{LIST}{client.pk}/change/").content.decode()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert http.get("/api/v1/client/").json()["name"] == "core systems"

    browser.post(LIST, {"action": "revoke", "_selected_action": [client.pk]})
    client.refresh_from_db()
    assert client.revoked_by == administrator
    assert http.get("/api/v1/client/").json()["code"] == "token_revoked"


def test_a_bad_request_limit_is_refused(login, administrator):
    browser = login(administrator)
    answer = browser.post(ADD, {"name": "x", "scopes": ["sync"], "throttle_rate": "lots"})
    assert answer.status_code == 200
    assert not ApiClient.objects.exists()


def test_a_supervisor_cannot_manage_api_clients(login, supervisor):
    browser = login(supervisor)
    assert browser.get(LIST).status_code == 403
    assert browser.get(ADD).status_code == 403
