import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import PASSWORD, current_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_with_password_and_totp(page, browser_login, agent):
    browser_login(agent)
    page.get_by_role("heading", name="Üdvözöljük").wait_for()
    expect(page.get_by_text("Ügyintézői felület")).to_be_visible()


def test_first_login_enrols_by_qr_code_then_switches_to_english(page, make_user):
    user = make_user("supervisor", enrolled=False)
    page.goto("/")
    page.get_by_label("Felhasználónév").fill(user.username)
    page.get_by_label("Jelszó").fill(PASSWORD)
    page.get_by_role("button", name="Tovább").click()
    page.get_by_role("heading", name="Hitelesítő alkalmazás beállítása").wait_for()
    expect(page.locator(".qr svg")).to_be_visible()
    # A wrong code keeps the user on the page with a Hungarian message.
    page.get_by_label("Kód a hitelesítő alkalmazásból").fill("12345")
    page.get_by_role("button", name="Megerősítés és belépés").click()
    expect(page.get_by_text("Adja meg a 6 jegyű kódot.")).to_be_visible()
    device = TOTPDevice.objects.get(user=user)
    page.get_by_label("Kód a hitelesítő alkalmazásból").fill(current_token(device))
    page.get_by_role("button", name="Megerősítés és belépés").click()
    page.get_by_role("heading", name="Üdvözöljük").wait_for()
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_role("heading", name="Welcome").wait_for()
    expect(page.get_by_text("Call review")).to_be_visible()


def test_a_desk_left_open_goes_to_the_login_page_after_the_idle_time(
    page, browser_login, agent, settings
):
    settings.SESSION_COOKIE_AGE = 4
    settings.DESK_POLL_SECONDS = 1
    browser_login(agent)
    page.goto("/desk/")
    page.locator("#queue[data-polled]").wait_for()  # the poll runs…
    # …but does not count as the agent's activity: the session ends and the page shows the login.
    page.get_by_label("Felhasználónév").wait_for(timeout=15_000)
    assert "/accounts/login/" in page.url
