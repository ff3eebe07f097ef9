"""Celery tasks: take ids, call a service. Deliveries are idempotent, hence ``acks_late``."""

from celery import shared_task

from outbox.enqueue import enqueue, enqueue_on_commit

from . import services
from .fax import TransientDeliveryError


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver(self, delivery_id: int) -> str:
    """Render and send one delivery; retry with exponential back-off on temporary errors."""
    try:
        return services.delivery_process(delivery_id=delivery_id)
    except TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc


@shared_task(acks_late=True)
def report_dictated_destination(delivery_id: int) -> bool:
    """Tell the firm's managers that a document went to a destination not on file."""
    return services.dictated_destination_report(delivery_id=delivery_id)


@shared_task
def sweep_deliveries() -> int:
    """Queue again what is stuck, and announce the letters of posted batches whose undo
    window has passed (the one sweep, ``outbox.sweep``, runs it every minute)."""
    services.print_batches_announce()
    return len(services.deliveries_sweep())


@shared_task
def build_print_batch() -> int | None:
    """Collect the day's letters for the mailroom (daily, from beat)."""
    batch = services.print_batch_build()
    return batch.pk if batch else None


def enqueue_delivery(delivery_id: int, *, on_commit: bool = False) -> None:
    """Queue the delivery (after the commit, with ``on_commit``); if the broker is down, the
    request is saved all the same and the sweep queues it once the broker is back."""
    queue = enqueue_on_commit if on_commit else enqueue
    queue(deliver, delivery_id, what=f"delivery {delivery_id}")


def enqueue_dictated_report(delivery_id: int) -> None:
    """Queue, after the commit, the report of a destination the caller dictated."""
    enqueue_on_commit(
        report_dictated_destination, delivery_id, what=f"the report of delivery {delivery_id}"
    )
