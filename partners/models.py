"""Partner firms, their Direkt codes and managers, and the portfolio ("állomány") they hold.

The portfolio (policyholders, vehicles, contracts, offers, invoices, payments, direct debit
mandates) comes from the insurer's core systems through the import; this system never edits it.
"""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from .audit import AppendOnly
from .withheld import is_withheld

GRID_PATTERN = r"^[0-9]{9}$"
grid_validator = RegexValidator(
    r"^[0-9]{9}\Z", _("The GRID is exactly 9 digits."), code="invalid_grid"
)


class PartnerFirm(models.Model):
    """A broker ("alkusz") or multiple agent ("többes ügynök") firm, identified by its GRID."""

    class Kind(models.TextChoices):
        BROKER = "broker", _("broker (alkusz)")
        MULTIPLE_AGENT = "multiple_agent", _("multiple agent (többes ügynök)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        TERMINATED = "terminated", _("terminated")

    grid = models.CharField(_("GRID"), max_length=9, unique=True, validators=[grid_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    mnb_register_number = models.CharField(_("MNB register number"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    fax = models.CharField(_("fax"), max_length=30, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    address_line = models.CharField(_("street address"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referred_firms",
    )
    registered_at = models.DateTimeField(_("registered for GrATISZ at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("partner firm")
        verbose_name_plural = _("partner firms")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__regex=GRID_PATTERN), name="firm_grid_9_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.grid})"

    @property
    def postal_address(self) -> str:
        return f"{self.postal_code} {self.city}, {self.address_line}".strip(" ,")


class PartnerManager(models.Model):
    """A user who leads the firm, or whom its leader authorised to manage its registration."""

    firm = models.ForeignKey(
        PartnerFirm, verbose_name=_("firm"), on_delete=models.CASCADE, related_name="managers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="managed_firms",
    )
    is_leader = models.BooleanField(_("firm leader"), default=False)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("authorised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner manager")
        verbose_name_plural = _("partner managers")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "user"],
                condition=Q(revoked_at__isnull=True),
                name="manager_once_per_firm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.firm}"


class DirektCode(models.Model):
    """A firm's 4-digit Direkt code, stored only as a keyed hash.

    ``code_hash`` is HMAC-SHA256 under ``DIREKT_CODE_PEPPER`` (a secret outside the database) of
    the GRID, a per-row salt and the digits; the digits themselves are never stored. A firm has at
    most one active (not retired) code per role; retired rows stay for the "not one of the last
    five" rule and for the audit.
    """

    class Role(models.TextChoices):
        STAFF = "staff", _("staff")
        MANAGER = "manager", _("manager")

    firm = models.ForeignKey(
        PartnerFirm, verbose_name=_("firm"), on_delete=models.CASCADE, related_name="direkt_codes"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    salt = models.CharField(_("salt"), max_length=32, editable=False)
    code_hash = models.CharField(_("keyed hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Direkt code")
        verbose_name_plural = _("Direkt codes")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "role"],
                condition=Q(retired_at__isnull=True),
                name="one_active_direkt_code_per_role",
            ),
            models.CheckConstraint(
                condition=Q(code_hash__regex=r"^[0-9a-f]{64}$"), name="direkt_code_is_a_hash"
            ),
        ]
        indexes = [models.Index(fields=["firm", "role", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.firm.grid} {self.get_role_display()}"


class Policyholder(models.Model):
    """The client ("ügyfél") who holds contracts: a person or a company."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        COMPANY = "company", _("company")

    external_id = models.CharField(_("core system id"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    mothers_name = models.CharField(_("mother's name"), max_length=200, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=20, blank=True)
    # A company's registration number ("cégjegyzékszám", e.g. 01-09-123456).
    registration_number = models.CharField(
        _("company registration number"), max_length=20, blank=True
    )
    postal_code = models.CharField(_("postcode"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    address_line = models.CharField(_("street address"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("policyholder")
        verbose_name_plural = _("policyholders")
        indexes = [models.Index(Upper("name"), name="policyholder_name_upper")]

    def __str__(self) -> str:
        return self.name

    @property
    def postal_address(self) -> str:
        return f"{self.postal_code} {self.city}, {self.address_line}"


class Vehicle(models.Model):
    """A vehicle insured by a motor contract. Category letters follow the green card's."""

    class Category(models.TextChoices):
        A = "A", _("A – passenger car")
        B = "B", _("B – motorcycle")
        C = "C", _("C – lorry or tractor")
        D = "D", _("D – moped")
        E = "E", _("E – bus or coach")
        F = "F", _("F – trailer")
        G = "G", _("G – other")

    external_id = models.CharField(_("core system id"), max_length=40, unique=True)
    plate = models.CharField(_("registration plate"), max_length=20, db_index=True)
    chassis_number = models.CharField(_("chassis number"), max_length=17, db_index=True)
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=60, blank=True)
    category = models.CharField(_("category"), max_length=1, choices=Category.choices)
    first_registration_year = models.PositiveSmallIntegerField(
        _("year of first registration"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return f"{self.plate} {self.make} {self.model}".strip()


BONUS_MALUS_CLASSES = (
    ["A00"] + [f"B{n:02d}" for n in range(1, 11)] + [f"M{n:02d}" for n in range(1, 5)]
)


class Contract(models.Model):
    """An insurance contract in a partner firm's portfolio."""

    class Product(models.TextChoices):
        GFB = "gfb", _("motor third-party liability (GFB)")
        CASCO = "casco", _("casco")
        CASCO_FLEET = "casco_fleet", _("casco fleet")
        HOME = "home", _("home insurance")
        COMPANY_PROPERTY = "company_property", _("company property insurance")

    MOTOR_PRODUCTS = (Product.GFB, Product.CASCO, Product.CASCO_FLEET)

    class Status(models.TextChoices):
        ACTIVE = "active", _("in force")
        SUSPENDED = "suspended", _("suspended")
        LAPSED = "lapsed", _("lapsed")
        TERMINATED = "terminated", _("terminated")

    class EndReason(models.TextChoices):
        NON_PAYMENT = "non_payment", _("premium not paid")
        CANCELLED = "cancelled", _("cancelled by the policyholder")
        OWNER_CHANGE = "owner_change", _("change of owner")
        VEHICLE_DEREGISTERED = "vehicle_deregistered", _("vehicle deregistered")
        END_OF_TERM = "end_of_term", _("end of the fixed term")
        INSURER_TERMINATED = "insurer_terminated", _("terminated by the insurer")

    class Frequency(models.TextChoices):
        ANNUAL = "annual", _("annual")
        SEMIANNUAL = "semiannual", _("half-yearly")
        QUARTERLY = "quarterly", _("quarterly")
        MONTHLY = "monthly", _("monthly")

    class PaymentMethod(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("bank transfer")
        POSTAL_CHEQUE = "postal_cheque", _("postal cheque")
        DIRECT_DEBIT = "direct_debit", _("group direct debit")
        CARD = "card", _("bank card")

    # django-stubs type only the functional API's one-argument form, not a list of members.
    BonusMalus = models.TextChoices("BonusMalus", [(c, c) for c in BONUS_MALUS_CLASSES])  # type: ignore[call-overload]

    policy_number = models.CharField(_("policy number"), max_length=30, unique=True)
    firm = models.ForeignKey(
        PartnerFirm,
        verbose_name=_("partner firm"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    policyholder = models.ForeignKey(
        Policyholder,
        verbose_name=_("policyholder"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    # The vehicle's keeper ("üzembentartó") where not the policyholder: the bonus-malus class
    # follows the keeper, and the damage history certificate names them.
    keeper = models.ForeignKey(
        Policyholder,
        verbose_name=_("keeper (üzembentartó)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kept_contracts",
    )
    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    end_reason = models.CharField(
        _("end reason"), max_length=30, choices=EndReason.choices, blank=True
    )
    start_date = models.DateField(_("cover start"))
    end_date = models.DateField(_("cover end"), null=True, blank=True)
    annual_premium = models.PositiveIntegerField(_("annual premium (HUF)"))
    payment_frequency = models.CharField(
        _("payment frequency"), max_length=20, choices=Frequency.choices
    )
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices
    )
    bonus_malus_class = models.CharField(
        _("bonus-malus class"), max_length=3, choices=BonusMalus.choices, blank=True
    )
    risk_address = models.CharField(_("risk address"), max_length=250, blank=True)
    vehicles: "models.ManyToManyField[Vehicle, ContractVehicle]" = models.ManyToManyField(
        Vehicle, verbose_name=_("vehicles"), through="ContractVehicle", related_name="contracts"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=["firm", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(product="gfb") | Q(bonus_malus_class=""),
                name="bonus_malus_only_for_gfb",
            ),
        ]

    def __str__(self) -> str:
        return self.policy_number

    @property
    def is_motor(self) -> bool:
        return self.product in self.MOTOR_PRODUCTS


class ContractVehicle(models.Model):
    """A vehicle on a contract, with the period it was insured (a fleet's vehicles come and go)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="vehicle_links")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="contract_links")
    insured_from = models.DateField(_("insured from"))
    insured_to = models.DateField(_("insured until"), null=True, blank=True)

    class Meta:
        verbose_name = _("insured vehicle")
        verbose_name_plural = _("insured vehicles")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "vehicle"], name="vehicle_once_per_contract"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} – {self.vehicle}"


class BonusMalusEntry(models.Model):
    """One period of a GFB contract's bonus-malus history."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="bonus_malus_history"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    bonus_malus_class = models.CharField(
        _("bonus-malus class"), max_length=3, choices=Contract.BonusMalus.choices
    )
    claims_paid = models.PositiveSmallIntegerField(_("claims paid in the period"), default=0)

    class Meta:
        verbose_name = _("bonus-malus period")
        verbose_name_plural = _("bonus-malus history")
        ordering = ["contract", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period_start"], name="bm_period_once")
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.period_start}: {self.bonus_malus_class}"


class Offer(models.Model):
    """An offer ("ajánlat") that the partner submitted; it may become a contract."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        UNDER_REVIEW = "under_review", _("under review")
        MISSING_DATA = "missing_data", _("missing data")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        EXPIRED = "expired", _("expired")

    offer_number = models.CharField(_("offer number"), max_length=30, unique=True)
    firm = models.ForeignKey(
        PartnerFirm,
        verbose_name=_("partner firm"),
        on_delete=models.PROTECT,
        related_name="offers",
    )
    policyholder = models.ForeignKey(
        Policyholder,
        verbose_name=_("policyholder"),
        on_delete=models.PROTECT,
        related_name="offers",
    )
    product = models.CharField(_("product"), max_length=20, choices=Contract.Product.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    submitted_on = models.DateField(_("submitted on"))
    annual_premium = models.PositiveIntegerField(_("annual premium (HUF)"))
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["firm", "status"])]

    def __str__(self) -> str:
        return self.offer_number

    @property
    def is_open(self) -> bool:
        """Tell whether the offer still waits for a decision (its missing items matter)."""
        return self.status in (
            self.Status.SUBMITTED,
            self.Status.UNDER_REVIEW,
            self.Status.MISSING_DATA,
        )


class OfferMissingItem(models.Model):
    """A piece of data or a document an offer still waits for before it can be decided
    (cleared when ``received_on`` is set); from the core systems, like the offer."""

    class Kind(models.TextChoices):
        DATA = "data", _("data")
        DOCUMENT = "document", _("document")

    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.CASCADE, related_name="missing_items"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DATA)
    description = models.CharField(_("missing data or document"), max_length=300)
    requested_on = models.DateField(_("requested on"))
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
        verbose_name = _("missing item of an offer")
        verbose_name_plural = _("missing items of offers")
        ordering = ["offer", "requested_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "description"], name="offer_missing_item_once")
        ]

    def __str__(self) -> str:
        return self.description


class Invoice(models.Model):
    """A premium invoice ("díjszámla") for one period of a contract."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="invoices"
    )
    number = models.CharField(_("invoice number"), max_length=30, unique=True)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.PositiveIntegerField(_("amount (HUF)"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [models.Index(fields=["contract", "due_on"])]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    """A premium payment received on a contract."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="payments"
    )
    external_id = models.CharField(_("core system id"), max_length=40, unique=True)
    paid_on = models.DateField(_("paid on"))
    amount = models.PositiveIntegerField(_("amount (HUF)"), validators=[MinValueValidator(1)])
    method = models.CharField(_("method"), max_length=20, choices=Contract.PaymentMethod.choices)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["contract", "-paid_on"])]

    def __str__(self) -> str:
        return f"{self.contract} {self.paid_on} {self.amount} Ft"


class DirectDebitMandate(models.Model):
    """A group direct debit mandate ("csoportos beszedési megbízás") for a contract's premium."""

    class Status(models.TextChoices):
        PENDING_BANK = "pending_bank", _("awaiting the bank's acceptance")
        PENDING_INSURER = "pending_insurer", _("awaiting the insurer's acceptance")
        ACTIVE = "active", _("active")
        REJECTED = "rejected", _("rejected")
        REVOKED = "revoked", _("revoked")

    class Problem(models.TextChoices):
        IDENTIFIER_MISMATCH = "identifier_mismatch", _("identifier does not match")
        LIMIT_TOO_LOW = "limit_too_low", _("limit below the premium")
        INSUFFICIENT_FUNDS = "insufficient_funds", _("insufficient funds")
        REVOKED = "revoked", _("revoked by the payer")
        ACCOUNT_CLOSED = "account_closed", _("account closed")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="mandates"
    )
    external_id = models.CharField(_("core system id"), max_length=40, unique=True)
    identifier = models.CharField(_("payer identifier at the payee"), max_length=30)
    payer_name = models.CharField(_("payer name"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=34)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    start_date = models.DateField(_("start date"))
    limit_amount = models.PositiveIntegerField(_("upper limit (HUF)"), null=True, blank=True)
    problem = models.CharField(
        _("last problem"), max_length=30, choices=Problem.choices, blank=True
    )
    problem_on = models.DateField(_("problem on"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct debit mandate")
        verbose_name_plural = _("direct debit mandates")

    def __str__(self) -> str:
        return f"{self.contract} {self.identifier}"


class DirektThrottle(models.Model):
    """Failed Direkt code verifications of one GRID: the back-off and the hard lock.

    Keyed by the GRID as typed, not by the firm: a GRID that no firm holds gets a row too, so
    that an unknown GRID behaves exactly like a known one (no enumeration by the lock). Rows are
    written only by ``partners.verification``, under ``select_for_update``.
    """

    grid = models.CharField(_("GRID"), max_length=9, unique=True, validators=[grid_validator])
    failure_count = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure at"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    unlocked_at = models.DateTimeField(_("last unlocked at"), null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last unlocked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Direkt code throttle")
        verbose_name_plural = _("Direkt code throttles and locks")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__regex=GRID_PATTERN), name="throttle_grid_9_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.grid

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class DirektLockEvent(AppendOnly, models.Model):
    """A GRID was locked after repeated failures, or unlocked by a person (the audit trail)."""

    class Kind(models.TextChoices):
        LOCKED = "locked", _("locked")
        UNLOCKED = "unlocked", _("unlocked")

    grid = models.CharField(_("GRID"), max_length=9, db_index=True)
    firm = models.ForeignKey(
        PartnerFirm,
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="direkt_lock_events",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    failure_count = models.PositiveIntegerField(_("failures at the time"), default=0)

    class Meta:
        verbose_name = _("Direkt code lock event")
        verbose_name_plural = _("Direkt code lock events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.grid} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class CallingNumberFailures(models.Model):
    """Failed verifications from one calling number on one (Budapest) day, across all GRIDs."""

    number = models.CharField(_("calling number"), max_length=40)
    day = models.DateField(_("day"))
    failure_count = models.PositiveIntegerField(_("failures"), default=0)

    class Meta:
        verbose_name = _("failures of a calling number")
        verbose_name_plural = _("failures per calling number and day")
        constraints = [
            models.UniqueConstraint(fields=["number", "day"], name="number_failures_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.day}: {self.failure_count}"


# --- The partner portal -------------------------------------------------------------------------


class ManagerInvitation(models.Model):
    """An e-mailed, single-use, expiring link that lets a person become a manager of a firm.

    Only the SHA-256 of the link's token is stored: the token is random (256 bits), so a plain
    digest is enough, and a database leak yields no usable link.
    """

    firm = models.ForeignKey(
        PartnerFirm, verbose_name=_("firm"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    is_leader = models.BooleanField(_("firm leader"), default=False)
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("manager invitation")
        verbose_name_plural = _("manager invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106
                name="invitation_token_is_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} – {self.firm}"


class FirmAuditEntry(AppendOnly, models.Model):
    """Who did what to a firm's registration, codes, managers or lock, when and from where.

    Never holds a code: only that a code of a role changed.
    """

    class Action(models.TextChoices):
        REGISTERED = "registered", _("registered for GrATISZ")
        CODE_ROTATED = "code_rotated", _("Direkt code changed")
        REREGISTRATION = "reregistration", _("codes retired, registration starts again")
        MANAGER_INVITED = "manager_invited", _("manager invited")
        MANAGER_JOINED = "manager_joined", _("manager accepted the invitation")
        MANAGER_REVOKED = "manager_revoked", _("manager revoked")
        GRID_UNLOCKED = "grid_unlocked", _("GRID unlocked")
        FIRM_CHANGED = "firm_changed", _("firm data changed")
        MANAGER_GRANTED = "manager_granted", _("manager authorised")

    # A referent's or an administrator's writes: the firm's referent is e-mailed too (the
    # managers' own registration and code changes go to the managers only).
    TELLS_REFERENT = frozenset(
        {
            Action.REREGISTRATION,
            Action.MANAGER_INVITED,
            Action.MANAGER_JOINED,
            Action.MANAGER_REVOKED,
            Action.GRID_UNLOCKED,
            Action.FIRM_CHANGED,
            Action.MANAGER_GRANTED,
        }
    )

    firm = models.ForeignKey(
        PartnerFirm, verbose_name=_("firm"), on_delete=models.CASCADE, related_name="audit_entries"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # A change made by phone (a manager in the IVR's menu 3): the number called from.
    calling_number = models.CharField(_("by phone from"), max_length=40, blank=True)
    roles = models.CharField(_("code roles"), max_length=20, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("firm audit entry")
        verbose_name_plural = _("firm audit entries")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["firm", "-at"])]

    def __str__(self) -> str:
        return f"{self.firm.grid} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def tells_referent(self) -> bool:
        return self.action in self.TELLS_REFERENT

    @property
    def who(self) -> str:
        """Who made the change, as the firm's people read it."""
        if self.by is not None:
            return str(self.by)
        if self.calling_number:
            if is_withheld(self.calling_number):
                return str(_("a manager by phone (menu 3), from a withheld number"))
            return str(
                _("a manager by phone (menu 3), from the number %(number)s")
                % {"number": self.calling_number}
            )
        return "—"
