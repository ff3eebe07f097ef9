"""The demo phone in a real browser: a new user places a call into the queue."""

import pytest

from calls.models import CallTicket
from tests.calls.conftest import STAFF_CODE
from tests.conftest import PASSWORD, current_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _key(browser_page, digits: str) -> None:
    for digit in digits:
        browser_page.locator(f'#pad button[data-key="{digit}"]').click()
    browser_page.locator("#send").click()


def _login(browser_page, user) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    browser_page.goto("/demo-phone/")
    browser_page.locator("input[name=username]").fill(user.username)
    browser_page.locator("input[name=password]").fill(PASSWORD)
    browser_page.locator("input[name=password]").press("Enter")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    browser_page.locator("input[name=token]").fill(current_token(device))
    browser_page.locator("input[name=token]").press("Enter")
    browser_page.locator("#dial").wait_for()


def test_agent_calls_into_the_queue_from_the_dial_pad(page, agent, firm):
    _login(page, agent)
    page.locator("#from").fill("+36301239876")
    page.locator("#dial").click()
    page.locator("#transcript li.ivr").first.wait_for()
    assert "Kedves Partnerünk" in page.locator("#transcript").inner_text()
    _key(page, "1")
    page.get_by_text("GRID-kódját").first.wait_for()
    _key(page, firm.grid)
    page.get_by_text("adja meg négyjegyű Direkt kódját").first.wait_for()
    _key(page, STAFF_CODE)
    page.get_by_text("munkatársunk rövidesen jelentkezik").first.wait_for()
    page.locator("#transcript li.event").last.wait_for()
    # The menu the caller waits for, in words (not the queue's code).
    queued = page.locator("#transcript li.event").last.inner_text()
    assert "1 – szerződések és igazolások" in queued and "contracts" not in queued
    assert str(firm) in page.locator("#ticket").inner_text()
    ticket = CallTicket.objects.get(from_number="+36301239876")
    assert ticket.state == CallTicket.State.WAITING
    page.locator("#hangup").click()
    page.locator("#dial:not([disabled])").wait_for()
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.ABANDONED


def test_the_phone_cannot_be_dialled_before_it_works(page, agent, firm):
    """A click on "Call" before the page's script has run would be lost: the call button
    stays off until the phone can place the call."""
    held = []
    page.route("**/calls/demo_phone*.js", lambda route: held.append(route))
    _login(page, agent)
    assert page.locator("#dial").is_disabled()
    held[0].continue_()
    page.locator("#dial").click()
    page.locator("#transcript li.ivr").first.wait_for()
    assert "Kedves Partnerünk" in page.locator("#transcript").inner_text()
