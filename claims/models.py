"""Claims ("kárügyek") on the portfolio's contracts, as the core claims system reports them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Adjuster(models.Model):
    """The claims adjuster ("kárszakértő") who handles a claim."""

    external_id = models.CharField(_("core system id"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("e-mail"))

    class Meta:
        verbose_name = _("adjuster")
        verbose_name_plural = _("adjusters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Claim(models.Model):
    """A claim on a contract, identified by its claim number ("kárszám")."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        INSPECTION = "inspection", _("inspection")
        AWAITING_DOCUMENTS = "awaiting_documents", _("awaiting documents")
        SETTLEMENT = "settlement", _("settlement")
        PAID = "paid", _("paid")
        REJECTED = "rejected", _("rejected")
        CLOSED = "closed", _("closed")

    OPEN_STATUSES = (
        Status.REPORTED,
        Status.INSPECTION,
        Status.AWAITING_DOCUMENTS,
        Status.SETTLEMENT,
    )

    class Cover(models.TextChoices):
        """The insured event or cover a claim (and each payment) falls under."""

        LIABILITY = "liability", _("third-party liability")
        OWN_DAMAGE = "own_damage", _("own damage")
        THEFT = "theft", _("theft")
        GLASS = "glass", _("glass breakage")
        FIRE = "fire", _("fire")
        WATER = "water", _("water damage")
        STORM = "storm", _("storm")
        BURGLARY = "burglary", _("burglary")
        OTHER = "other", _("other")

    class Origin(models.TextChoices):
        CORE = "core", _("core claims system")
        PHONE = "phone", _("phone report at GrATISZ")

    claim_number = models.CharField(_("claim number"), max_length=30, unique=True)
    contract = models.ForeignKey(
        "partners.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    vehicle = models.ForeignKey(
        "partners.Vehicle",
        verbose_name=_("vehicle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    cover = models.CharField(_("cover"), max_length=20, choices=Cover.choices)
    event_date = models.DateField(_("date of event"))
    reported_on = models.DateField(_("reported on"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    status_changed_at = models.DateTimeField(_("status changed at"))
    description = models.TextField(_("description"), blank=True)
    reserve_amount = models.PositiveBigIntegerField(_("reserve (HUF)"), default=0)
    adjuster = models.ForeignKey(
        Adjuster,
        verbose_name=_("adjuster"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.CORE
    )

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [models.Index(fields=["contract", "status"])]

    def __str__(self) -> str:
        return self.claim_number


class ClaimStatusChange(models.Model):
    """One step of a claim's status history."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(_("status"), max_length=20, choices=Claim.Status.choices)
    changed_at = models.DateTimeField(_("changed at"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("claim status change")
        verbose_name_plural = _("claim status history")
        ordering = ["claim", "changed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "status", "changed_at"], name="status_change_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.claim} {self.status} {self.changed_at:%Y-%m-%d}"


class MissingDocument(models.Model):
    """A document or step the claim still waits for (cleared when ``received_on`` is set)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="missing_documents")
    description = models.CharField(_("document or step"), max_length=300)
    requested_on = models.DateField(_("requested on"))
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
        verbose_name = _("missing document")
        verbose_name_plural = _("missing documents")
        constraints = [
            models.UniqueConstraint(fields=["claim", "description"], name="missing_doc_once")
        ]

    def __str__(self) -> str:
        return self.description


class ClaimPayment(models.Model):
    """An indemnity paid on a claim, with the insured event (cover) it was paid on."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="payments")
    external_id = models.CharField(_("core system id"), max_length=40, unique=True)
    paid_on = models.DateField(_("paid on"))
    amount = models.PositiveBigIntegerField(_("amount (HUF)"))
    cover = models.CharField(_("paid on cover"), max_length=20, choices=Claim.Cover.choices)

    class Meta:
        verbose_name = _("claim payment")
        verbose_name_plural = _("claim payments")
        indexes = [models.Index(fields=["claim", "paid_on"])]

    def __str__(self) -> str:
        return f"{self.claim} {self.paid_on} {self.amount} Ft"
