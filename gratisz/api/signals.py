"""Turn changes in the lower apps into outgoing webhook events.

The lower apps do not know about the API (they may not import it); this top-level app listens
to their models' saves, and to the signals they send where a save does not tell enough.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from certificates.signals import delivery_finished
from claims.services import PhoneReport
from claims.signals import claim_reported
from partners.models import DirektCode, DirektLockEvent

from .models import WebhookEvent
from .services import certificate_event_emit, claim_event_emit, event_emit


@receiver(post_save, sender=DirektCode, dispatch_uid="api-direkt-code-rotated")
def _direkt_code_created(sender, instance: DirektCode, created: bool, raw=False, **kwargs):
    if created and not raw:
        event_emit(
            type=WebhookEvent.DIREKT_CODE_ROTATED,
            data={"grid": instance.firm.grid, "role": instance.role, "at": instance.created_at},
        )


@receiver(post_save, sender=DirektLockEvent, dispatch_uid="api-grid-locked")
def _grid_locked(sender, instance: DirektLockEvent, created: bool, raw=False, **kwargs):
    if created and not raw and instance.kind == DirektLockEvent.Kind.LOCKED:
        event_emit(
            type=WebhookEvent.GRID_LOCKED,
            data={"grid": instance.grid, "at": instance.at, "failures": instance.failure_count},
        )


@receiver(claim_reported, dispatch_uid="api-claim-reported")
def _claim_reported(sender, claim_id: int, report: PhoneReport, **kwargs):
    # Only the claims service sends this, for a phone report once it has its final number;
    # claims that the core systems' sync creates are theirs already, not news to them.
    claim_event_emit(claim_id=claim_id, report=report)


@receiver(delivery_finished, dispatch_uid="api-certificate-delivery-finished")
def _certificate_delivery_finished(sender, delivery_id: int, **kwargs):
    certificate_event_emit(delivery_id=delivery_id)
