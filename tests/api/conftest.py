import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from gratisz.api.models import Scope
from gratisz.api.services import api_client_create


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_client(db):
    """Return a function that makes an integration client and an HTTP client using its token."""

    def make(*scopes: str, name: str | None = None, rate: str = ""):
        integration, token = api_client_create(
            name=name or f"client-{'-'.join(scopes) or 'none'}",
            scopes=list(scopes),
            throttle_rate=rate,
        )
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return integration, token, http

    return make


@pytest.fixture
def all_scopes():
    return [s.value for s in Scope]
