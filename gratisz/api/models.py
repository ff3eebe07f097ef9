"""Integration clients of the REST API and the outgoing webhooks.

A client is one integration (the core systems' sync job, a PBX, a reporting tool) with its own
token and scopes. The token is shown once when it is made and stored only as its SHA-256 digest:
it is 32 random bytes, so a plain digest cannot be reversed or guessed, and a stolen database
does not let anyone call the API.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    SYNC = "sync", _("core-system sync")
    CTI = "cti", _("CTI events")
    CERTIFICATES = "certificates", _("certificate requests")
    # With CERTIFICATES: deliver also to a destination not on file (read back to the caller).
    CERTIFICATES_DICTATED = "certificates_dictated", _("certificates to dictated destinations")
    REPORTING = "reporting", _("reporting (read call tickets)")


class ApiClient(models.Model):
    """One integration that calls the API with a bearer token."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    # The first characters of the token, to recognise it in lists; never enough to use it.
    token_prefix = models.CharField(_("token prefix"), max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    throttle_rate = models.CharField(
        _("request limit"),
        max_length=20,
        blank=True,
        help_text=_("Like 600/min or 10/s; empty: the default limit."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Bound to these firms: the client reaches only their contracts. None: every firm's.
    firms = models.ManyToManyField(
        "partners.PartnerFirm",
        verbose_name=_("partner firms"),
        blank=True,
        related_name="+",
        help_text=_("Only these firms' contracts; none chosen: every firm's."),
    )

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # DRF treats request.user as the authenticated principal; a client is one.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class WebhookEvent(models.TextChoices):
    CERTIFICATE_SENT = "certificate.sent", _("certificate sent")
    CERTIFICATE_FAILED = "certificate.failed", _("certificate delivery failed")
    CLAIM_REPORTED = "claim.reported", _("claim reported")
    DIREKT_CODE_ROTATED = "direkt_code.rotated", _("Direkt code rotated")
    GRID_LOCKED = "grid.locked", _("GRID locked")


class WebhookEndpoint(models.Model):
    """A URL of another system that receives the events it subscribed to, signed with its
    secret (HMAC-SHA256 of the body)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"), max_length=100, help_text=_("Shared with the receiver.")
    )
    events = models.JSONField(_("events"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class OutgoingEvent(models.Model):
    """An event that happened, with the JSON body every subscribed endpoint receives."""

    event_id = models.UUIDField(_("event id"), unique=True)
    type = models.CharField(_("type"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    # What the event is about, where one change must be announced once (a certificate delivery's
    # end: delivery and attempt count), however often it is reported.
    source_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing event")
        verbose_name_plural = _("outgoing events")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint; retried with back-off until it is delivered or
    the attempts run out."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed for good")

    event = models.ForeignKey(OutgoingEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_once_per_endpoint")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """The log of one try: when, the HTTP status or the error, how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "started_at"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code}"
