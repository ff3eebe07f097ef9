"""The telephony's retries back off by the one retry policy (outbox.retry.RetryPolicy)."""

from calls.telephony.retry import connect_retry_policy, recording_retry_policy
from outbox.retry import RetryPolicy


def test_a_waiting_caller_is_put_through_again_within_seconds(settings):
    settings.TELEPHONY_CONNECT_ATTEMPTS = 7
    policy = connect_retry_policy()
    assert isinstance(policy, RetryPolicy)
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert not policy.exhausted(6)
    assert policy.exhausted(7)


def test_a_recording_fetch_backs_off_from_15_seconds_to_the_settings_cap(settings):
    settings.TELEPHONY_RECORDING_FETCH_ATTEMPTS = 3
    settings.TELEPHONY_RECORDING_RETRY_MAX_SECONDS = 100
    policy = recording_retry_policy()
    assert [policy.delay(n) for n in range(1, 5)] == [15, 30, 60, 100]
    assert not policy.exhausted(2)
    assert policy.exhausted(3)
