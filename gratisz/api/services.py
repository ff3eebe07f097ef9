"""Writes of the API app: clients and their tokens, outgoing events and webhook deliveries."""

import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from claims.services import PhoneReport
from outbox.enqueue import enqueue_on_commit
from outbox.retry import retry_policy

from . import selectors
from .models import (
    ApiClient,
    OutgoingEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .tokens import TOKEN_PREFIX, token_digest, token_make

SIGNATURE_HEADER = "X-GrATISZ-Signature"
EVENT_HEADER = "X-GrATISZ-Event"
TIMESTAMP_HEADER = "X-GrATISZ-Timestamp"


# --- clients -----------------------------------------------------------------------------------


@transaction.atomic
def api_client_create(
    *, name: str, scopes: list[str], by=None, throttle_rate: str = ""
) -> tuple[ApiClient, str]:
    """Create a client; return it and its token, which is not stored and cannot be shown again."""
    token = token_make()
    client = ApiClient.objects.create(
        name=name,
        scopes=sorted(set(scopes)),
        token_prefix=token[: len(TOKEN_PREFIX) + 4],
        token_hash=token_digest(token),
        created_by=by,
        throttle_rate=throttle_rate,
    )
    return client, token


@transaction.atomic
def api_client_revoke(*, client: ApiClient, by=None) -> None:
    """Revoke ``client``: its token is refused from the next request on. Idempotent."""
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.revoked_by = by
        client.save(update_fields=["revoked_at", "revoked_by"])


# --- outgoing webhooks -------------------------------------------------------------------------


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value: ``sha256=`` HMAC-SHA256 of ``timestamp.body``.

    The timestamp is signed too so that a receiver can refuse a replayed old delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def event_emit(
    *, type: str, data: dict[str, Any], source_key: str | None = None
) -> OutgoingEvent | None:
    """Record an event and queue one delivery per active endpoint subscribed to it.

    Side effects: the deliveries are sent by a Celery task after the surrounding transaction
    commits (so a rolled-back change sends nothing). Returns None when nobody subscribed, or
    when the event of ``source_key`` was already recorded."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if type in e.events]
    if not endpoints:
        return None
    if source_key and OutgoingEvent.objects.filter(source_key=source_key).exists():
        return None
    with transaction.atomic():
        event_id = uuid.uuid4()
        event = OutgoingEvent.objects.create(
            event_id=event_id,
            type=type,
            source_key=source_key,
            payload={
                "id": str(event_id),
                "type": type,
                "created_at": timezone.now().isoformat(),
                "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            },
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(event=event, endpoint=e, next_attempt_at=timezone.now())
                for e in endpoints
            ]
        )
        from . import tasks

        for delivery in deliveries:
            enqueue_on_commit(tasks.deliver_webhook, delivery.pk, what=f"webhook {delivery.pk}")
    return event


def webhook_deliver(*, delivery_id: int) -> str:
    """Try to deliver one webhook once; return its state afterwards.

    Side effects: one WebhookAttempt row (the delivery log); the delivery becomes delivered on a
    2xx answer, else pending with its next attempt time (the one retry policy, ``outbox.retry``),
    or failed for good after ``RETRY_MAX_ATTEMPTS`` tries. A delivery that is not due or already
    finished is left alone, so a duplicate task does nothing."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("event", "endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
            return delivery.state if delivery else "missing"
        now = timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return delivery.state
        # Claim the attempt before the network call: another worker now sees it as not due.
        delivery.attempts += 1
        delivery.next_attempt_at = now + datetime.timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    endpoint, event = delivery.endpoint, delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310  (http/https URLs only, see URLField)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "GrATISZ-webhooks/1",
            EVENT_HEADER: event.type,
            TIMESTAMP_HEADER: timestamp,
            "X-GrATISZ-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(secret=endpoint.secret, timestamp=timestamp, body=body),
        },
    )
    started = timezone.now()
    clock = time.monotonic()
    status_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as answer:  # noqa: S310
            status_code = answer.status
    except urllib.error.HTTPError as refusal:
        status_code, error = refusal.code, f"HTTP {refusal.code}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        error = str(getattr(failure, "reason", failure))[:500] or type(failure).__name__
    elapsed = int((time.monotonic() - clock) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            started_at=started,
            duration_ms=elapsed,
            status_code=status_code,
            error=error,
        )
        if ok:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif retry_policy().exhausted(delivery.attempts):
            delivery.state = WebhookDelivery.State.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = timezone.now() + datetime.timedelta(
                seconds=retry_policy().delay(delivery.attempts)
            )
        delivery.save(update_fields=["state", "delivered_at", "next_attempt_at"])
    return delivery.state


def webhooks_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Return the ids of pending deliveries whose next attempt is due."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )


def certificate_event_emit(*, delivery_id: int) -> OutgoingEvent | None:
    """Emit certificate.sent or certificate.failed for a delivery that just ended.

    Called from the certificates app's ``delivery_finished`` signal, inside the transaction
    that records the end, so the event commits with it. Each outcome is sent once (keyed by
    delivery and attempt count, so a resent delivery reports again)."""
    delivery = selectors.certificate_delivery(delivery_id=delivery_id)
    kind = (
        WebhookEvent.CERTIFICATE_SENT
        if delivery.state == delivery.State.SENT
        else WebhookEvent.CERTIFICATE_FAILED
    )
    request = delivery.request
    certificate = getattr(request, "certificate", None)
    return event_emit(
        type=kind,
        source_key=f"{kind}:{delivery.pk}:{delivery.attempts}",
        data={
            "request_id": request.pk,
            "document_type": request.document_type,
            "policy_number": request.contract.policy_number if request.contract else None,
            "certificate_number": certificate.number if certificate else None,
            "channel": delivery.channel,
            "state": delivery.state,
            "attempts": delivery.attempts,
            "sent_at": delivery.sent_at,
            "error": delivery.last_error,
        },
    )


def claim_event_emit(*, claim_id: int, report: PhoneReport) -> OutgoingEvent | None:
    """Emit claim.reported for a claim just reported by phone, with its final claim number.

    Called from the claims app's ``claim_reported`` signal, inside the transaction that records
    the claim, so the event commits with it; sent once per claim. The data is what the core
    claims system needs to open the claim:

    - ``claim_number`` (final, ``TK`` + year + sequence), ``policy_number``, ``cover``,
      ``event_date``, ``reported_on``;
    - ``event_at``, ``noticed_at`` (ISO 8601 with offset, or null), ``place`` (for a property:
      the risk address), ``description`` (what happened, in the caller's words);
    - ``vehicle``: the damaged vehicle, ``{id, plate, make_and_type}`` (``id`` is the core
      system's vehicle id when the plate is one on the contract, else null), or null;
    - ``at_fault_plate``, ``inspection_place``, ``authorities_involved`` (police or fire
      brigade; null when not asked), ``estimated_amount`` (HUF, or null);
    - ``contact``: whom the adjuster calls, ``{name, address, phone_or_email}``;
    - ``reported_by``: the partner firm that called, ``{grid, name}``, and ``call_reference``
      (the GrATISZ call ticket).

    No Direkt code and none of the identification facts asked on the call."""
    claim = selectors.claim_with_contract(claim_id=claim_id)
    vehicle = None
    if claim.vehicle is not None or report.damaged_plate:
        vehicle = {
            "id": claim.vehicle.external_id if claim.vehicle else None,
            "plate": claim.vehicle.plate if claim.vehicle else report.damaged_plate,
            "make_and_type": report.damaged_vehicle_type,
        }
    firm = report.reported_by
    return event_emit(
        type=WebhookEvent.CLAIM_REPORTED,
        source_key=f"{WebhookEvent.CLAIM_REPORTED}:{claim.pk}",
        data={
            "claim_number": claim.claim_number,
            "policy_number": claim.contract.policy_number,
            "cover": claim.cover,
            "event_date": claim.event_date,
            "reported_on": claim.reported_on,
            "event_at": report.event_at,
            "noticed_at": report.noticed_at,
            "place": report.place,
            "description": report.what_happened,
            "vehicle": vehicle,
            "at_fault_plate": report.at_fault_plate,
            "inspection_place": report.inspection_place,
            "authorities_involved": report.authorities_involved,
            "estimated_amount": report.estimated_amount,
            "contact": {
                "name": report.contact_name,
                "address": report.contact_address,
                "phone_or_email": report.contact_phone_or_email,
            },
            "reported_by": {"grid": firm.grid, "name": firm.name} if firm else None,
            "call_reference": report.call_reference,
        },
    )
