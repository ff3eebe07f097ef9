"""Certificates ("igazolások"): requests, issued documents, their deliveries and the library.

A request names a document about a contract and one or more deliveries (e-mail, fax, post).
Celery issues the document once per request (number, snapshot, PDF, SHA-256) and sends each
delivery at most once; every try is kept in the delivery's attempt log.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.audit import AppendOnly


class DocumentType(models.TextChoices):
    DAMAGE_HISTORY = "damage_history", _("claims history certificate (kártörténeti igazolás, GFB)")
    # The same certificate with English beside the Hungarian (the EU template's fields), for a
    # keeper who insures abroad.
    DAMAGE_HISTORY_BILINGUAL = (
        "damage_history_en",
        _("damage history certificate, Hungarian/English (for use abroad)"),
    )
    FLEET_DAMAGE_HISTORY = "fleet_damage_history", _("casco fleet damage history")
    COVERAGE = "coverage", _("coverage certificate")
    GREEN_CARD = "green_card", _("green card")
    PREMIUM_STATUS = "premium_status", _("premium payment status")
    INVOICE_COPY = "invoice_copy", _("copy of an invoice")
    POLICY_COPY = "policy_copy", _("copy of the policy")
    LIBRARY = "library", _("document from the library")


# The types rendered from the portfolio's data (everything except the library's files).
RENDERED_TYPES = [t for t in DocumentType if t != DocumentType.LIBRARY]


class LibraryDocument(models.Model):
    """A form, conditions, tariff, template or survey sheet that agents send on request."""

    class Category(models.TextChoices):
        FORM = "form", _("form")
        CONDITIONS = "conditions", _("insurance conditions")
        TARIFF = "tariff", _("tariff")
        CLAIM_REPORT = "claim_report", _("claim report template")
        SITE_SURVEY = "site_survey", _("site risk survey sheet")
        OTHER = "other", _("other")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    is_active = models.BooleanField(_("offered to agents"), default=True)

    class Meta:
        verbose_name = _("library document")
        verbose_name_plural = _("document library")
        ordering = ["category", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def current_version(self) -> "LibraryDocumentVersion | None":
        return self.versions.order_by("-version").first()


class LibraryDocumentVersion(models.Model):
    """One published PDF of a library document; a new upload is a new version, never a change."""

    document = models.ForeignKey(LibraryDocument, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("PDF"), upload_to="library/%Y/")
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("library document version")
        verbose_name_plural = _("library document versions")
        ordering = ["document", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="library_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.version}"


class CertificateRequest(models.Model):
    """What was asked for, by whom, about which contract; saved before anything is queued.

    ``source`` is a free reference of whoever asked (the desk puts its call ticket there, e.g.
    ``call:123``); this app does not know about calls.
    """

    document_type = models.CharField(_("document"), max_length=30, choices=DocumentType.choices)
    contract = models.ForeignKey(
        "partners.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate_requests",
    )
    invoice = models.ForeignKey(
        "partners.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    library_version = models.ForeignKey(
        LibraryDocumentVersion,
        verbose_name=_("library document version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate_requests",
    )
    source = models.CharField(_("source reference"), max_length=60, blank=True, db_index=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate request")
        verbose_name_plural = _("certificate requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(document_type="library", library_version__isnull=False)
                | (~Q(document_type="library") & Q(contract__isnull=False)),
                name="request_names_its_subject",
            ),
            models.CheckConstraint(
                condition=~Q(document_type="invoice_copy") | Q(invoice__isnull=False),
                name="invoice_copy_names_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} – {self.contract or self.library_version}"


class DocumentCounter(models.Model):
    """The last document number used in a year (locked row, so numbers never repeat)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class IssuedCertificate(models.Model):
    """An issued document: immutable once saved; the snapshot is what the PDF shows."""

    request = models.OneToOneField(
        CertificateRequest, on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(_("document number"), max_length=30, unique=True)
    document_type = models.CharField(_("document"), max_length=30, choices=DocumentType.choices)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    data = models.JSONField(_("data snapshot"))
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/%m/")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("issued certificate")
        verbose_name_plural = _("issued certificates")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class PrintBatch(models.Model):
    """One day's letters for the mailroom: address sheet + document per letter, one PDF.

    Its letters count as sent only once the mailroom confirms the batch posted (``posted_at``,
    ``posted_by``); until then they wait in the ``batched`` state.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    letters = models.PositiveIntegerField(_("letters"))
    pdf = models.FileField(_("PDF"), upload_to="print-batches/%Y/")
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posting confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # When its letters' end was announced (``certificate.sent``): only after the undo window
    # (``CERTIFICATES_POSTING_UNDO_MINUTES``), so that an undone confirmation told nobody.
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-created_at"]
        permissions = [("handle_mail", _("Can download print batches and confirm them posted"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(posted_at__isnull=True, posted_by__isnull=True)
                | Q(posted_at__isnull=False, posted_by__isnull=False),
                name="posted_batch_names_who_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y. %m. %d. %H:%M} ({self.letters})"

    @property
    def is_posted(self) -> bool:
        return self.posted_at is not None

    def undo_until(self):
        """Return until when the posting confirmation may be undone, or None."""
        if self.posted_at is None or self.announced_at is not None:
            return None
        return self.posted_at + datetime.timedelta(
            minutes=settings.CERTIFICATES_POSTING_UNDO_MINUTES
        )


class PrintBatchEvent(AppendOnly, models.Model):
    """What the mailroom did with a print batch, and who (append-only; the audit trail)."""

    class Action(models.TextChoices):
        BUILT = "built", _("batch built")
        POSTED = "posted", _("confirmed as posted")
        POSTING_UNDONE = "posting_undone", _("posting confirmation undone")

    batch = models.ForeignKey(
        PrintBatch, verbose_name=_("print batch"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("print batch event")
        verbose_name_plural = _("print batch events")
        ordering = ["batch", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.action} {timezone.localtime(self.at):%Y. %m. %d. %H:%M}"


class Delivery(models.Model):
    """One way a requested document goes out: e-mail, fax or post, to one destination."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        FAX = "fax", _("fax")
        POST = "post", _("post")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RENDERING = "rendering", _("rendering")
        SENDING = "sending", _("sending")
        # Post only: in a print batch, sent once the mailroom confirms the batch posted.
        BATCHED = "batched", _("in a print batch, waiting to be posted")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    request = models.ForeignKey(
        CertificateRequest, on_delete=models.PROTECT, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient_name = models.CharField(_("recipient"), max_length=200, blank=True)
    destination = models.CharField(_("destination"), max_length=300)
    on_file = models.BooleanField(
        _("destination on file"),
        help_text=_("False when the caller dictated a destination that is not in our records."),
    )
    read_back = models.BooleanField(_("read back to the caller"), default=False)
    reported_at = models.DateTimeField(
        _("reported to the firm's managers at"), null=True, blank=True
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("worker lease until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    reference = models.CharField(_("transport reference"), max_length=200, blank=True)
    print_batch = models.ForeignKey(
        PrintBatch,
        verbose_name=_("print batch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "channel"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_file=True) | Q(read_back=True),
                name="dictated_destination_read_back",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="sent_delivery_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.destination}"

    @property
    def message_id(self) -> str:
        """Return the stable Message-ID (and fax idempotency key) of this delivery."""
        return f"<delivery-{self.pk}.{self.request_id}@gratisz>"


class DeliveryAttempt(models.Model):
    """One try of a delivery, as its log line: what happened and why."""

    class Outcome(models.TextChoices):
        STARTED = "started", _("started")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped, already sent")
        TRANSIENT = "transient", _("temporary error, will retry")
        PERMANENT = "permanent", _("permanent error")
        INTERRUPTED = "interrupted", _("interrupted (worker stopped)")
        QUEUED_FOR_PRINT = "queued_for_print", _("waiting for the print batch")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class CertificateAccess(models.Model):
    """Hold this app's permissions that belong to no single table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("resend_delivery", _("Can resend a failed delivery")),
            ("view_all_deliveries", _("Can see every agent's deliveries")),
        ]

    def __str__(self) -> str:
        return "certificate access"
