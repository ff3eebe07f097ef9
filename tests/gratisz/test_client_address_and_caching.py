"""The audited client address behind a TLS proxy, and no caching of personal pages (14.9)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from partners.client_ip import client_ip
from partners.models import FirmAuditEntry
from partners.services import firm_register
from tests.factories import PartnerFirmFactory

PROXY = "10.0.0.5"


def _request(remote=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="203.0.113.9")) == PROXY


def test_one_trusted_proxy_gives_the_address_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded="203.0.113.9")) == "203.0.113.9"
    # What the client wrote into the header itself is to the left of it, and not believed.
    assert client_ip(_request(forwarded="1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded="6.6.6.6, 203.0.113.9, 10.0.0.4")) == "203.0.113.9"


def test_a_request_that_bypassed_the_proxy_or_carries_garbage_counts_as_its_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(remote="198.51.100.1")) == "198.51.100.1"
    assert client_ip(_request(forwarded="not-an-address")) == PROXY
    assert client_ip(_request(remote="", forwarded="")) is None


@pytest.mark.django_db
def test_the_firm_audit_records_the_client_behind_the_proxy(settings, make_user, login):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    firm = PartnerFirmFactory(grid="111111119")
    leader = make_user("partner_manager", username="vezeto")
    from partners.models import PartnerManager

    PartnerManager.objects.create(firm=firm, user=leader, is_leader=True)
    firm_register(firm=firm, by=leader, terms_accepted=True)
    c = login(leader, Client())
    c.post(
        reverse("partner-portal:rotate", args=[firm.grid]),
        {"which": "staff", "mode": "random"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    entry = FirmAuditEntry.objects.filter(firm=firm).order_by("-pk").first()
    assert entry.ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_login_failures_count_the_client_behind_the_proxy(settings, client):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("login"),
        {"username": "x", "password": "y"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_pages_of_a_logged_in_user_are_not_stored(client, agent, login):
    login(agent)
    for url in (reverse("home"), reverse("desk:home")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


@pytest.mark.django_db
def test_half_logged_in_pages_are_not_stored(client, agent):
    from tests.conftest import PASSWORD

    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    assert "no-store" in client.get(reverse("otp-verify"))["Cache-Control"]


@pytest.mark.django_db
def test_api_answers_are_not_stored(client):
    response = client.get("/api/v1/client/")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]
