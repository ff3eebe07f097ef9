"""A callback's whole loop in a real browser, on the ASGI server and the demo backend: the agent
presses *Visszahívás* on a promise, the demo phone rings and answers as the broker (hearing the
recording notice), the agent verifies the broker with the GRID and the Direkt code, the call
screen opens and the promise is kept; the broker hangs up and the call ends."""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.desk.models import CallbackAttempt, CallHandling, DeskRequest
from calls.models import CallTicket, SpecialDay
from gratisz.demo import DEMO_GRID, DEMO_STAFF_CODE, seed_demo
from gratisz.roles import Role
from partners.models import PartnerFirm
from tests.conftest import PASSWORD, current_token
from tests.e2e.test_desk_live_e2e import asgi_server  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BROKER = "+36301112222"


@pytest.fixture
def demo_line(settings, asgi_server, tmp_path):  # noqa: F811 (the imported fixture)
    settings.PUBLIC_BASE_URL = asgi_server
    settings.DIREKT_THROTTLE_FACTOR = 0
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
    settings.TELEPHONY_DEMO_FILE_PATH = tmp_path
    settings.TELEPHONY_SIP_DOMAIN = "desk.demo.invalid"
    settings.DEMO_PHONE_ENABLED = True
    settings.DESK_POLL_SECONDS = 2
    today = timezone.localdate()
    seed_demo(today=today)
    SpecialDay.objects.update_or_create(
        date=today,
        defaults={
            "is_open": True,
            "opens": datetime.time(0, 0),
            "closes": datetime.time(23, 59, 59),
            "note": "e2e",
        },
    )
    return asgi_server


def _promise(agent) -> DeskRequest:
    """A closed call of Demo Alkusz Kft. on which ``agent`` promised to call back."""
    firm = PartnerFirm.objects.get(grid=DEMO_GRID)
    now = timezone.now()
    ticket = CallTicket.objects.create(
        call_sid="CA" + "e" * 32,
        from_number=BROKER,
        state=CallTicket.State.COMPLETED,
        stage=CallTicket.Stage.DONE,
        menu="1",
        grid_entered=firm.grid,
        firm=firm,
        verified_at=now,
        ended_at=now,
    )
    handling = CallHandling.objects.create(
        ticket=ticket,
        agent=agent,
        origin=CallHandling.Origin.QUEUE,
        taken_at=now,
        closed_at=now,
        outcome=CallHandling.Outcome.CALLBACK,
    )
    return DeskRequest.objects.create(
        handling=handling,
        kind=DeskRequest.Kind.CALLBACK,
        due_at=now + datetime.timedelta(hours=2),
        contact=BROKER,
        subject="Zöldkártya kérése",
        created_at=now,
    )


def _logged_in(browser, base_url, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    context = browser.new_context(base_url=base_url, locale="hu-HU")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    page.get_by_label("Felhasználónév").fill(user.username)
    page.get_by_label("Jelszó").fill(PASSWORD)
    page.get_by_role("button", name="Tovább").click()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.get_by_label("Kód a hitelesítő alkalmazásból").fill(current_token(device))
    page.get_by_role("button", name="Bejelentkezés").click()
    return context, page


def test_a_promise_is_called_back_through_the_demo_phone_verified_and_kept(
    browser, make_user, demo_line
):
    agent = make_user(Role.AGENT)
    promise = _promise(agent)
    desk_context, desk = _logged_in(browser, demo_line, agent)
    # The demo phone in another browser, as a colleague (a TOTP code is good for one login).
    phone_context, phone = _logged_in(browser, demo_line, make_user(Role.AGENT))
    try:
        desk.goto("/desk/")
        desk.locator("#promises").get_by_role("link", name="Visszahívás").click()
        expect(desk.get_by_label(f"{BROKER} (a vállaláson szereplő szám)")).to_be_checked()
        desk.get_by_role("button", name="Visszahívás").click()
        expect(desk.locator("#callback-state")).to_contain_text("tárcsázás…")

        # The demo phone rings with the callback and answers as the broker.
        phone.goto("/demo-phone/")
        expect(phone.locator("#callback-number")).to_have_text(BROKER)
        phone.get_by_role("button", name="Felvétel partnerként").click()
        expect(phone.locator("#transcript")).to_contain_text("rögzítésre kerül")

        # The agent's screen asks for the broker's codes; then the call screen opens.
        expect(desk.locator("#callback-state")).to_contain_text("a partner felvette")
        desk.get_by_label("GRID").fill(DEMO_GRID)
        desk.get_by_label("Direkt kód").fill(DEMO_STAFF_CODE)
        desk.get_by_role("button", name="Azonosítás és a hívás megnyitása").click()
        expect(desk.locator("main")).to_contain_text("A partner azonosítva; a vállalás teljesült.")
        expect(desk.locator("h1")).to_contain_text("Demo Alkusz Kft.")
        # The call screen says which promise the call keeps.
        expect(desk.locator("#kept-promise")).to_contain_text("Zöldkártya kérése")
        if os.environ.get("DESK_SCREENSHOT"):
            desk.screenshot(path=os.environ["DESK_SCREENSHOT"])

        phone.locator("#callbacks").get_by_role("button", name="Bontás").click()
        expect(phone.locator("#callback-outcome")).to_contain_text("a vállalás teljesült")
    finally:
        desk_context.close()
        phone_context.close()
    attempt = CallbackAttempt.objects.get()
    promise.refresh_from_db()
    assert promise.done_at == attempt.answered_at and promise.done_by == agent
    assert attempt.ticket.ended_at is not None and attempt.ticket.firm.grid == DEMO_GRID
