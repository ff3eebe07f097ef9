"""The retries of what GrATISZ asks of the telephony provider, on the one retry policy
(``outbox.retry.RetryPolicy``: the same doubling back-off and limit as the e-mails,
certificate deliveries and webhooks), with the telephony's own numbers: a caller waiting on the
line is put through again within seconds, a recording is fetched again within minutes.
"""

from django.conf import settings

from outbox.retry import RetryPolicy

# The first retry of a connection after a second, then 2, 4, 8…, at most half a minute apart.
CONNECT_RETRY_BASE_SECONDS = 1
CONNECT_RETRY_MAX_SECONDS = 30
# The first retry of a recording's download (or deletion) after 15 seconds, then 30, 60…
RECORDING_RETRY_BASE_SECONDS = 15


def connect_retry_policy() -> RetryPolicy:
    """Return the policy of putting a caller through (``TELEPHONY_CONNECT_ATTEMPTS`` tries)."""
    return RetryPolicy(
        base_seconds=CONNECT_RETRY_BASE_SECONDS,
        max_seconds=CONNECT_RETRY_MAX_SECONDS,
        max_attempts=settings.TELEPHONY_CONNECT_ATTEMPTS,
    )


def recording_retry_policy() -> RetryPolicy:
    """Return the policy of a recording's download and deletion at the provider
    (``TELEPHONY_RECORDING_FETCH_ATTEMPTS`` tries, at most
    ``TELEPHONY_RECORDING_RETRY_MAX_SECONDS`` apart)."""
    return RetryPolicy(
        base_seconds=RECORDING_RETRY_BASE_SECONDS,
        max_seconds=settings.TELEPHONY_RECORDING_RETRY_MAX_SECONDS,
        max_attempts=settings.TELEPHONY_RECORDING_FETCH_ATTEMPTS,
    )
