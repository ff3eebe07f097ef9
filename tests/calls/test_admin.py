"""The back office: unlocking GRIDs, editing prompts, reading call tickets."""

import pytest
from django.urls import reverse

from calls.models import IvrPrompt
from partners.models import DirektThrottle
from tests.calls.conftest import STAFF_CODE

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(firm, settings):
    from partners.verification import direkt_verify

    settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY = 100
    for _ in range(settings.DIREKT_LOCK_AFTER_FAILURES):
        direkt_verify(grid=firm.grid, code="0000", calling_number="+3630")
    throttle = DirektThrottle.objects.get(grid=firm.grid)
    assert throttle.is_locked
    return throttle


def _unlock(client, throttle, reason="A partner kérte"):
    return client.post(
        reverse("admin:partners_direktthrottle_changelist"),
        {"action": "unlock", "_selected_action": [throttle.pk], "reason": reason},
    )


def test_the_firms_referent_sees_the_lock_in_the_admin_and_unlocks_in_the_portal(
    client, login, firm, locked
):
    login(firm.referent)
    listing = client.get(reverse("admin:partners_direktthrottle_changelist"))
    assert listing.status_code == 200
    assert firm.grid in listing.content.decode()
    _unlock(client, locked)
    locked.refresh_from_db()
    assert locked.is_locked
    assert (
        firm.grid
        in client.get(reverse("partner-portal:referent-firm", args=[firm.grid])).content.decode()
    )


def test_an_administrator_unlocks_in_the_admin_with_a_reason_and_the_firm_audit(
    client, login, administrator, firm, locked
):
    from partners.models import FirmAuditEntry

    login(administrator)
    _unlock(client, locked)
    locked.refresh_from_db()
    assert not locked.is_locked
    assert locked.unlocked_by == administrator
    entry = FirmAuditEntry.objects.get(firm=firm, action=FirmAuditEntry.Action.GRID_UNLOCKED)
    assert (entry.by, entry.detail) == (administrator, "A partner kérte")


def test_another_referent_neither_sees_nor_unlocks_the_grid(client, login, make_user, locked):
    login(make_user("referent"))
    listing = client.get(reverse("admin:partners_direktthrottle_changelist"))
    assert locked.grid not in listing.content.decode()
    _unlock(client, locked)
    locked.refresh_from_db()
    assert locked.is_locked


def test_an_agent_has_no_back_office(client, login, agent, locked):
    login(agent)
    response = client.get(reverse("admin:partners_direktthrottle_changelist"))
    assert response.status_code == 302  # to the admin login: agents are not staff


def test_administrator_edits_a_prompt_and_the_ivr_says_it(client, login, administrator, provider):
    login(administrator)
    prompt = IvrPrompt.objects.get(key="welcome")
    response = client.post(
        reverse("admin:calls_ivrprompt_change", args=[prompt.pk]),
        {"text_hu": "Új üdvözlés.", "text_en": "New welcome.", "audio_url": ""},
    )
    assert response.status_code == 302
    assert provider.call().heard == ["Új üdvözlés."]


def test_supervisor_reads_a_ticket_without_the_code(client, login, supervisor, provider, firm):
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    from calls.models import CallTicket

    ticket = CallTicket.objects.get(call_sid=call.sid)
    login(supervisor)
    page = client.get(reverse("admin:calls_callticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert firm.grid in body and STAFF_CODE not in body
