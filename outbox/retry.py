"""The one retry policy of everything the product sends: e-mails, certificate deliveries and
webhooks wait ``RETRY_BASE_SECONDS`` after the first failed try, then twice as long after each
further one, at most ``RETRY_MAX_SECONDS``, and fail for good after ``RETRY_MAX_ATTEMPTS`` tries.

What is asked of the telephony provider (putting a caller through, fetching a recording) backs
off by the same ``RetryPolicy`` with its own numbers (``calls.telephony.retry``).
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off, capped, with a bounded number of tries."""

    base_seconds: int
    max_seconds: int
    max_attempts: int

    def delay(self, attempts: int) -> int:
        """Return the seconds to wait after the ``attempts``-th failed try: base × 2^(n−1)."""
        return int(min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds))

    def exhausted(self, attempts: int) -> bool:
        """Return whether ``attempts`` tries are all that may be made."""
        return attempts >= self.max_attempts


def retry_policy() -> RetryPolicy:
    """Return the policy as the settings say now (tests and workers may change them)."""
    return RetryPolicy(
        base_seconds=settings.RETRY_BASE_SECONDS,
        max_seconds=settings.RETRY_MAX_SECONDS,
        max_attempts=settings.RETRY_MAX_ATTEMPTS,
    )
