"""The partner portal in a real browser: a referent invites a manager, who chooses a login,
enrols an authenticator, registers the firm and rotates the staff code; then a call through the
IVR webhooks gets in with the new code and not with the old one.

Selectors use names, ids and URLs rather than wording: the screens are Hungarian and their texts
may change with the catalogue."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from calls.models import CallTicket, SpecialDay
from partners.models import PartnerManager
from partners.verification import Outcome
from tests.calls.fake_provider import FakeProvider, HttpTransport
from tests.conftest import current_token, shows_code
from tests.factories import PartnerFirmFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GRID = "345678912"
NEW_PASSWORD = "Kék-ég-alatt-2026"


@pytest.fixture
def open_line(settings, live_server):
    """The line open today and the IVR's webhooks at the live server; notices sent at once."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.DIREKT_THROTTLE_FACTOR = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from calls.ivr.flow import ivr_prompts_forget
    from gratisz.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    ivr_prompts_forget()
    SpecialDay.objects.update_or_create(
        date=timezone.localdate(),
        defaults={
            "is_open": True,
            "opens": datetime.time(0, 0),
            "closes": datetime.time(23, 59, 59),
            "note": "e2e",
        },
    )
    yield FakeProvider(HttpTransport(), base_url=live_server.url)
    celery_app.conf.task_always_eager = False
    ivr_prompts_forget()


@pytest.fixture
def firm(referent):
    referent.email = "referens@biztosito.example.hu"
    referent.save()
    return PartnerFirmFactory(grid=GRID, referent=referent, name="Kék Alkusz Kft.")


def _log_out(page):
    page.locator("form[action='/accounts/logout/'] button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_invitation_enrolment_registration_rotation_then_the_ivr_takes_only_the_new_code(
    page, browser_login, referent, firm, open_line
):
    # The referent invites the firm's leader from their partner page.
    browser_login(referent)
    page.goto(f"/partner/referent/{GRID}/")
    invite = page.locator(f"form[action='/partner/referent/{GRID}/invite/']")
    invite.locator("input[name=email]").fill("vezeto@kekalkusz.example.hu")
    invite.locator("input[name=is_leader]").check()
    invite.locator("button[type=submit]").click()
    page.locator(".messages").wait_for()
    link = re.search(r"https?://\S+/partner/invitation/\S+/", mail.outbox[-1].body).group(0)
    assert mail.outbox[-1].to == ["vezeto@kekalkusz.example.hu"]
    _log_out(page)

    # The leader opens the link and chooses a username and password.
    page.goto(link)
    page.locator("input[name=username]").fill("kek-vezeto")
    page.locator("input[name=first_name]").fill("Kék")
    page.locator("input[name=last_name]").fill("Vezető")
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))

    # First login: password, then the authenticator is enrolled by its QR code.
    page.get_by_label("Felhasználónév").fill("kek-vezeto")
    page.get_by_label("Jelszó").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Tovább").click()
    page.wait_for_url(re.compile(r"/accounts/otp/enrol/"))
    expect(page.locator(".qr svg")).to_be_visible()
    device = TOTPDevice.objects.get(user__username="kek-vezeto")
    page.get_by_label("Kód a hitelesítő alkalmazásból").fill(current_token(device))
    page.get_by_role("button", name="Megerősítés és belépés").click()
    page.wait_for_url(re.compile(rf"/partner/{GRID}/$"))
    assert PartnerManager.objects.get(user__username="kek-vezeto").is_leader

    # Registration: the terms must be accepted; random codes are the default, shown once.
    page.locator(f"a[href='/partner/{GRID}/register/']").click()
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("input[name=terms] ~ .errorlist, .errorlist").first).to_be_visible()
    page.locator("input[name=terms]").check()
    expect(page.locator("input[name=mode][value=random]")).to_be_checked()
    page.locator("form.card button[type=submit]").click()
    old_code = page.locator("dd.code[data-role=staff]").inner_text().strip()
    manager_code = page.locator("dd.code[data-role=manager]").inner_text().strip()
    assert re.fullmatch(r"[0-9]{4}", old_code) and old_code != manager_code

    # The firm's page never shows a code again.
    page.goto(f"/partner/{GRID}/")
    assert not shows_code(old_code, page.content())

    # Rotation of the staff code: a new random code, the audit names who and from where.
    page.locator(f"a[href='/partner/{GRID}/codes/']").click()
    page.locator("input[name=which][value=staff]").check()
    page.locator("form.card button[type=submit]").click()
    new_code = page.locator("dd.code[data-role=staff]").inner_text().strip()
    assert re.fullmatch(r"[0-9]{4}", new_code) and new_code != old_code
    assert mail.outbox[-1].to == ["vezeto@kekalkusz.example.hu"]
    assert not shows_code(new_code, mail.outbox[-1].body)
    page.goto(f"/partner/{GRID}/")
    assert "127.0.0.1" in page.locator("#audit-h + table").inner_text()

    # A colleague calls with the new code: verified, waiting for an agent.
    good = open_line.call(from_number="+36301234567").press("1").press(GRID).press(new_code)
    assert good.state == "queued"
    assert CallTicket.objects.get(call_sid=good.sid).firm == firm

    # With the old code the IVR asks again, and the attempt is a wrong code.
    bad = open_line.call(from_number="+36307654321").press("1").press(GRID).press(old_code)
    assert bad.state == "gather"
    ticket = CallTicket.objects.get(call_sid=bad.sid)
    assert ticket.firm is None
    assert [a.outcome for a in ticket.verification_attempts.all()] == [Outcome.WRONG_CODE]
    bad.hang_up()
