"""Password guessing is limited on the real login page: per account and per
address, with a cool-off, logged, liftable by an administrator, and no oracle."""

import datetime
import logging
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Túl sok sikertelen bejelentkezés"


def _try(client: Client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _page(response) -> str:
    return re.sub(r'value="[^"]+"', "", response.content.decode())


def test_the_fifth_wrong_password_locks_the_account_and_even_the_right_one_is_refused(
    client, agent
):
    for _attempt in range(4):
        response = _try(client, agent.username, "wrong-password")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    response = _try(client, agent.username, "wrong-password")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert LOCKED in response.content.decode()
    assert "15 perc" in response.content.decode()
    wrong = _try(client, agent.username, "still-wrong")
    right = _try(client, agent.username, PASSWORD)
    # The right password is answered exactly as a wrong one, and opens no second-factor step.
    assert (right.status_code, _page(right)) == (wrong.status_code, _page(wrong))
    assert not right.has_header("Location")
    response = client.get(reverse("otp-verify"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_four_wrong_passwords_still_let_the_right_one_through(client, agent):
    for _attempt in range(4):
        _try(client, agent.username, "wrong-password")
    response = _try(client, agent.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))


def test_an_unknown_username_is_answered_exactly_as_a_known_one(agent):
    known, unknown = Client(), Client()
    for _attempt in range(6):
        a = _try(known, agent.username, "wrong-password")
        b = _try(unknown, "no-such-user", "wrong-password")
        assert a.status_code == b.status_code
        assert _page(a).replace(agent.username, "USER") == _page(b).replace("no-such-user", "USER")
    assert a.status_code == 429


def test_the_account_lock_holds_from_every_address(client, agent):
    for n in range(5):
        _try(client, agent.username, "wrong-password", address=f"198.51.100.{n}")
    response = _try(client, agent.username, PASSWORD, address="203.0.113.200")
    assert response.status_code == 429


def test_one_address_may_fail_30_times_across_usernames_then_is_locked(client, agent):
    for n in range(29):
        response = _try(client, f"guess-{n}", "wrong-password")
        assert response.status_code == 200, n
    assert _try(client, agent.username, PASSWORD).status_code == 302  # 29: still open
    response = _try(client, "guess-29", "wrong-password")
    assert response.status_code == 429
    # The address is locked for every username, the right password included…
    assert _try(Client(), agent.username, PASSWORD).status_code == 429
    # …and other addresses are not.
    response = _try(Client(), agent.username, PASSWORD, address="203.0.113.7")
    assert response.status_code == 302


def test_the_lock_ends_after_the_cool_off(client, agent):
    for _attempt in range(5):
        _try(client, agent.username, "wrong-password")
    assert _try(client, agent.username, PASSWORD).status_code == 429
    # 16 minutes later (the last refused try started the cool-off again).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - datetime.timedelta(minutes=16)
    )
    response = _try(client, agent.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))


def test_an_administrator_lifts_the_lock(client, agent):
    for _attempt in range(5):
        _try(client, agent.username, "wrong-password")
    call_command("axes_reset_username", agent.username, verbosity=0)
    assert _try(client, agent.username, PASSWORD).status_code == 302


def test_the_admin_lists_the_locked_logins_for_an_administrator(client, agent, make_user, login):
    for _attempt in range(5):
        _try(Client(), agent.username, "wrong-password")
    admin = make_user("administrator")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    login(admin)
    page = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert agent.username in page and "192.0.2.10" in page
    attempt = AccessAttempt.objects.get(username=agent.username)
    response = client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert _try(Client(), agent.username, PASSWORD).status_code == 302


def test_an_agent_cannot_lift_a_lock_in_the_admin(client, agent, make_user, login):
    for _attempt in range(5):
        _try(Client(), "someone", "wrong-password")
    login(agent)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code in (302, 403)
    assert AccessAttempt.objects.filter(username="someone").exists()


def test_failures_and_the_lock_are_logged_with_username_and_address(client, agent, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _attempt in range(5):
            _try(client, agent.username, "wrong-password")
    text = caplog.text
    assert agent.username in text and "192.0.2.10" in text
    assert "Locking out" in text
    assert "wrong-password" not in text


def test_the_lock_page_speaks_english_when_chosen(client, agent):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for _attempt in range(5):
        response = _try(client, agent.username, "wrong-password")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
