"""Guessing limits: back-off, the hard lock and its unlock, the calling number's daily cap."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection
from django.test import Client

from calls.models import CallTicket, VerificationAttempt
from partners.models import DirektLockEvent, DirektThrottle
from partners.services import grid_unlock
from partners.verification import Outcome, direkt_verify
from tests.calls.conftest import STAFF_CODE, texts
from tests.calls.fake_provider import ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db


def _fail_twice(provider, grid, number="+36301234567"):
    call = provider.call(from_number=number).press("1").press(grid).press("0000")
    return call.press(grid).press("0001")


def test_the_ninth_consecutive_failure_locks_the_grid_and_emails_referent_and_managers(
    provider, firm, django_capture_on_commit_callbacks, settings
):
    assert settings.DIREKT_LOCK_AFTER_FAILURES == 9  # keeps a code's odds under 0.1%
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            _fail_twice(provider, firm.grid, number=f"+3630000000{n}")
        assert not DirektThrottle.objects.get(grid=firm.grid).is_locked
        provider.call(from_number="+36300000009").press("1").press(firm.grid).press("0000")
    throttle = DirektThrottle.objects.get(grid=firm.grid)
    assert throttle.failure_count == 9
    assert throttle.is_locked
    assert DirektLockEvent.objects.filter(grid=firm.grid, kind="locked").count() == 1
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == [
        "helyettes@alkusz.example.hu",
        "referens@biztosito.example.hu",
        "vezeto@alkusz.example.hu",
    ]
    assert firm.grid in mail.outbox[0].subject
    assert STAFF_CODE not in mail.outbox[0].body


def test_locked_grid_refuses_even_the_right_code_with_the_usual_answer(provider, firm):
    for n in range(5):
        _fail_twice(provider, firm.grid, number=f"+3630000000{n}")
    call = provider.call(from_number="+36309999999").press("1").press(firm.grid).press(STAFF_CODE)
    assert call.heard[-2:] == texts("retry", "ask_grid")
    attempt = VerificationAttempt.objects.filter(ticket__call_sid=call.sid).get()
    assert attempt.outcome == Outcome.LOCKED


def test_unknown_grid_locks_like_a_known_one_and_emails_nobody(provider, firm):
    for n in range(5):
        _fail_twice(provider, "900000001", number=f"+3630000000{n}")
    assert DirektThrottle.objects.get(grid="900000001").is_locked
    assert mail.outbox == []


def test_referent_unlocks_and_the_right_code_works_again(provider, firm):
    for n in range(5):
        _fail_twice(provider, firm.grid, number=f"+3630000000{n}")
    grid_unlock(grid=firm.grid, by=firm.referent, reason="jogos hívó")
    throttle = DirektThrottle.objects.get(grid=firm.grid)
    assert not throttle.is_locked and throttle.failure_count == 0
    assert throttle.unlocked_by == firm.referent
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued"
    assert DirektLockEvent.objects.filter(kind="unlocked", by=firm.referent).exists()


def test_a_firm_manager_may_unlock(firm):
    manager = firm.managers.filter(revoked_at__isnull=True).first().user
    grid_unlock(grid=firm.grid, by=manager)


def test_another_firms_referent_or_a_revoked_manager_may_not_unlock(firm, make_user):
    other_referent = make_user("referent")
    revoked = firm.managers.filter(revoked_at__isnull=False).get().user
    for user in (other_referent, revoked):
        with pytest.raises(PermissionDenied):
            grid_unlock(grid=firm.grid, by=user, reason="x")


def test_success_resets_the_consecutive_count(provider, firm):
    _fail_twice(provider, firm.grid)
    provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    assert DirektThrottle.objects.get(grid=firm.grid).failure_count == 0


def test_back_off_refuses_an_attempt_right_after_a_failure_without_counting_it(
    provider, firm, settings
):
    settings.DIREKT_THROTTLE_FACTOR = 60
    call = provider.call().press("1").press(firm.grid).press("0000")
    call.press(firm.grid).press(STAFF_CODE)  # the right code, but within the back-off
    assert call.last_heard == texts("failed")[0]
    outcomes = [a.outcome for a in VerificationAttempt.objects.order_by("number")]
    assert outcomes == [Outcome.WRONG_CODE, Outcome.THROTTLED]
    assert DirektThrottle.objects.get(grid=firm.grid).failure_count == 1


def test_calling_number_over_its_daily_cap_is_refused_across_grids(provider, firm, settings):
    settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY = 3
    _fail_twice(provider, "900000001", number="+36305550000")
    call = provider.call(from_number="+36305550000").press("1").press("900000002").press("0000")
    call.press(firm.grid).press(STAFF_CODE)
    assert call.state == "ended"
    last = VerificationAttempt.objects.filter(ticket__call_sid=call.sid).last()
    assert last.outcome == Outcome.NUMBER_CAPPED
    # Another number is not affected, and the capped attempt cost the GRID nothing.
    assert (
        provider.call(from_number="+36305550001")
        .press("1")
        .press(firm.grid)
        .press(STAFF_CODE)
        .state
        == "queued"
    )


def test_withheld_numbers_share_one_counter(firm, settings):
    settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY = 2
    for number in ("anonymous", "", "+266696687"):
        result = direkt_verify(grid=firm.grid, code="0000", calling_number=number)
    assert result.outcome == Outcome.NUMBER_CAPPED


def test_staff_code_is_not_accepted_where_the_manager_code_is_asked(firm):
    result = direkt_verify(grid=firm.grid, code=STAFF_CODE, calling_number="+3630", role="manager")
    assert result.outcome == Outcome.OTHER_ROLE_CODE
    assert not result.ok and result.counted


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("factor", "counted"), [(0, 6), (60, 1)])
def test_parallel_failing_calls_on_one_grid_count_exactly(
    provider, firm, settings, factor, counted
):
    """Six callers fail on one GRID at the same moment. Without back-off every failure counts;
    with it, exactly one attempt is checked and counted and the others are refused unchecked."""
    settings.DIREKT_THROTTLE_FACTOR = factor
    callers = 6
    ready = [
        provider.call(from_number=f"+3620111000{n}").press("1").press(firm.grid)
        for n in range(callers)
    ]
    for call in ready:  # one client (one connection) per caller, as on a real server
        call.provider = FakeProvider(ClientTransport(Client()))
    barrier = threading.Barrier(callers)
    errors = []

    def fail(call):
        try:
            barrier.wait()
            call.press("0000")
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=fail, args=(call,)) for call in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert DirektThrottle.objects.get(grid=firm.grid).failure_count == counted
    assert VerificationAttempt.objects.filter(outcome=Outcome.WRONG_CODE).count() == counted
    assert (
        VerificationAttempt.objects.filter(outcome=Outcome.THROTTLED).count() == callers - counted
    )
    assert CallTicket.objects.filter(stage=CallTicket.Stage.GRID).count() == callers
