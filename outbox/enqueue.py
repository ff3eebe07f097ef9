"""Queue a Celery task for a saved row, safe when the broker is down.

Every row that a worker processes (an e-mail, a certificate delivery, a webhook, a connection,
a recording's download) is saved first and queued after the commit, so that a worker never
looks for a row that is not there yet. If the broker is down at that moment the request still
succeeds: the row waits as saved and the periodic sweep (``outbox.sweep``) queues it once the
broker is back; where someone waits for the result, ``fallback`` does the work at once.
"""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(
    task: Any, *args: Any, what: str = "", fallback: Callable[[], object] | None = None
) -> None:
    """Queue ``task.delay(*args)`` after the current transaction commits (at once outside
    one), as ``enqueue`` does. ``what`` names the row in the log."""
    transaction.on_commit(partial(enqueue, task, *args, what=what, fallback=fallback))


def enqueue(
    task: Any, *args: Any, what: str = "", fallback: Callable[[], object] | None = None
) -> None:
    """Queue ``task.delay(*args)`` now; if the broker refuses, log it and run ``fallback``, or
    leave the row for the sweep."""
    try:
        task.delay(*args)
    except Exception:
        what = what or f"{task.name}{args}"
        if fallback is None:
            logger.exception("could not queue %s; left for the sweep", what)
        else:
            logger.exception("could not queue %s; doing it now", what)
            fallback()
