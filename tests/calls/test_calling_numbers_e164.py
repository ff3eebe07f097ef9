"""One phone number however it is written: the per-number failure cap, the IVR,
CTI events and the desk's manual verification all count and keep it as E.164."""

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.cti import cti_event_record
from calls.models import CallTicket
from partners.models import CallingNumberFailures
from partners.verification import Outcome, direkt_verify, e164

pytestmark = pytest.mark.django_db

SPELLINGS = ["06 30 123 4567", "0036301234567", "+36-30-123-4567", "+36 (30) 123-4567"]


@pytest.mark.parametrize("written", SPELLINGS)
def test_every_spelling_is_one_e164_number(written):
    assert e164(written) == "+36301234567"


@pytest.mark.parametrize("written", ["", "anonymous", "Restricted", "+266696687", "abc", "12"])
def test_withheld_and_invalid_numbers_have_no_e164(written):
    assert e164(written) is None


def test_three_spellings_of_one_number_share_one_failure_budget(firm, settings):
    settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY = 3
    for written in SPELLINGS[:3]:
        result = direkt_verify(grid=firm.grid, code="0000", calling_number=written)
        assert result.outcome == Outcome.WRONG_CODE
    result = direkt_verify(grid=firm.grid, code="0000", calling_number=SPELLINGS[3])
    assert result.outcome == Outcome.NUMBER_CAPPED
    row = CallingNumberFailures.objects.get()
    assert (row.number, row.failure_count) == ("+36301234567", 3)
    # Another number keeps its own budget.
    other = direkt_verify(grid=firm.grid, code="0000", calling_number="06 30 765 4321")
    assert other.outcome == Outcome.WRONG_CODE


def test_withheld_and_invalid_numbers_share_one_counter(firm, settings):
    settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY = 2
    direkt_verify(grid=firm.grid, code="0000", calling_number="anonymous")
    direkt_verify(grid=firm.grid, code="0000", calling_number="not a number")
    result = direkt_verify(grid=firm.grid, code="0000", calling_number="")
    assert result.outcome == Outcome.NUMBER_CAPPED
    assert list(CallingNumberFailures.objects.values_list("number", flat=True)) == ["anonymous"]


def test_the_ivr_keeps_the_calling_number_as_e164(provider, firm):
    call = provider.call(from_number="06 30 123 4567").press("1").press(firm.grid).press("0000")
    assert CallTicket.objects.get(call_sid=call.sid).from_number == "+36301234567"
    assert CallingNumberFailures.objects.get().number == "+36301234567"


def test_a_cti_event_keeps_the_calling_number_as_e164():
    result = cti_event_record(
        call_id="pbx.1", kind="started", at=timezone.now(), from_number="0036 30 123 4567"
    )
    assert result.ticket.from_number == "+36301234567"


def test_ivr_cti_and_desk_count_one_number_once_each(provider, firm, agent, login, client):
    provider.call(from_number="+36301234567").press("1").press(firm.grid).press("0000")
    cti_event_record(
        call_id="pbx.2", kind="started", at=timezone.now(), from_number="0036301234567"
    )
    cti_event_record(
        call_id="pbx.2",
        kind="identified",
        at=timezone.now(),
        menu="1",
        grid=firm.grid,
        code="0000",
        attempt=1,
    )
    login(agent)
    client.post(
        reverse("desk:manual-verify"),
        {"phone_number": "06-30-123-4567", "grid": firm.grid, "code": "0000", "menu": "1"},
    )
    desk_ticket = CallTicket.objects.get(source=CallTicket.Source.DESK)
    assert desk_ticket.from_number == "+36301234567"
    row = CallingNumberFailures.objects.get()
    assert (row.number, row.failure_count) == ("+36301234567", 3)
