"""Password guessing in the browser: the fifth wrong password locks the login, and
the right one is then refused on the same page without reaching the second factor."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _try(page, username, password):
    page.get_by_label("Felhasználónév").fill(username)
    page.get_by_label("Jelszó").fill(password)
    page.get_by_role("button", name="Tovább").click()
    page.wait_for_load_state()


def test_five_wrong_passwords_lock_the_login_and_the_right_one_is_refused(page, agent):
    page.goto("/accounts/login/")
    for _attempt in range(4):
        _try(page, agent.username, "wrong-password")
        expect(page.get_by_text("Túl sok sikertelen")).to_have_count(0)
    _try(page, agent.username, "wrong-password")
    page.get_by_text("Túl sok sikertelen bejelentkezés").wait_for()
    _try(page, agent.username, PASSWORD)
    page.get_by_text("Túl sok sikertelen bejelentkezés").wait_for()
    assert "/accounts/login/" in page.url
    expect(page.get_by_label("Kód a hitelesítő alkalmazásból")).to_have_count(0)
