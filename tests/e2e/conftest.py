"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}: CI must run the browser tests")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while it lives; the tests still
    # touch the database synchronously (to set up data), which Django would otherwise refuse.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    # An English browser: the screens must still come in Hungarian.
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def browser_login(page):
    """Log ``user`` in through the real pages, typing the current TOTP code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import PASSWORD, current_token

    def do_login(user):
        page.goto("/")
        page.get_by_label("Felhasználónév").fill(user.username)
        page.get_by_label("Jelszó").fill(PASSWORD)
        page.get_by_role("button", name="Tovább").click()
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.get_by_label("Kód a hitelesítő alkalmazásból").fill(current_token(device))
        page.get_by_role("button", name="Bejelentkezés").click()
        return page

    return do_login
