"""The agent desk in a real browser: a call placed through the IVR webhooks reaches the
queue without a reload, the agent takes it, answers from the firm's portfolio only,
identifies the client, requests a certificate, promises a callback and closes the call.

Selectors use names and ids, not wording: the screens are Hungarian and their texts may change
with the catalogue."""

import datetime
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.desk.models import CallHandling, DeskRequest, Disclosure
from calls.models import CallTicket, SpecialDay
from certificates.models import CertificateRequest
from gratisz.demo import DEMO_GRID, DEMO_STAFF_CODE, seed_demo
from partners.models import Contract
from tests.calls.fake_provider import FakeProvider, HttpTransport

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_line(settings, live_server):
    """The demo data, the line open today, and the IVR's webhooks at the live server."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.DIREKT_THROTTLE_FACTOR = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DESK_POLL_SECONDS = 1
    from gratisz.celery import app as celery_app

    # Certificates are only recorded here; their worker is tested in tests/certificates.
    celery_app.conf.broker_url = "memory://"
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
    return FakeProvider(HttpTransport(), base_url=live_server.url)


def test_agent_takes_a_verified_call_and_answers_from_the_firms_portfolio(
    page, browser_login, agent, demo_line
):
    browser_login(agent)
    page.goto("/desk/")
    page.locator("#queue").wait_for()

    # A partner calls: menu 1, GRID, Direkt code, as keyed on the phone.
    call = demo_line.call(from_number="+36301112233")
    call.press("1").press(DEMO_GRID).press(DEMO_STAFF_CODE)
    assert call.state == "queued"

    # The queue shows it without a reload; the agent takes it.
    row = page.locator("table.queue tr", has_text="+36301112233")
    row.wait_for()
    assert "Demo Alkusz Kft." in row.inner_text()
    row.locator("button.take").click()
    page.wait_for_url(re.compile(r"/desk/call/\d+/$"))
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == CallTicket.State.WITH_AGENT
    assert DEMO_GRID in page.locator("aside.caller").inner_text()
    call_url = page.url

    # Another firm's contract does not exist in this call.
    page.keyboard.press("/")
    page.keyboard.type("GFB-DEMO-0002")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("a[href*='/contract/GFB-DEMO-0002/']")).to_have_count(0)
    response = page.goto(f"{call_url}contract/GFB-DEMO-0002/")
    assert response.status == 404
    page.goto(call_url)

    # Find GFB-DEMO-0001 and open it: the client's data is masked.
    page.locator("input[name=q]").fill("GFB-DEMO-0001")
    with page.expect_navigation():
        page.locator("input[name=q]").press("Enter")
    page.locator("a[href*='/contract/GFB-DEMO-0001/']").click()
    holder = Contract.objects.select_related("policyholder").get(policy_number="GFB-DEMO-0001")
    holder = holder.policyholder
    assert holder.name not in page.locator("#policyholder").inner_text()

    # Identify the client with two facts.
    page.locator("#id_name").fill(holder.name)
    page.locator("#id_birth_date").fill(holder.birth_date.isoformat())
    page.locator("#identify button[type=submit]").click()
    page.locator("#policyholder .holder-name", has_text=holder.name).wait_for()

    # Request a damage history certificate (by post to the policyholder, the default).
    page.locator("#id_document_type").select_option("damage_history")
    page.locator("#certificate button[type=submit]").click()
    page.locator("#certificate ul.requests li").first.wait_for()
    request = CertificateRequest.objects.get()
    assert request.contract.policy_number == "GFB-DEMO-0001"
    assert request.source == f"call:{ticket.pk}"

    # Promise a callback (the due time is filled in) and close the call.
    page.goto(call_url)
    page.locator("#id_subject").fill("Kártörténeti igazolás postázása")
    page.locator("form[action$='/promise/'] button[type=submit]").click()
    page.wait_for_url(call_url)
    if os.environ.get("DESK_SCREENSHOT"):  # the README's picture: DESK_SCREENSHOT=docs/desk.png
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.screenshot(path=os.environ["DESK_SCREENSHOT"], full_page=False)
    page.locator("#id_notes").fill("Igazolást kért, visszahívást ígértünk.")
    page.locator("#id_outcome").select_option("callback")
    page.locator("button[name=action][value=close]").click()
    page.wait_for_url(re.compile(r"/desk/$"))

    handling = CallHandling.objects.get(ticket=ticket)
    assert handling.closed_at is not None and handling.outcome == "callback"
    assert DeskRequest.objects.filter(handling=handling, kind="callback").exists()
    assert Disclosure.objects.filter(ticket=ticket, record_ref="GFB-DEMO-0001").exists()
    assert not Disclosure.objects.filter(record_ref="GFB-DEMO-0002").exists()
    # The promise waits on the desk home.
    page.locator("#queue", has_text="Kártörténeti igazolás postázása").wait_for()
