"""One sweep for everything that is sent with retries: celery beat runs ``outbox.sweep`` every
minute, which runs each registered sweep (the outbox's e-mails, the certificate deliveries, the
webhooks). A sweep queues again what no task is trying: saved while the broker was down, a
retry whose message was lost, a worker that died while sending.

The apps above register their own sweep in ``AppConfig.ready``, so this layer imports none of
them.
"""

import logging
from collections.abc import Callable, Sized

logger = logging.getLogger(__name__)

_SWEEPS: dict[str, Callable[[], Sized | int]] = {}


def sweep_register(name: str, sweep: Callable[[], Sized | int]) -> None:
    """Have the periodic sweep call ``sweep`` (returning what it queued, or how many)."""
    _SWEEPS[name] = sweep


def sweep_all() -> dict[str, int]:
    """Run every registered sweep; return how many items each queued again.

    A sweep that fails is logged and does not stop the others.
    """
    queued = {}
    for name, sweep in _SWEEPS.items():
        try:
            found = sweep()
        except Exception:
            logger.exception("the %s sweep failed", name)
            continue
        queued[name] = found if isinstance(found, int) else len(found)
    return queued
