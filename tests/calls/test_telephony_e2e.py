"""In a real browser: the caller waits on the demo phone, the agent takes the call on the desk,
and the demo phone shows whom the caller was put through to; the call screen shows it too."""

import pytest

from calls.desk.models import CallHandling
from tests.calls.conftest import STAFF_CODE
from tests.calls.test_demo_phone_e2e import _key, _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_demo_phone_hears_the_call_put_through_to_the_agent_who_took_it(
    page, agent, firm, settings, tmp_path
):
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
    settings.TELEPHONY_DEMO_FILE_PATH = tmp_path
    settings.TELEPHONY_SIP_DOMAIN = "desk.demo.invalid"
    agent.extension, agent.first_name, agent.last_name = "201", "Anna", "Ügynök"
    agent.save()
    _login(page, agent)
    page.locator("#dial").click()
    _key(page, "1")
    page.get_by_text("GRID-kódját").first.wait_for()
    _key(page, firm.grid)
    page.get_by_text("adja meg négyjegyű Direkt kódját").first.wait_for()
    _key(page, STAFF_CODE)
    page.get_by_text("munkatársunk rövidesen jelentkezik").first.wait_for()

    desk = page.context.new_page()
    desk.goto("/desk/")
    desk.locator("button.take").click()
    desk.locator("#connection").get_by_text("kapcsolva", exact=True).wait_for()
    assert "201 mellék" in desk.locator("#connection").inner_text()

    page.get_by_text("Ügyintézőhöz kapcsolva: Ügynök Anna (sip:201@desk.demo.invalid)").wait_for()
    assert "Ügynök Anna" in page.locator("#ticket").inner_text()
    assert CallHandling.objects.get().connect_state == CallHandling.Connection.CONNECTED
