"""Celery tasks of the desk: putting a taken caller through to the agent, and its sweep.
(The desk's e-mails go through the outbox.)"""

from celery import shared_task

from calls import push
from calls.telephony.retry import connect_retry_policy

from . import connection


@shared_task(
    bind=True,
    name="calls.connect_call",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def connect_call_task(self, handling_id: int) -> str:
    """Have the provider put the caller of a call taken on the desk through to the agent.

    Idempotent (``connection.call_connect`` redirects a call once per connection), so a
    redelivered message is harmless: it sends nothing once the outcome is recorded, and while
    another worker is asking the provider it looks again later. Temporary failures are tried
    again 1, 2, 4, 8… seconds later (``calls.telephony.retry``), as the caller is waiting; after
    ``TELEPHONY_CONNECT_ATTEMPTS`` tries the desk shows the failure (the agent may connect
    again from the call screen, which queues this task anew).
    """
    state = connection.call_connect(handling_id=handling_id)
    if state != connection.ConnectResult.RETRY:
        push.handling_changed(handling_id)
        return state
    policy, attempts = connect_retry_policy(), self.request.retries + 1
    if policy.exhausted(attempts):
        connection.call_connect_give_up(handling_id=handling_id)
        push.handling_changed(handling_id)
        return connection.Connection.FAILED
    raise self.retry(countdown=policy.delay(attempts))


@shared_task(name="calls.sweep_connections")
def sweep_connections() -> int:
    """Queue again the connections whose task was lost (runs from celery beat)."""
    stalled = connection.connections_sweep()
    for handling_id in stalled:
        connect_call_task.delay(handling_id)
    return len(stalled)
