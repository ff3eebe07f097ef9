"""Writes for certificates: requests, issuing, the delivery state machine, print batches.

Delivery guarantees. A request and its deliveries are saved first; Celery is told after the
commit (and if the broker is down, the sweep tells it later). A worker claims a delivery under a
row lock with a lease, so one delivery is worked on by one worker at a time; a delivery that is
``sent`` is never sent again, whoever asks. Each e-mail carries a stable Message-ID and each fax
the same idempotency key on every try, so even a worker killed between the transport's
acceptance and our commit leaves a duplicate the receiving side can recognise.
"""

import datetime
import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from boundary.fields import is_ascii_digits
from outbox.retry import retry_policy
from outbox.services import email_queue, email_render
from partners.models import Contract, Invoice, PartnerFirm

from . import rendering
from .fax import PermanentDeliveryError, TransientDeliveryError, smtp_delivery_error
from .models import (
    CertificateRequest,
    Delivery,
    DeliveryAttempt,
    DocumentCounter,
    DocumentType,
    IssuedCertificate,
    LibraryDocument,
    LibraryDocumentVersion,
    PrintBatch,
    PrintBatchEvent,
)
from .selectors import NotEligible, check_eligibility, document_snapshot, validity_of
from .signals import delivery_finished

logger = logging.getLogger(__name__)

State = Delivery.State
Channel = Delivery.Channel
Outcome = DeliveryAttempt.Outcome


# --- document numbers --------------------------------------------------------------------------


# A number is GR-<year>-<sequence>-<random>-<check>: the yearly sequence keeps numbers unique and
# in issue order for the mailroom, the 8 random digits make the next or previous document's
# number unguessable (1 in 10^8 per try, and /verify/ is rate limited), and the two ISO 7064
# MOD 97-10 check digits (as in an IBAN) over all digits catch a mistyped or altered number.
# Numbers issued before the random part (GR-<year>-<sequence>-<check>) keep verifying.
RANDOM_DIGITS = 8


def _check_digits(year: int, sequence: int, random_part: str = "") -> int:
    """Return the ISO 7064 MOD 97-10 check digits of year + sequence (+ the random part)."""
    return 98 - (int(f"{year}{sequence:06d}{random_part}") * 100) % 97


def number_is_well_formed(number: str) -> bool:
    """Tell whether ``number`` looks like one of ours and its check digits add up.

    A mistyped or altered number fails here before any database lookup.
    """
    parts = number.split("-")
    if (
        len(parts) not in (4, 5)
        or parts[0] != "GR"
        or not all(is_ascii_digits(p) for p in parts[1:])
    ):
        return False
    year, sequence, *random_part, check = parts[1:]
    if len(year) != 4 or len(sequence) < 6 or len(check) != 2:
        return False
    if random_part and len(random_part[0]) != RANDOM_DIGITS:
        return False
    return _check_digits(int(year), int(sequence), "".join(random_part)) == int(check)


def _allocate_number(year: int) -> str:
    """Return the next document number of ``year`` (call inside a transaction)."""
    DocumentCounter.objects.bulk_create([DocumentCounter(year=year)], ignore_conflicts=True)
    counter = DocumentCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    random_part = f"{secrets.randbelow(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"
    check = _check_digits(year, counter.last, random_part)
    return f"GR-{year}-{counter.last:06d}-{random_part}-{check:02d}"


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliverySpec:
    """Where one copy should go. ``destination`` empty: the policyholder's own on file."""

    channel: str
    destination: str = ""
    recipient_name: str = ""
    read_back: bool = False


def _normalise(channel: str, value: str) -> str:
    if channel == Channel.FAX:
        return "".join(ch for ch in value if ch in "0123456789+")
    return " ".join(value.split()).casefold()


def destinations_on_file(
    *, contract: Contract | None, channel: str, firm: PartnerFirm | None = None
) -> dict[str, str]:
    """Return the destinations we hold for the contract's policyholder and firm, by value (the
    policyholder's first); for a document of no contract (a library document), the requesting
    ``firm``'s."""
    holder = contract.policyholder if contract is not None else None
    firm = contract.firm if contract is not None else firm
    if firm is None:
        return {}
    found = {}
    if holder is not None and channel != Channel.FAX:
        found[holder.email if channel == Channel.EMAIL else holder.postal_address] = holder.name
    by_channel: dict[str, str] = {Channel.EMAIL: firm.email, Channel.FAX: firm.fax}
    found[by_channel.get(channel, firm.postal_address)] = firm.name
    return {value: name for value, name in found.items() if value}


def destination_is_on_file(
    *, contract: Contract | None, channel: str, destination: str, firm: PartnerFirm | None = None
) -> bool:
    """Tell whether ``destination`` is one we hold for the contract's policyholder or firm."""
    on_file = destinations_on_file(contract=contract, channel=channel, firm=firm)
    known = {_normalise(channel, value) for value in on_file}
    return _normalise(channel, destination.strip()) in known


def _delivery_from_spec(
    request: CertificateRequest,
    contract: Contract | None,
    spec: DeliverySpec,
    firm: PartnerFirm | None = None,
) -> Delivery:
    if spec.channel not in Channel.values:
        raise ValidationError(_("Unknown delivery channel."))
    on_file = destinations_on_file(contract=contract, channel=spec.channel, firm=firm)
    destination = spec.destination.strip()
    if not destination:
        # The policyholder's own address first, else the partner firm's.
        destination = next(iter(on_file), "")
        if not destination:
            raise ValidationError(_("Give the destination: none is on file for this channel."))
    known = {_normalise(spec.channel, value): name for value, name in on_file.items()}
    is_on_file = _normalise(spec.channel, destination) in known
    if not is_on_file and not spec.read_back:
        raise ValidationError(
            _("A destination that is not on file must be read back to the caller first.")
        )
    if spec.channel == Channel.EMAIL:
        validate_email(destination)
    if spec.channel == Channel.FAX and len(_normalise(Channel.FAX, destination)) < 8:
        raise ValidationError(_("The fax number is too short."))
    recipient = spec.recipient_name or known.get(_normalise(spec.channel, destination), "")
    if not recipient and contract is not None:
        recipient = contract.policyholder.name
    return Delivery(
        request=request,
        channel=spec.channel,
        destination=destination,
        recipient_name=recipient,
        on_file=is_on_file,
        read_back=spec.read_back,
    )


@transaction.atomic
def certificate_request_create(
    *,
    document_type: str,
    requested_by,
    contract: Contract | None = None,
    invoice: Invoice | None = None,
    library_document: LibraryDocument | None = None,
    params: dict | None = None,
    deliveries: list[DeliverySpec] | None = None,
    source: str = "",
    today: datetime.date | None = None,
    firm: PartnerFirm | None = None,
) -> CertificateRequest:
    """Save a document request and its deliveries, and queue them after the commit.

    ``firm``: for a document of no contract (a library document), the partner firm that asked
    for it, whose e-mail address, fax and postal address count as on file.

    Raises ``NotEligible`` (with the reason for the agent) when the document may not be issued
    for this contract, and ``ValidationError`` for a bad destination; then nothing is saved.
    With ``deliveries`` None, the document goes by post to the policyholder's address. A
    destination the caller dictated (not on file) must have been read back; it is marked and
    reported by e-mail to the partner firm's managers.
    """
    today = today or timezone.localdate()
    library_version = None
    if document_type == DocumentType.LIBRARY:
        if library_document is not None and library_document.is_active:
            library_version = library_document.current_version
        if library_version is None:
            raise NotEligible(_("This library document has no published version."))
    merged = check_eligibility(
        document_type=document_type,
        contract=contract,
        today=today,
        params=params,
        invoice=invoice,
    )
    if invoice is not None:
        merged["invoice_id"] = invoice.pk
    request = CertificateRequest.objects.create(
        document_type=document_type,
        contract=contract,
        invoice=invoice,
        library_version=library_version,
        params=merged,
        requested_by=requested_by,
        source=source,
    )
    specs = [DeliverySpec(channel=Channel.POST)] if deliveries is None else deliveries
    created = []
    for spec in specs:
        delivery = _delivery_from_spec(request, contract, spec, firm)
        delivery.save()
        created.append(delivery)
    from . import tasks

    for delivery in created:
        tasks.enqueue_delivery(delivery.pk, on_commit=True)
        if not delivery.on_file:
            tasks.enqueue_dictated_report(delivery.pk)
    return request


# --- the document library --------------------------------------------------------------------


@transaction.atomic
def library_version_publish(*, document: LibraryDocument, file, by=None) -> LibraryDocumentVersion:
    """Publish ``file`` (a PDF) as the document's next version; earlier versions stay as sent.

    Raises ``ValidationError`` when the file is not a PDF.
    """
    content = file.read()
    if not content.startswith(b"%PDF-"):
        raise ValidationError(_("Upload a PDF file."))
    LibraryDocument.objects.select_for_update().get(pk=document.pk)
    last = document.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = LibraryDocumentVersion(
        document=document,
        version=last + 1,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by,
    )
    version.file.save(f"{document.code}-v{last + 1}.pdf", ContentFile(content), save=False)
    version.save()
    return version


# --- issuing -----------------------------------------------------------------------------------


def certificate_issue(*, request: CertificateRequest, by=None) -> IssuedCertificate:
    """Issue the request's document once: number, snapshot, PDF in storage, SHA-256.

    Idempotent: a second call returns the certificate issued by the first. Eligibility is checked
    again on the day of issue (the contract may have ended since the request); a refusal raises
    ``NotEligible``.
    """
    existing = IssuedCertificate.objects.filter(request=request).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        request = CertificateRequest.objects.select_for_update().get(pk=request.pk)
        existing = IssuedCertificate.objects.filter(request=request).first()
        if existing is not None:
            return existing
        today = timezone.localdate()
        if request.contract_id is None:  # a library document: sent as uploaded, never issued
            raise Contract.DoesNotExist
        contract = Contract.objects.select_related("policyholder", "firm").get(
            pk=request.contract_id
        )
        check_eligibility(
            document_type=request.document_type,
            contract=contract,
            today=today,
            params=request.params,
            invoice=request.invoice,
        )
        with translation.override("hu"):
            data = document_snapshot(
                document_type=request.document_type,
                contract=contract,
                today=today,
                params=request.params,
            )
        number = _allocate_number(today.year)
        issued_at = timezone.now()
        pdf = rendering.render_document(
            document_type=request.document_type, number=number, issued_at=issued_at, data=data
        )
        valid_from, valid_until = validity_of(document_type=request.document_type, data=data)
        certificate = IssuedCertificate(
            request=request,
            number=number,
            document_type=request.document_type,
            issued_at=issued_at,
            issued_by=by or request.requested_by,
            valid_from=datetime.date.fromisoformat(valid_from) if valid_from else None,
            valid_until=datetime.date.fromisoformat(valid_until) if valid_until else None,
            data=data,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        certificate.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
        certificate.save()
    logger.info("certificate issued", extra={"number": number, "request": request.pk})
    return certificate


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    number: str
    title: str


def request_attachment(*, request: CertificateRequest) -> Attachment:
    """Return the PDF a request sends: the issued certificate, or the library version's file."""
    if request.document_type == DocumentType.LIBRARY:
        version = request.library_version
        if version is None:
            raise ValueError(f"library request {request.pk} names no document version")
        with version.file.open("rb") as f:
            content = f.read()
        return Attachment(
            filename=f"{version.document.code}-v{version.version}.pdf",
            content=content,
            number=f"{version.document.code} v{version.version}",
            title=version.document.title,
        )
    certificate = certificate_issue(request=request)
    with certificate.pdf.open("rb") as f:
        content = f.read()
    with translation.override("hu"):
        title = str(DocumentType(certificate.document_type).label)
    return Attachment(
        filename=f"{certificate.number}.pdf",
        content=content,
        number=certificate.number,
        title=title,
    )


# --- transports --------------------------------------------------------------------------------


def _send_email(delivery: Delivery, attachment: Attachment) -> str:
    # Its own send, not the outbox's: the PDF, the delivery's lease, log and Message-ID; the
    # same templates' rendering, error classification and retry policy as every e-mail.
    subject, body = email_render(
        template="certificates/email/delivery",
        context={"delivery": delivery, "attachment": attachment},
        language="hu",
    )
    try:
        connection = get_connection(timeout=settings.CERTIFICATES_SEND_TIMEOUT)
        EmailMessage(
            subject=subject,
            body=body,
            to=[delivery.destination],
            headers={"Message-ID": delivery.message_id},
            attachments=[(attachment.filename, attachment.content, "application/pdf")],
            connection=connection,
        ).send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise smtp_delivery_error(exc) from exc
    return delivery.message_id


def fax_backend():
    """Return the configured fax transport (``CERTIFICATES_FAX_BACKEND``)."""
    return import_string(settings.CERTIFICATES_FAX_BACKEND)()


def _send_fax(delivery: Delivery, attachment: Attachment) -> str:
    return fax_backend().send(
        number=_normalise(Channel.FAX, delivery.destination),
        recipient_name=delivery.recipient_name,
        filename=attachment.filename,
        content=attachment.content,
        idempotency_key=delivery.message_id,
    )


# --- the delivery state machine ------------------------------------------------------------------


def _announce_end(delivery_id: int, state: str) -> None:
    """Send ``delivery_finished`` inside the caller's transaction; a failing receiver is rolled
    back to a savepoint and logged, so the delivery's end is recorded whatever it does."""
    try:
        with transaction.atomic():
            delivery_finished.send(sender=Delivery, delivery_id=delivery_id, state=state)
    except Exception:
        logger.exception("a receiver of delivery_finished failed for delivery %s", delivery_id)


def _finish(delivery_id: int, attempt_id: int, outcome: str, detail: str = "", **changes) -> None:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt_id).update(
            outcome=outcome, finished_at=now, detail=detail[:500]
        )
        Delivery.objects.filter(pk=delivery_id).update(updated_at=now, **changes)
        if changes.get("state") in (State.SENT, State.FAILED):
            _announce_end(delivery_id, changes["state"])


def delivery_process(*, delivery_id: int) -> str:
    """Render (once) and send one delivery; return what happened (an attempt outcome).

    Side effects: claims the delivery with a lease, issues the certificate if not yet issued,
    sends it by the delivery's channel, and logs the attempt. A delivery already sent, failed for
    good, or held by another worker's live lease is left alone. Post is not sent here: it waits
    in ``sending`` for the day's print batch, then in ``batched`` until the mailroom confirms it
    posted. Raises ``TransientDeliveryError`` (with ``retry_in``) when the caller should try
    again later.
    """
    claimed = _delivery_claim(delivery_id=delivery_id, now=timezone.now())
    if isinstance(claimed, str):
        return claimed
    delivery, attempt = claimed
    try:
        attachment = request_attachment(request=delivery.request)
        if delivery.channel == Channel.POST:
            _finish(
                delivery.pk,
                attempt.pk,
                Outcome.QUEUED_FOR_PRINT,
                attachment.number,
                state=State.SENDING,
                lease_until=None,
            )
            return Outcome.QUEUED_FOR_PRINT
        # Fence: renew the lease just before the transport, and only if it is still ours (a slow
        # render past the lease may have let the sweep hand the delivery to another worker).
        # The send is bounded by CERTIFICATES_SEND_TIMEOUT, shorter than the lease.
        now = timezone.now()
        still_ours = Delivery.objects.filter(
            pk=delivery.pk, state=State.RENDERING, lease_until=delivery.lease_until
        ).update(
            state=State.SENDING,
            lease_until=now + datetime.timedelta(seconds=settings.CERTIFICATES_LEASE_SECONDS),
            updated_at=now,
        )
        if not still_ours:
            DeliveryAttempt.objects.filter(pk=attempt.pk, outcome=Outcome.STARTED).update(
                outcome=Outcome.INTERRUPTED,
                finished_at=now,
                detail="lease lost before sending; another worker took over",
            )
            return Outcome.INTERRUPTED
        if delivery.channel == Channel.EMAIL:
            reference = _send_email(delivery, attachment)
        else:
            reference = _send_fax(delivery, attachment)
    except (PermanentDeliveryError, NotEligible) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        logger.warning("delivery %s failed for good: %s", delivery.pk, reason)
        return _delivery_fail(delivery, attempt, reason, error=reason)
    except Exception as exc:
        return _delivery_try_later(delivery, attempt, exc)
    _finish(
        delivery.pk,
        attempt.pk,
        Outcome.SENT,
        reference,
        state=State.SENT,
        sent_at=timezone.now(),
        lease_until=None,
        reference=reference[:200],
        last_error="",
    )
    return Outcome.SENT


@transaction.atomic
def _delivery_claim(
    *, delivery_id: int, now: datetime.datetime
) -> tuple[Delivery, DeliveryAttempt] | str:
    """Claim the delivery for this worker (a lease, a started attempt) and return it with the
    attempt; or return the outcome when it is to be left alone (sent, failed for good, waiting
    for the print batch, or held by another worker's live lease)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state == State.SENT:
        DeliveryAttempt.objects.create(
            delivery=delivery, started_at=now, finished_at=now, outcome=Outcome.SKIPPED
        )
        return Outcome.SKIPPED
    if delivery.state == State.FAILED:
        return Outcome.PERMANENT
    if delivery.channel == Channel.POST and delivery.state in (State.SENDING, State.BATCHED):
        return Outcome.QUEUED_FOR_PRINT
    if delivery.state in (State.RENDERING, State.SENDING) and (
        delivery.lease_until and delivery.lease_until > now
    ):
        return Outcome.STARTED  # another worker holds it
    delivery.attempt_log.filter(outcome=Outcome.STARTED).update(
        outcome=Outcome.INTERRUPTED,
        finished_at=now,
        detail=f"worker stopped while {delivery.state}; retrying with the same Message-ID",
    )
    delivery.state = State.RENDERING
    delivery.attempts += 1
    delivery.lease_until = now + datetime.timedelta(seconds=settings.CERTIFICATES_LEASE_SECONDS)
    delivery.next_attempt_at = None
    delivery.save(update_fields=["state", "attempts", "lease_until", "next_attempt_at"])
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery, started_at=now, outcome=Outcome.STARTED
    )
    return delivery, attempt


def _delivery_fail(delivery: Delivery, attempt: DeliveryAttempt, detail: str, *, error: str) -> str:
    """Record that the delivery failed for good; return the permanent outcome."""
    _finish(
        delivery.pk,
        attempt.pk,
        Outcome.PERMANENT,
        detail,
        state=State.FAILED,
        lease_until=None,
        last_error=error[:500],
    )
    return Outcome.PERMANENT


def _delivery_try_later(delivery: Delivery, attempt: DeliveryAttempt, exc: Exception) -> str:
    """After a transport hiccup or anything unexpected (a database blip, a full disk): raise
    ``TransientDeliveryError`` to try again later, a bounded number of times; then give up
    (return the permanent outcome) and show it to the people."""
    detail = f"{type(exc).__name__}: {exc}"
    policy = retry_policy()
    if policy.exhausted(delivery.attempts):
        gave_up = f"gave up after {delivery.attempts} attempts: {detail}"
        return _delivery_fail(delivery, attempt, gave_up, error=detail)
    delay = policy.delay(delivery.attempts)
    _finish(
        delivery.pk,
        attempt.pk,
        Outcome.TRANSIENT,
        detail,
        state=State.QUEUED,
        lease_until=None,
        last_error=detail[:500],
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
    )
    error = exc if isinstance(exc, TransientDeliveryError) else TransientDeliveryError(detail)
    error.retry_in = delay
    raise error from exc


@transaction.atomic
def delivery_resend(*, delivery: Delivery, by) -> Delivery:
    """Queue a permanently failed delivery again (the resend action); log who asked.

    Raises ``ValidationError`` unless the delivery has failed: a sent document is not resent.
    """
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state != State.FAILED:
        raise ValidationError(_("Only a failed delivery can be resent."))
    now = timezone.now()
    delivery.state = State.QUEUED
    delivery.attempts = 0
    delivery.last_error = ""
    delivery.save(update_fields=["state", "attempts", "last_error", "updated_at"])
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=now,
        finished_at=now,
        outcome=Outcome.SKIPPED,
        detail=f"resend requested by {by}",
    )
    from . import tasks

    tasks.enqueue_delivery(delivery.pk, on_commit=True)
    return delivery


def deliveries_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again the deliveries that nobody is working on; return their ids.

    Catches a request saved while the broker was down (queued, never picked up), a retry whose
    message was lost, and a worker that died holding a delivery (lease expired).
    """
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.CERTIFICATES_SWEEP_GRACE_SECONDS)
    stuck = Delivery.objects.filter(
        Q(state=State.QUEUED, next_attempt_at__isnull=True, updated_at__lt=now - grace)
        | Q(state=State.QUEUED, next_attempt_at__lt=now - grace)
        | Q(state__in=[State.RENDERING, State.SENDING], lease_until__lt=now)
    )
    ids = list(stuck.values_list("pk", flat=True))
    from . import tasks

    for pk in ids:
        tasks.enqueue_delivery(pk)
    return ids


def print_batch_build(*, now: datetime.datetime | None = None, by=None) -> PrintBatch | None:
    """Collect the letters waiting for post into one PDF for the mailroom; mark them batched.

    Each letter is an address sheet (for a window envelope) followed by its document. Returns
    None when no letter waits. Safe to run twice: a letter goes into one batch only. The letters
    are not sent yet: they become sent when the mailroom confirms the batch posted,
    ``print_batch_confirm_posted``. ``by`` is the mailroom clerk who built it now (None for the
    daily job); the batch's history records it.
    """
    from pypdf import PdfReader, PdfWriter

    now = now or timezone.now()
    with transaction.atomic():
        letters = list(
            Delivery.objects.select_for_update(of=("self",))
            .filter(channel=Channel.POST, state=State.SENDING, print_batch__isnull=True)
            .select_related("request")
            .order_by("created_at", "pk")
        )
        if not letters:
            return None
        writer = PdfWriter()
        for delivery in letters:
            attachment = request_attachment(request=delivery.request)
            sheet = rendering.render_address_sheet(
                recipient_name=delivery.recipient_name,
                address=delivery.destination,
                number=attachment.number,
            )
            for part in (sheet, attachment.content):
                writer.append(PdfReader(BytesIO(part)))
        out = BytesIO()
        writer.write(out)
        batch = PrintBatch(letters=len(letters))
        batch.pdf.save(f"print-batch-{now:%Y%m%d-%H%M%S}.pdf", ContentFile(out.getvalue()))
        DeliveryAttempt.objects.filter(
            delivery__in=letters, outcome=Outcome.QUEUED_FOR_PRINT
        ).update(detail=f"print batch {batch.pk}, waiting to be posted")
        Delivery.objects.filter(pk__in=[d.pk for d in letters]).update(
            state=State.BATCHED,
            print_batch=batch,
            reference=f"print batch {batch.pk}",
            updated_at=now,
        )
        PrintBatchEvent.objects.create(batch=batch, action=PrintBatchEvent.Action.BUILT, by=by)
    return batch


class PostingNotUndoable(Exception):
    """The batch's posting confirmation can no longer be undone (or was never given)."""


def print_batch_confirm_posted(
    *, batch: PrintBatch, by, now: datetime.datetime | None = None
) -> int | None:
    """Record that the mailroom posted ``batch``; return how many letters became sent now.

    Side effects, once per batch: the batch keeps the time and who confirmed, and its history
    the confirmation; its letters become sent at that time and their print-queue attempts end
    as sent. Their end is announced (``delivery_finished``, the ``certificate.sent`` webhook)
    by ``print_batches_announce`` once the undo window has passed. A second confirmation
    changes nothing and returns None.
    """
    now = now or timezone.now()
    with transaction.atomic():
        batch = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.posted_at is not None:
            return None
        batch.posted_at = now
        batch.posted_by = by
        batch.save(update_fields=["posted_at", "posted_by"])
        letters = list(
            Delivery.objects.select_for_update()
            .filter(print_batch=batch, state=State.BATCHED)
            .values_list("pk", flat=True)
        )
        DeliveryAttempt.objects.filter(
            delivery_id__in=letters, outcome=Outcome.QUEUED_FOR_PRINT
        ).update(
            outcome=Outcome.SENT,
            finished_at=now,
            detail=f"print batch {batch.pk} posted, confirmed by {by}"[:500],
        )
        Delivery.objects.filter(pk__in=letters).update(
            state=State.SENT, sent_at=now, updated_at=now
        )
        PrintBatchEvent.objects.create(batch=batch, action=PrintBatchEvent.Action.POSTED, by=by)
    logger.info("print batch posted", extra={"batch": batch.pk, "letters": len(letters)})
    return len(letters)


def print_batch_posting_undo(
    *, batch: PrintBatch, by, reason: str, now: datetime.datetime | None = None
) -> int:
    """Undo a posting confirmation given by mistake, within the undo window; return the
    letters that wait to be posted again.

    Raises ``PostingNotUndoable`` when the batch is not confirmed, its letters were already
    announced, or the window (``CERTIFICATES_POSTING_UNDO_MINUTES``) has passed. Side effects:
    the batch waits to be posted again; its letters are batched again, not sent, their attempts
    back in the print queue; the batch's history records who undid it, when, and why.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the confirmation is undone."))
    with transaction.atomic():
        batch = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        until = batch.undo_until()
        if until is None or now > until:
            raise PostingNotUndoable
        letters = list(
            Delivery.objects.select_for_update()
            .filter(print_batch=batch, state=State.SENT)
            .values_list("pk", flat=True)
        )
        DeliveryAttempt.objects.filter(delivery_id__in=letters, outcome=Outcome.SENT).update(
            outcome=Outcome.QUEUED_FOR_PRINT,
            finished_at=None,
            detail=f"print batch {batch.pk}, waiting to be posted (confirmation undone)",
        )
        Delivery.objects.filter(pk__in=letters).update(
            state=State.BATCHED, sent_at=None, updated_at=now
        )
        batch.posted_at = batch.posted_by = None
        batch.save(update_fields=["posted_at", "posted_by"])
        PrintBatchEvent.objects.create(
            batch=batch, action=PrintBatchEvent.Action.POSTING_UNDONE, by=by, reason=reason[:300]
        )
    logger.warning("print batch posting undone", extra={"batch": batch.pk, "letters": len(letters)})
    return len(letters)


def print_batches_announce(*, now: datetime.datetime | None = None) -> list[int]:
    """Announce the letters of the batches posted longer ago than the undo window (once per
    batch); return the batches announced. Runs with the deliveries' sweep."""
    now = now or timezone.now()
    window = datetime.timedelta(minutes=settings.CERTIFICATES_POSTING_UNDO_MINUTES)
    announced = []
    due = PrintBatch.objects.filter(announced_at__isnull=True, posted_at__lt=now - window)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            batch = PrintBatch.objects.select_for_update().get(pk=pk)
            if batch.announced_at is not None or batch.posted_at is None:
                continue
            batch.announced_at = now
            batch.save(update_fields=["announced_at"])
            letters = batch.deliveries.filter(state=State.SENT).values_list("pk", flat=True)
            for delivery_id in letters:
                _announce_end(delivery_id, State.SENT)
        announced.append(pk)
    return announced


def dictated_destination_report(*, delivery_id: int) -> bool:
    """E-mail the partner firm's managers that a document went to a dictated destination.

    Queued in the outbox once per delivery (``reported_at``), one e-mail per manager (or the
    firm's address); returns whether a report was queued now.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("request__contract__firm", "request__requested_by")
            .get(pk=delivery_id)
        )
        if delivery.on_file or delivery.reported_at:
            return False
        contract = delivery.request.contract
        firm = contract.firm if contract else None
        recipients = []
        if firm is not None:
            recipients = [
                m.user.email
                for m in firm.managers.filter(revoked_at__isnull=True).select_related("user")
                if m.user.email
            ] or ([firm.email] if firm.email else [])
        context = {"delivery": delivery, "request": delivery.request, "firm": firm}
        for address in recipients:
            email_queue(to=address, template="certificates/email/dictated", context=context)
        delivery.reported_at = timezone.now()
        delivery.save(update_fields=["reported_at"])
    return bool(recipients)
