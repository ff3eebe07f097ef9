"""The call screen in a real browser: search as the agent types (accents and separators
forgiven, arrow keys and Enter), notes that save themselves and survive a reload, and the
keyboard shortcuts' help window (?, Esc, focus kept inside and given back).

Selectors use names and ids, not wording: the screens are Hungarian."""

import re

import pytest
from playwright.sync_api import expect

from calls.desk.models import CallHandling
from tests.e2e.demo_desk import open_demo, taken_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_call(settings, live_server, agent):
    """The demo data, and a verified call of Demo Alkusz Kft. taken by ``agent``."""
    return taken_call(open_demo(settings, live_server), agent)


def test_search_answers_as_the_agent_types_and_the_keyboard_opens_a_hit(
    page, browser_login, agent, on_call
):
    browser_login(agent)
    page.goto(f"/desk/call/{on_call.ticket_id}/")
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("kovacs eva")  # no accents, lower case: Kovács Éva
    hits = page.locator("#search-results a.hit")
    expect(page.locator("#search-results a.hit[href$='/contract/GFB-DEMO-0001/']")).to_be_visible()
    expect(page.locator("#search-results")).not_to_contain_text("Kovács Éva")  # masked

    # A partial number, with other separators: every contract ending so, the firm's only.
    page.locator("#id_q").fill("demo 0001")
    expect(page.locator("#search-results a.hit", has_text="CFL-DEMO-0001")).to_be_visible()
    expect(page.locator("#search-results")).not_to_contain_text("GFB-DEMO-0002")
    page.locator("#id_q").fill("gfb demo 0002")  # Másik Partner Zrt.'s contract
    expect(page.locator("#search-count")).to_be_visible()
    expect(page.locator("#search-results a.hit")).to_have_count(0)

    # ↓ goes to the first hit, ↓ to the next, ↑ back, Enter opens it.
    page.locator("#id_q").fill("gfb demo 000")
    expect(hits.first).to_contain_text("GFB-DEMO-000")
    page.keyboard.press("ArrowDown")
    expect(hits.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(hits.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(hits.nth(0)).to_be_focused()
    target = hits.nth(0).get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(target)


def test_the_notes_save_themselves_and_a_reload_keeps_them(page, browser_login, agent, on_call):
    browser_login(agent)
    page.goto(f"/desk/call/{on_call.ticket_id}/")
    page.keyboard.press("j")  # the notes' shortcut
    expect(page.locator("#id_notes")).to_be_focused()
    page.keyboard.type("Zöldkártyát kér a GFB-DEMO-0001-re.")
    expect(page.locator("form[data-autosave][data-saved]")).to_have_count(1)
    expect(page.locator("#notes-saved")).to_contain_text(re.compile(r"\d\d:\d\d:\d\d"))
    assert CallHandling.objects.get(pk=on_call.pk).notes == "Zöldkártyát kér a GFB-DEMO-0001-re."
    page.locator("#id_notes").press_sequentially(" Visszahívjuk.")
    page.reload()  # at once: the page being left sends what was typed
    expect(page.locator("#id_notes")).to_have_value(
        "Zöldkártyát kér a GFB-DEMO-0001-re. Visszahívjuk."
    )


def test_the_shortcuts_help_opens_with_a_question_mark_traps_focus_and_gives_it_back(
    page, browser_login, agent, on_call
):
    browser_login(agent)
    page.goto(f"/desk/call/{on_call.ticket_id}/")
    opener = page.locator("#id_q")
    opener.focus()
    page.keyboard.press("Escape")  # leaves the field: the next key is a shortcut
    page.locator("[data-help-open]").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-labelledby", "shortcut-help-title")
    # The call screen's keys are listed; the contract page's are not.
    expect(dialog.locator("tr[data-key=j]")).to_be_visible()
    expect(dialog.locator("tr[data-key=i]")).to_be_hidden()
    # Tab stays inside.
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.getElementById('shortcut-help').contains(document.activeElement)"
        )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-help-open]")).to_be_focused()  # focus given back

    # Each key of the list acts: s goes to the SOS form, z to the outcome.
    expect(page.locator("#library form")).to_be_visible()
    page.keyboard.press("s")
    expect(page.locator("#library select").first).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("z")
    expect(page.locator("#id_outcome")).to_be_focused()
