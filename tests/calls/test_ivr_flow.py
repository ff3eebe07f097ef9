"""The phone flow as a caller lives it, through the fake provider."""

import datetime
import logging

import pytest
from django.db import connection

from calls.ivr.flow import ivr_prompts_forget
from calls.models import CallTicket, IvrStep, VerificationAttempt
from partners.verification import Outcome
from tests.calls.conftest import MANAGER_CODE, STAFF_CODE, texts

pytestmark = pytest.mark.django_db

State = CallTicket.State


def test_menu_1_verified_caller_waits_in_the_contracts_queue(provider, firm):
    call = provider.call(from_number="+36201112233")
    assert call.heard == texts("welcome")
    call.press("1")
    assert call.last_heard == texts("ask_grid")[0]
    call.press(firm.grid)
    assert call.last_heard == texts("ask_code")[0]
    call.press(STAFF_CODE)

    assert call.state == "queued"
    assert call.queue == "contracts"
    assert call.heard[-2:] == texts("verified", "waiting")
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == State.WAITING
    assert ticket.firm == firm
    assert ticket.menu == "1"
    assert ticket.grid_entered == firm.grid
    assert ticket.from_number == "+36201112233"
    assert ticket.verified_at is not None
    assert list(ticket.verification_attempts.values_list("outcome", flat=True)) == ["verified"]


def test_menu_2_goes_to_the_claims_queue_and_records_from_the_queue(provider, firm):
    call = provider.call().press("2").press(firm.grid).press(STAFF_CODE)
    assert call.queue == "claims"
    verified_answer = call.answers[-2]
    # The recording starts with the queue, never during the IVR (the code's DTMF tones).
    assert "<Recording" in verified_answer
    assert all("<Recording" not in answer for answer in call.answers[:-2])


def test_grid_can_be_finished_with_the_hash_key(provider, firm):
    call = provider.call().press("1").press(firm.grid + "#").press(STAFF_CODE + "#")
    assert call.state == "queued"


def test_first_failure_asks_for_both_codes_again_and_then_succeeds(provider, firm):
    call = provider.call().press("1").press(firm.grid).press("0000")
    assert call.heard[-2:] == texts("retry", "ask_grid")
    assert call.state == "gather"
    call.press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued"
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert [a.outcome for a in ticket.verification_attempts.all()] == ["wrong_code", "verified"]


def test_second_failure_says_goodbye_and_hangs_up(provider, firm):
    call = provider.call().press("1").press(firm.grid).press("0000")
    call.press(firm.grid).press("9999")
    assert call.state == "ended"
    assert call.last_heard == texts("failed")[0]
    assert "<Hangup" in call.answers[-2]  # the last exchange is the status callback
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == State.FAILED_VERIFICATION
    assert ticket.firm is None
    assert ticket.verified_at is None
    assert ticket.ended_at is not None


def test_unknown_grid_and_wrong_code_get_the_same_answers(provider, firm):
    wrong_code = provider.call().press("1").press(firm.grid).press("4444")
    wrong_code.press(firm.grid).press("4444")
    unknown_grid = provider.call().press("1").press("987654321").press(STAFF_CODE)
    unknown_grid.press("987654321").press(STAFF_CODE)

    assert wrong_code.heard == unknown_grid.heard
    # The same TwiML, verb for verb, apart from the step numbers that are the same too.
    assert wrong_code.answers == unknown_grid.answers
    outcomes = VerificationAttempt.objects.order_by("ticket__started_at", "number")
    assert [a.outcome for a in outcomes] == [
        Outcome.WRONG_CODE,
        Outcome.WRONG_CODE,
        Outcome.UNKNOWN_GRID,
        Outcome.UNKNOWN_GRID,
    ]


def test_no_menu_choice_repeats_the_menu_once_then_says_goodbye(provider, firm):
    call = provider.call().silence()
    assert call.last_heard == texts("menu_again")[0]
    call.silence()
    assert call.last_heard == texts("no_choice_goodbye")[0]
    assert call.state == "ended"
    assert CallTicket.objects.get(call_sid=call.sid).menu == ""


def test_an_invalid_key_repeats_the_menu_and_a_valid_one_then_works(provider, firm):
    call = provider.call().press("7")
    assert call.last_heard == texts("menu_again")[0]
    call.press("1").press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued"


def test_invalid_keys_twice_say_goodbye(provider, firm):
    call = provider.call().press("*").press("0")
    assert call.last_heard == texts("no_choice_goodbye")[0]
    assert call.state == "ended"


def test_letters_and_overlong_digits_are_failed_identifications(provider, firm):
    call = provider.call().press("1").press(firm.grid + "12", raw=True)
    assert call.last_heard == texts("ask_code")[0]  # asked for the code anyway: same path
    call.press(STAFF_CODE)
    assert call.heard[-2:] == texts("retry", "ask_grid")
    call.press(firm.grid).press("58A9", raw=True)
    assert call.last_heard == texts("failed")[0]
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert [a.outcome for a in ticket.verification_attempts.all()] == [
        Outcome.MALFORMED_GRID,
        Outcome.WRONG_CODE,
    ]
    assert ticket.grid_entered == firm.grid


def test_silence_at_the_code_prompt_is_a_failed_identification(provider, firm):
    call = provider.call().press("1").press(firm.grid).silence()
    assert call.heard[-2:] == texts("retry", "ask_grid")


def test_a_short_entry_at_the_grid_prompt_is_not_kept(provider, firm):
    # A caller who types the Direkt code where the GRID is asked: it must not be stored.
    call = provider.call().press("1").press(STAFF_CODE + "#")
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.grid_entered == ""
    assert STAFF_CODE not in "".join(ticket.ivr_steps.values_list("input_summary", flat=True))


def test_typed_codes_appear_in_no_table_and_no_log(provider, firm, caplog):
    caplog.set_level(logging.DEBUG)
    call = provider.call().press("1").press(firm.grid).press("7153")
    call.press(firm.grid).press(STAFF_CODE)
    call2 = provider.call().press("3").press(firm.grid).press(MANAGER_CODE)
    call2.press("6284").press("6284")
    assert call.state == "queued" and call2.state == "ended"

    for code in ("7153", STAFF_CODE, MANAGER_CODE, "6284"):
        assert code not in caplog.text
        for table in (
            "calls_callticket",
            "calls_ivrstep",
            "calls_verificationattempt",
            "partners_direktthrottle",
            "partners_callingnumberfailures",
        ):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
                for row in cursor.fetchall():
                    # Times are left out: their microseconds may hold any four digits.
                    cells = [
                        str(c)
                        for c in row
                        if not str(c).startswith("CA") and not isinstance(c, datetime.date)
                    ]
                    assert not any(code in cell for cell in cells), (table, code, row)
    steps = IvrStep.objects.filter(ticket__call_sid=call.sid, stage="code")
    assert set(steps.values_list("input_summary", flat=True)) == {"4 digits"}


def test_caller_hangs_up_in_the_queue_and_the_ticket_is_abandoned(provider, firm):
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    call.hang_up()
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == State.ABANDONED
    assert ticket.queue_result == "hangup"
    assert ticket.ended_at is not None


def test_caller_hangs_up_in_the_ivr_and_the_ticket_is_abandoned(provider, firm):
    call = provider.call().press("2")
    call.hang_up()
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == State.ABANDONED
    assert ticket.provider_status == "completed"


def test_english_line_speaks_the_english_texts(provider, firm, settings):
    settings.IVR_LANGUAGE = "en"
    call = provider.call()
    assert call.heard[0].startswith("Dear Partner, welcome")
    assert 'language="en-GB"' in call.answers[0]


def test_prompt_with_an_audio_url_is_played(provider, firm):
    from calls.models import IvrPrompt

    IvrPrompt.objects.filter(key="welcome").update(audio_url="https://cdn.example.hu/w.mp3")
    ivr_prompts_forget()  # what the admin does on save
    call = provider.call()
    assert call.heard == ["<play https://cdn.example.hu/w.mp3>"]
