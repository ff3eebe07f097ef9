"""The desk live, in a real browser on the ASGI server (pages and the push connection):
a verified call pops up on every agent's desk without a reload, a click in the queue is never
swallowed by an update, a taken call leaves the other desks, and a caller who hangs up is
shown gone at once on the agent's call screen (the poll is set far off: only the push can)."""

import datetime
import re
import socket
import threading
import time

import pytest
from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import CallTicket, SpecialDay
from gratisz.demo import DEMO_GRID, DEMO_STAFF_CODE, seed_demo
from gratisz.roles import Role
from tests.calls.fake_provider import FakeProvider, HttpTransport
from tests.conftest import PASSWORD, current_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(transactional_db):
    """``gratisz.asgi.application`` under uvicorn in a thread of this process (so the in-memory
    channel layer is the server's), with static files served from the finders."""
    import uvicorn
    from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: F401 (models ready)

    from gratisz.asgi import application

    app = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(application.application_mapping["http"]),
            "websocket": application.application_mapping["websocket"],
        }
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://localhost:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def line(settings, asgi_server):
    settings.PUBLIC_BASE_URL = asgi_server
    settings.DIREKT_THROTTLE_FACTOR = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DESK_POLL_SECONDS = 60  # far off: what shows within seconds came by the push
    from gratisz.celery import app as celery_app

    celery_app.conf.broker_url = "memory://"  # putting callers through is tested elsewhere
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
    return FakeProvider(HttpTransport(), base_url=asgi_server)


@pytest.fixture
def desk(browser, asgi_server):
    """Open a logged-in desk for ``user`` in a browser context of its own."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    contexts = []

    def open_desk(user, base_url=asgi_server):
        context = browser.new_context(base_url=base_url, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/")
        page.get_by_label("Felhasználónév").fill(user.username)
        page.get_by_label("Jelszó").fill(PASSWORD)
        page.get_by_role("button", name="Tovább").click()
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.get_by_label("Kód a hitelesítő alkalmazásból").fill(current_token(device))
        page.get_by_role("button", name="Bejelentkezés").click()
        page.goto("/desk/")
        page.locator("body[data-socket=up]").wait_for()
        return page

    yield open_desk
    for context in contexts:
        context.close()


def place_call(line, number):
    call = line.call(from_number=number)
    call.press("1").press(DEMO_GRID).press(DEMO_STAFF_CODE)
    assert call.state == "queued"
    return call


def test_a_call_pops_up_on_every_desk_and_a_click_during_an_update_is_kept(make_user, line, desk):
    anna, bela = make_user(Role.AGENT), make_user(Role.AGENT)
    anna_desk, bela_desk = desk(anna), desk(bela)
    title = bela_desk.title()

    first = place_call(line, "+36301110001")
    for page in (anna_desk, bela_desk):
        page.locator("#waiting-list, table.queue tr", has_text="+36301110001").wait_for()
    assert bela_desk.title() != title and bela_desk.title().startswith("(1)")

    # Béla keeps the focus on his alert setting while a second call arrives: it stays there.
    bela_desk.locator("[data-pref=ring]").focus()
    # Anna presses the mouse on the first call's button; a second call arrives before she
    # lets go. The row under her pointer is not replaced: the click takes the first call.
    take = anna_desk.locator("table.queue tr", has_text="+36301110001").locator("button.take")
    box = take.bounding_box()
    anna_desk.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    anna_desk.mouse.down()
    place_call(line, "+36301110002")
    anna_desk.locator("table.queue tr", has_text="+36301110002").wait_for()
    anna_desk.mouse.up()
    anna_desk.wait_for_url(re.compile(r"/desk/call/\d+/$"))
    ticket = CallTicket.objects.get(call_sid=first.sid)
    assert anna_desk.url.endswith(f"/desk/call/{ticket.pk}/")

    # On Béla's desk the taken call leaves without a reload; the other stays, focus kept.
    bela_desk.locator("table.queue tr", has_text="+36301110001").wait_for(state="detached")
    expect(bela_desk.locator("table.queue tr", has_text="+36301110002")).to_be_visible()
    assert bela_desk.evaluate("document.activeElement.getAttribute('data-pref')") == "ring"
    assert bela_desk.title().startswith("(1)")


def test_pages_apart_from_the_push_server_still_pop_calls_up(
    make_user, line, desk, live_server, asgi_server, settings
):
    """make serve's shape: the pages from WSGI workers, the push connection from the ASGI
    server on a port of its own. The browser opens it there (the session's cookie, the page's
    origin and its security policy let it), and a verified call pops up without a reload."""
    settings.DESK_SOCKET_URL = asgi_server.replace("http://", "ws://") + "/ws/desk/"
    page = desk(make_user(Role.AGENT), base_url=live_server.url)
    assert page.url.startswith(live_server.url)
    place_call(line, "+36301110005")
    page.locator("table.queue tr", has_text="+36301110005").wait_for(timeout=3_000)


def test_a_caller_who_hangs_up_is_shown_gone_at_once(make_user, line, desk):
    anna = make_user(Role.AGENT)
    page = desk(anna)
    call = place_call(line, "+36301110003")
    page.locator("table.queue tr", has_text="+36301110003").locator("button.take").click()
    page.wait_for_url(re.compile(r"/desk/call/\d+/$"))
    page.locator("body[data-socket=up]").wait_for()
    expect(page.locator("#caller-gone")).to_have_count(0)

    call.hang_up()  # the provider's status callback reaches the IVR webhook

    gone = page.locator("#caller-gone")
    gone.wait_for(timeout=3_000)
    expect(gone.locator("button[name=action][value=close]")).to_be_visible()  # close as dropped
    gone.locator("button[name=action][value=close]").click()
    page.wait_for_url(re.compile(r"/desk/$"))
    assert CallTicket.objects.get(call_sid=call.sid).handling.outcome == "dropped"


def test_a_reload_in_the_middle_of_a_claim_report_keeps_what_was_typed(make_user, line, desk):
    anna = make_user(Role.AGENT)
    page = desk(anna)
    place_call(line, "+36301110004")
    page.locator("table.queue tr", has_text="+36301110004").locator("button.take").click()
    page.wait_for_url(re.compile(r"/desk/call/\d+/$"))
    call_url = page.url
    page.goto(f"{call_url}contract/GFB-DEMO-0001/claim-report/")
    page.locator("#id_place").fill("Szeged, Kálvária sugárút 12.")
    page.locator("#id_description").fill("Tolatás közben oszlopnak ütközött.")
    page.locator("form[data-saved]").wait_for()  # saved by itself, no button pressed
    page.reload()
    assert page.locator("#id_place").input_value() == "Szeged, Kálvária sugárút 12."
    assert "oszlopnak" in page.locator("#id_description").input_value()

    # The wrap-up after the call: no call is offered until the agent is ready again.
    page.goto(call_url)
    page.locator("#id_outcome").select_option("dropped")
    page.locator("#id_discard_drafts").check()
    page.locator("#close button[name=action][value=close]").click()
    page.wait_for_url(re.compile(r"/desk/$"))
    expect(page.locator("#presence-state")).to_have_attribute("data-state", "wrap_up")
    page.locator("#presence button[value=back]").click()
    page.locator("#presence-state[data-state=available]").wait_for()


def test_a_missing_page_is_the_houses_page_with_a_way_back(make_user, line, desk):
    page = desk(make_user(Role.AGENT))
    response = page.goto("/desk/call/999999/")
    assert response.status == 404
    assert "Ez az oldal vagy adat nem található" in page.content()
    page.locator("#way-back").click()
    page.wait_for_url(re.compile(r"/(desk/)?$"))


def test_the_supervisors_board_shows_agents_and_waiting_callers_live(make_user, line, desk):
    anna, boss = make_user(Role.AGENT), make_user(Role.SUPERVISOR)
    anna_desk = desk(anna)
    board = desk(boss)
    board.goto("/review/")
    board.locator("body[data-socket=up]").wait_for()
    agents = board.locator("#live-agents")
    expect(agents.locator("tr", has_text=anna.username)).to_be_visible()

    place_call(line, "+36301110004")  # the board's own poll is 30 s away: only the push can
    waiting = board.locator("#live-queue tr", has_text="Demo Alkusz")
    waiting.wait_for(timeout=5_000)

    anna_desk.locator("table.queue tr", has_text="+36301110004").locator("button.take").click()
    anna_desk.wait_for_url(re.compile(r"/desk/call/\d+/$"))
    waiting.wait_for(state="detached", timeout=5_000)
    on_call = agents.locator("tr.presence-on_call", has_text=anna.username)
    on_call.wait_for(timeout=5_000)
    assert "Demo Alkusz" in on_call.inner_text()
