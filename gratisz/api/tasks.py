"""Celery tasks of the outgoing webhooks: they take ids and call the services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    """Try one delivery now; the sweep retries it when its back-off has run out.

    Idempotent (the service skips a delivery that is finished or not due), hence acks_late."""
    return services.webhook_deliver(delivery_id=delivery_id)


@shared_task
def sweep_webhooks() -> int:
    """Queue every delivery whose retry is due (run every minute by the one sweep,
    ``outbox.sweep``)."""
    due = services.webhooks_due()
    for pk in due:
        deliver_webhook.delay(pk)
    return len(due)
