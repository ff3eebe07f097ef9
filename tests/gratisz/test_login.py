import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, current_token

pytestmark = pytest.mark.django_db


def test_login_needs_password_then_totp(client, agent):
    response = client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))
    # Password alone opens nothing but the second-factor step.
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp-verify"))
    device = TOTPDevice.objects.get(user=agent)
    response = client.post(reverse("otp-verify"), {"token": current_token(device)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_refused_in_hungarian(client, agent):
    response = client.post(reverse("login"), {"username": agent.username, "password": "nope"})
    assert response.status_code == 200
    assert "Írjon be egy helyes" in response.content.decode()


def test_wrong_token_keeps_the_user_unverified(client, agent):
    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=agent)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("otp-verify"), {"token": wrong})
    assert response.status_code == 200
    assert "hibás vagy lejárt" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_repeated_wrong_tokens_are_throttled(client, agent):
    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=agent)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"
    client.post(reverse("otp-verify"), {"token": wrong})
    # Even the right code is refused while the back-off lasts.
    response = client.post(reverse("otp-verify"), {"token": current_token(device)})
    assert response.status_code == 200
    assert "Túl sok hibás kód" in response.content.decode()


def test_first_login_enrols_an_authenticator_with_a_qr_code(client, make_user):
    user = make_user("agent", enrolled=False)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"].startswith(reverse("otp-enrol"))
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert secret  # what the user types into the app when they cannot scan
    response = client.post(reverse("otp-enrol"), {"token": current_token(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200


def test_a_user_with_an_authenticator_cannot_enrol_another(client, agent):
    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    response = client.get(reverse("otp-enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))
    assert TOTPDevice.objects.filter(user=agent).count() == 1


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_open_redirect_after_login_is_refused(client, agent):
    client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=agent)
    response = client.post(
        reverse("otp-verify") + "?next=https://evil.example/", {"token": current_token(device)}
    )
    assert response["Location"] == reverse("home")


def test_english_can_be_chosen(client, agent, login):
    login(agent)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Welcome" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "hu", "next": "/"})
    assert "Üdvözöljük" in client.get(reverse("home")).content.decode()


def test_an_english_browser_still_gets_hungarian_until_english_is_chosen(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Bejelentkezés" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log in" in client.get(reverse("login")).content.decode()


@pytest.mark.production_hashers
def test_passwords_are_stored_with_argon2_and_older_hashes_upgraded_at_login(client, agent):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    assert agent.password.startswith("argon2$argon2id$")
    agent.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    agent.save(update_fields=["password"])
    response = client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302  # the earlier hash still lets the user in…
    agent.refresh_from_db()
    assert agent.password.startswith("argon2$argon2id$")  # …and is replaced at once
