"""Menu 3: a firm manager changes the staff Direkt code by phone."""

import pytest
from django.core import mail
from django.utils import translation

from calls.models import CallTicket
from partners.models import DirektCode, FirmAuditEntry
from partners.selectors import direkt_code_is_valid
from partners.verification import Outcome
from tests.calls.conftest import MANAGER_CODE, STAFF_CODE, texts

pytestmark = pytest.mark.django_db

NEW_CODE = "6284"


def _as_manager(provider, firm):
    call = provider.call(from_number="+36209876543").press("3").press(firm.grid)
    assert call.last_heard == texts("ask_manager_code")[0]
    call.press(MANAGER_CODE)
    assert call.last_heard == texts("ask_new_code")[0]
    return call


def test_manager_changes_the_staff_code_and_every_active_manager_is_emailed(
    provider, firm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = _as_manager(provider, firm).press(NEW_CODE)
        assert call.last_heard == texts("ask_new_code_again")[0]
        call.press(NEW_CODE)
    assert call.last_heard == texts("code_changed")[0]
    assert call.state == "ended"
    assert direkt_code_is_valid(firm=firm, role=DirektCode.Role.STAFF, code=NEW_CODE)
    assert not direkt_code_is_valid(firm=firm, role=DirektCode.Role.STAFF, code=STAFF_CODE)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "helyettes@alkusz.example.hu",
        "vezeto@alkusz.example.hu",
    ]
    assert "+36209876543" in mail.outbox[0].body
    assert NEW_CODE not in mail.outbox[0].body
    # The change is in the firm's audit, as a portal change would be: who (by phone, from
    # which number), when, which code.
    entry = FirmAuditEntry.objects.get(firm=firm)
    assert (entry.action, entry.roles, entry.by) == ("code_rotated", "staff", None)
    assert entry.calling_number == "+36209876543"
    with translation.override("hu"):
        assert entry.who == "egy vezető telefonon (3-as menü), a +36209876543 számról"
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == CallTicket.State.COMPLETED
    assert ticket.code_changed_at is not None
    assert ticket.pending_code_hash == "" and ticket.pending_code_salt == ""


def test_the_new_code_works_on_the_next_call(provider, firm):
    _as_manager(provider, firm).press(NEW_CODE).press(NEW_CODE)
    assert provider.call().press("1").press(firm.grid).press(NEW_CODE).state == "queued"


@pytest.mark.parametrize(
    ("first", "refusal"),
    [
        ("1234", "new_code_trivial"),
        ("1111", "new_code_trivial"),
        ("1212", "new_code_trivial"),
        (STAFF_CODE, "new_code_reused"),
        (MANAGER_CODE, "new_code_same_as_other"),
        ("12", "new_code_format"),
    ],
)
def test_policy_refuses_a_bad_new_code_and_asks_again(provider, firm, first, refusal):
    call = _as_manager(provider, firm).press(first + "#")
    assert call.heard[-2:] == texts(refusal, "ask_new_code")
    call.press(NEW_CODE).press(NEW_CODE)
    assert call.last_heard == texts("code_changed")[0]


def test_two_codes_that_differ_are_refused(provider, firm):
    call = _as_manager(provider, firm).press(NEW_CODE).press("6285")
    assert call.heard[-2:] == texts("new_code_mismatch", "ask_new_code")
    assert direkt_code_is_valid(firm=firm, role=DirektCode.Role.STAFF, code=STAFF_CODE)


def test_two_refusals_end_the_call_and_nothing_changes(provider, firm):
    call = _as_manager(provider, firm).press("0000").press("4321")
    assert call.heard[-2:] == texts("new_code_trivial", "new_code_give_up")
    assert call.state == "ended"
    assert direkt_code_is_valid(firm=firm, role=DirektCode.Role.STAFF, code=STAFF_CODE)
    assert mail.outbox == []


def test_staff_code_on_menu_3_is_refused_with_the_advice_to_ask_the_firm_leader(provider, firm):
    call = provider.call().press("3").press(firm.grid).press(STAFF_CODE)
    # No different answer for a staff code than for a wrong one (it would confirm the code).
    assert call.heard[-2:] == texts("retry", "ask_grid")
    call.press(firm.grid).press(STAFF_CODE)
    assert call.last_heard == texts("menu3_failed")[0]
    assert "vezetőjéhez" in call.last_heard
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == CallTicket.State.FAILED_VERIFICATION
    outcomes = [a.outcome for a in ticket.verification_attempts.all()]
    assert outcomes == [Outcome.OTHER_ROLE_CODE, Outcome.OTHER_ROLE_CODE]
    assert direkt_code_is_valid(firm=firm, role=DirektCode.Role.STAFF, code=STAFF_CODE)


def test_manager_code_is_not_accepted_on_menu_1(provider, firm):
    call = provider.call().press("1").press(firm.grid).press(MANAGER_CODE)
    assert call.heard[-2:] == texts("retry", "ask_grid")


def test_a_change_from_a_withheld_number_says_so_in_the_audit(provider, firm):
    call = provider.call(from_number="anonymous").press("3").press(firm.grid)
    call.press(MANAGER_CODE).press(NEW_CODE).press(NEW_CODE)
    assert call.last_heard == texts("code_changed")[0]
    entry = FirmAuditEntry.objects.get(firm=firm)
    with translation.override("hu"):
        assert entry.who == "egy vezető telefonon (3-as menü), rejtett számról"


def test_a_code_made_invalid_meanwhile_is_refused_at_the_confirmation_and_asked_again(
    provider, firm
):
    from partners.services import direkt_code_rotate

    call = _as_manager(provider, firm).press(NEW_CODE)
    assert call.last_heard == texts("ask_new_code_again")[0]
    # Meanwhile a colleague sets the same code in the portal: it is no longer a new one.
    direkt_code_rotate(firm=firm, codes={DirektCode.Role.STAFF: NEW_CODE}, by=None)
    call.press(NEW_CODE)
    assert call.heard[-2:] == texts("new_code_reused", "ask_new_code")
    assert FirmAuditEntry.objects.filter(firm=firm).count() == 1  # only the portal's change
