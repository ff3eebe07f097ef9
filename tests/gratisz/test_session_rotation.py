"""The session key changes when the second factor is passed, and at enrolment."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, current_token

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


def _with_cookie(key: str) -> Client:
    planted = Client()
    planted.cookies[COOKIE] = key
    return planted


def test_otp_verify_gives_a_new_session_key_and_voids_the_old_one(client, agent):
    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    before = client.cookies[COOKIE].value
    device = TOTPDevice.objects.get(user=agent)
    response = client.post(reverse("otp-verify"), {"token": current_token(device)})
    assert response.status_code == 302
    after = client.cookies[COOKIE].value
    assert after != before
    assert client.get(reverse("home")).status_code == 200
    # Whoever holds the password step's cookie has nothing: not even the password step.
    response = _with_cookie(before).get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_enrolment_gives_a_new_session_key(client, make_user):
    user = make_user("agent", enrolled=False)
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    client.get(reverse("otp-enrol"))
    before = client.cookies[COOKIE].value
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("otp-enrol"), {"token": current_token(device)})
    assert response.status_code == 302
    assert client.cookies[COOKIE].value != before
    assert client.get(reverse("home")).status_code == 200
    response = _with_cookie(before).get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_wrong_code_keeps_the_session_key(client, agent):
    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    before = client.cookies[COOKIE].value
    device = TOTPDevice.objects.get(user=agent)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"
    client.post(reverse("otp-verify"), {"token": wrong})
    assert client.cookies[COOKIE].value == before
    assert client.get(reverse("home")).status_code == 302
