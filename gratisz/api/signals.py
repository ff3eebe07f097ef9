"""Turn changes in the lower apps into outgoing webhook events.

The lower apps do not know about the API (they may not import it); this top-level app listens
to their models' saves instead.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from certificates.signals import delivery_finished
from claims.models import Claim
from partners.models import DirektCode, DirektLockEvent

from .models import WebhookEvent
from .services import certificate_event_emit, event_emit


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


@receiver(post_save, sender=Claim, dispatch_uid="api-claim-reported")
def _claim_reported(sender, instance: Claim, created: bool, raw=False, **kwargs):
    # Claims reported by phone here; those from the core systems' sync are not news to them.
    if created and not raw and instance.origin != Claim.Origin.CORE:
        event_emit(
            type=WebhookEvent.CLAIM_REPORTED,
            data={
                "claim_number": instance.claim_number,
                "policy_number": instance.contract.policy_number,
                "event_date": instance.event_date,
                "reported_on": instance.reported_on,
                "cover": instance.cover,
            },
        )


@receiver(delivery_finished, dispatch_uid="api-certificate-delivery-finished")
def _certificate_delivery_finished(sender, delivery_id: int, **kwargs):
    certificate_event_emit(delivery_id=delivery_id)
