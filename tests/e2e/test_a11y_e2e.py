"""An accessibility scan of the main pages: axe-core (from the npm registry; `make
install-dev` fetches it to var/vendor/) runs in the browser on each page and no serious or
critical violation may remain: login, desk, call screen, contract page with the certificate
form, review log, partner portal."""

import json
import os
from pathlib import Path

import pytest

from gratisz.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.demo_desk import open_demo, taken_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "var" / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: make install-dev fetches axe-core")
        pytest.skip("axe-core is not fetched (make install-dev)")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page, axe_source) -> list[str]:
    # Evaluated by the browser's devtools protocol: the page's CSP (script-src 'self') allows
    # no inline script tag, and it should not be loosened for a test.
    page.evaluate(axe_source + "\n;void 0")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} @ "
        + json.dumps([n["target"] for n in v["nodes"][:3]])
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def demo(settings, live_server):
    return open_demo(settings, live_server)


def scan(page, axe_source, url, found):
    response = page.goto(url)
    assert response.status == 200, url  # the page itself, not a refusal
    page.wait_for_load_state("load")
    for line in serious_violations(page, axe_source):
        found.append(f"{url}: {line}")


def test_the_main_pages_have_no_serious_accessibility_violation(
    page, browser_login, make_user, demo, axe_source
):
    found: list[str] = []
    scan(page, axe_source, "/accounts/login/", found)

    agent = make_user(Role.AGENT)
    handling = taken_call(demo, agent)
    browser_login(agent)
    scan(page, axe_source, "/desk/", found)
    call = f"/desk/call/{handling.ticket_id}/"
    scan(page, axe_source, call, found)
    scan(page, axe_source, f"{call}?q=gfb+demo+0001", found)
    page.keyboard.press("?")  # the shortcuts' help, open
    for line in serious_violations(page, axe_source):
        found.append(f"{call} (help): {line}")
    scan(page, axe_source, f"{call}contract/GFB-DEMO-0001/", found)  # the certificate form

    page.context.clear_cookies()
    browser_login(make_user(Role.SUPERVISOR))
    scan(page, axe_source, "/review/calls/", found)

    page.context.clear_cookies()
    manager = type(agent).objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.save()
    browser_login(manager)
    scan(page, axe_source, "/partner/", found)
    scan(page, axe_source, f"/partner/{demo.grid}/", found)
    assert not found, "\n".join(found)
