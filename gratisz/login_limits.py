"""Password guessing limits: django-axes' database handler with a per-address limit of its own.

Axes counts failures per username and per address within the cool-off and locks when either
reaches ``AXES_FAILURE_LIMIT``. One limit for both would lock a whole office behind one NAT
address after a few colleagues' typos, so the address's count is scaled: it locks at
``LOGIN_FAILURES_PER_ADDRESS`` failures, the username's at ``LOGIN_FAILURES_PER_ACCOUNT``.
Failures of unknown usernames count exactly like known ones, so a lock says nothing about
whether an account exists, and while locked even the right password is refused before it is
checked (``AxesStandaloneBackend`` comes first).
"""

import logging
import math

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

logger = logging.getLogger("gratisz.security")


class LoginFailureHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Return the failures that count against this login, on the per-account scale."""
        per_account, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scaled = math.floor(
            per_address * settings.LOGIN_FAILURES_PER_ACCOUNT / settings.LOGIN_FAILURES_PER_ADDRESS
        )
        return max(per_account, scaled)
