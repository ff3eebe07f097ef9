"""The checked-in OpenAPI schema is what the code generates, and the API survives schemathesis.

When the first test fails, refresh the schema with:
    .venv/bin/python manage.py spectacular --lang en --file gratisz/api/openapi.yaml --validate
and commit it: API consumers read that file.
"""

from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from gratisz.api.models import Scope
from gratisz.api.services import api_client_create
from gratisz.wsgi import application

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "gratisz" / "api" / "openapi.yaml"
REFRESH = "manage.py spectacular --lang en --file gratisz/api/openapi.yaml --validate"


def test_checked_in_schema_is_up_to_date(tmp_path):
    fresh = tmp_path / "openapi.yaml"
    call_command(
        "spectacular", "--file", str(fresh), "--lang", "en", "--validate", "--fail-on-warn"
    )
    assert fresh.read_text() == SCHEMA_FILE.read_text(), (
        f"gratisz/api/openapi.yaml is out of date: run `.venv/bin/python {REFRESH}` and commit it"
    )


schema = schemathesis.openapi.from_path(str(SCHEMA_FILE))


@pytest.fixture
def wsgi_app():
    """Return the real WSGI application, kept from closing the test's database connection
    after each request (what Django's own test client does too)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    _client, token = api_client_create(
        name="schemathesis", scopes=[s.value for s in Scope], throttle_rate="100000/min"
    )
    return token


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_whatever_the_request(case, token, wsgi_app):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    case.call_and_validate(
        app=wsgi_app,
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
