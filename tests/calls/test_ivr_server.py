"""The telephony webhooks' own server (``gratisz.ivr_wsgi`` with ``gratisz.settings_ivr``,
make serve's IVR_PORT): a whole call goes through it as the provider places one, and it serves
nothing but the webhooks and the health checks."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as site_settings
from django.test import Client
from django.utils import translation

from calls.models import CallTicket
from gratisz import settings_ivr
from tests.calls.conftest import STAFF_CODE, texts
from tests.calls.fake_provider import ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivr_server(settings):
    """A client of the webhooks' server: the site with that server's middleware."""
    settings.MIDDLEWARE = settings_ivr.MIDDLEWARE
    return Client()


def test_a_verified_caller_reaches_the_queue_through_it_and_the_hang_up_ends_the_call(
    ivr_server, line_open, firm
):
    call = FakeProvider(ClientTransport(ivr_server)).call(from_number="+36201112233")
    call.press("1").press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued"
    assert call.heard[-2:] == texts("verified", "waiting")
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert (ticket.state, ticket.firm) == (CallTicket.State.WAITING, firm)

    call.hang_up()
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.ABANDONED
    assert ticket.ended_at is not None


def test_a_webhook_without_the_providers_signature_is_refused_there(ivr_server, line_open):
    response = ivr_server.post("/ivr/voice/", {"CallSid": "CA" + "1" * 32, "From": "+3630"})
    assert response.status_code == 403
    assert not CallTicket.objects.exists()


@pytest.mark.parametrize(
    "path", ["/", "/desk/", "/admin/", "/accounts/login/", "/api/v1/client/", "/partner/"]
)
def test_it_serves_no_page_of_the_site_and_says_so_in_hungarian(ivr_server, path):
    translation.activate("en")  # what a request before it on the same thread may have left
    response = ivr_server.get(path)
    assert response.status_code == 404
    assert "Ez az oldal vagy adat nem található" in response.content.decode()  # the house's 404


def test_it_answers_the_health_checks(ivr_server):
    assert ivr_server.get("/health/live/").status_code == 200


def test_the_servers_application_runs_with_its_own_settings_whatever_the_environment_names():
    """A deployment's environment may name gratisz.settings for the whole stack (the load
    test's does)."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gratisz.ivr_wsgi; from django.conf import settings; print(settings.MIDDLEWARE)",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gratisz.settings"},
        cwd=site_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str(settings_ivr.MIDDLEWARE)
