"""The desk's side of a call: who handles it, the identification checks, requests, notes,
the outcome, remarks added after closing, and the disclosure log.

The IVR owns ``calls.CallTicket``; the desk hangs its data on it through ``CallHandling``
(one row per handled ticket) and changes the ticket's state only through conditional updates
in ``services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.audit import AppendOnly
from partners.models import PartnerFirm


class CallHandling(models.Model):
    """An agent's handling of one call ticket, from taking it to closing it.

    Once ``closed_at`` is set the notes, outcome, identification checks and requests are
    frozen; later remarks are appended as ``Remark`` rows.
    """

    class Origin(models.TextChoices):
        QUEUE = "queue", _("taken from the queue")
        MANUAL = "manual", _("manual verification (outbound callback)")
        CALLBACK = "callback", _("callback dialled from a promise")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("answered during the call")
        CALLBACK = "callback", _("callback promised")
        WRITTEN_ANSWER = "written_answer", _("written answer promised")
        WRITTEN_REQUEST = "written_request", _("sent to the written-request channels")
        CLAIM_REPORTED = "claim_reported", _("claim reported")
        NOT_IDENTIFIED = "not_identified", _("client could not be identified")
        DROPPED = "dropped", _("call dropped")

    class Connection(models.TextChoices):
        """Whether the provider put the queued caller through to the agent's phone."""

        PENDING = "pending", _("connecting")
        CONNECTED = "connected", _("connected")
        FAILED = "failed", _("not connected")
        NOT_NEEDED = "not_needed", _("already on the line")

    ticket = models.OneToOneField(
        "calls.CallTicket",
        verbose_name=_("call ticket"),
        on_delete=models.PROTECT,
        related_name="handling",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="call_handlings",
    )
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    taken_at = models.DateTimeField(_("taken at"))
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Set by calls.desk.connection: a call from the provider's queue starts "pending"; PBX
    # calls and desk callbacks have the caller on the line already.
    connect_state = models.CharField(
        _("connection to the agent's phone"),
        max_length=12,
        choices=Connection.choices,
        default=Connection.NOT_NEEDED,
    )
    connect_error = models.CharField(_("connection problem"), max_length=300, blank=True)
    connect_attempts = models.PositiveSmallIntegerField(_("connection attempts"), default=0)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    # When a worker claimed the current request to the provider (a lease): while it is recent,
    # no other worker sends; the request itself runs outside any transaction.
    connect_started_at = models.DateTimeField(
        _("connection request started at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("call handling")
        verbose_name_plural = _("call handlings")
        ordering = ["-taken_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(closed_at__isnull=True),
                name="desk_one_open_call_per_agent",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(outcome=""),
                name="desk_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} – {self.agent}"

    @property
    def firm(self) -> PartnerFirm:
        """The firm the call is about: a call reaches an agent only once its firm is identified
        (taking it from the queue and manual verification both require one)."""
        return self.ticket.identified_firm

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def connection_watched(self) -> bool:
        """Tell whether the call screen keeps looking at the connection: while the caller is
        being put through, or rings or talks on the agent's phone (it may not answer)."""
        return (
            self.connect_state in (self.Connection.PENDING, self.Connection.CONNECTED)
            and self.closed_at is None
            and self.ticket.ended_at is None
        )

    @property
    def can_reconnect(self) -> bool:
        """Tell whether the caller can be put through again: the connection failed, the
        caller is still on the line and the call is open."""
        return (
            self.connect_state == self.Connection.FAILED
            and self.closed_at is None
            and self.ticket.ended_at is None
        )


class IdentificationCheck(models.Model):
    """One identification of the client of a contract: which facts the caller gave and which
    matched (never the values typed). ``passed`` when at least two matched."""

    handling = models.ForeignKey(
        CallHandling, on_delete=models.PROTECT, related_name="identifications"
    )
    contract = models.ForeignKey(
        "partners.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    facts_given = models.JSONField(_("facts given"), default=list)
    facts_matched = models.JSONField(_("facts matched"), default=list)
    passed = models.BooleanField(_("identified"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("identification check")
        verbose_name_plural = _("identification checks")
        ordering = ["handling", "at"]
        indexes = [models.Index(fields=["handling", "contract", "passed"])]

    def __str__(self) -> str:
        return f"{self.contract} {'✓' if self.passed else '✗'}"


class DeskRequest(models.Model):
    """A request recorded on the call: a document to send, a callback or a written answer
    promised, the written-request guidance sent."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("certificate or document")
        CALLBACK = "callback", _("callback promise")
        WRITTEN_ANSWER = "written_answer", _("written answer promise")
        WRITTEN_GUIDANCE = "written_guidance", _("written-request guidance")

    PROMISES = (Kind.CALLBACK, Kind.WRITTEN_ANSWER)

    handling = models.ForeignKey(CallHandling, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    contract = models.ForeignKey(
        "partners.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    certificate_request = models.OneToOneField(
        "certificates.CertificateRequest",
        verbose_name=_("certificate request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"))
    # Who keeps a promise: empty, the agent who made it; else the colleague who took it over.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("kept by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("request on a call")
        verbose_name_plural = _("requests on calls")
        ordering = ["handling", "created_at"]
        indexes = [
            models.Index(fields=["kind", "done_at", "due_at"]),
            # The promises not kept yet, by due time: the supervisor's overdue list reads its
            # first rows instead of sorting every open promise of the history.
            models.Index(
                fields=["due_at"],
                condition=Q(kind__in=["callback", "written_answer"], done_at__isnull=True),
                name="desk_open_promise_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["callback", "written_answer"]) | Q(due_at__isnull=False),
                name="desk_promise_has_due_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}".strip()

    @property
    def overdue(self) -> bool:
        """Tell whether the promise's due time has passed."""
        return self.due_at is not None and self.due_at < timezone.now()


class Remark(models.Model):
    """A remark added to a closed call (the closed record itself is never edited)."""

    handling = models.ForeignKey(CallHandling, on_delete=models.PROTECT, related_name="remarks")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    text = models.TextField(_("remark"))

    class Meta:
        verbose_name = _("remark")
        verbose_name_plural = _("remarks")
        ordering = ["handling", "at"]

    def __str__(self) -> str:
        return self.text[:40]


class DeskEmail(models.Model):
    """An e-mail the desk sent during a call (written-request guidance, a claim number).

    The call's link to the e-mail in the outbox (``outbox.Email``), which keeps its exact text
    and its tries: the mail worker tries it until the mail server takes it, so a mail server
    that is down loses nothing and fails no page, and the call screen and the supervisors'
    timeline show whether it went out.
    """

    handling = models.ForeignKey(CallHandling, on_delete=models.PROTECT, related_name="emails")
    email = models.OneToOneField(
        "outbox.Email",
        on_delete=models.PROTECT,
        related_name="desk_email",
        verbose_name=_("e-mail"),
    )

    class Meta:
        verbose_name = _("desk e-mail")
        verbose_name_plural = _("desk e-mails")
        ordering = ["handling", "pk"]

    def __str__(self) -> str:
        return str(self.email)


class Disclosure(AppendOnly, models.Model):
    """One view of a contract, claim or personal record during a call (the audit of who saw
    what, for which verified call)."""

    class Record(models.TextChoices):
        CONTRACT = "contract", _("contract")
        CLAIM = "claim", _("claim")
        PERSONAL = "personal", _("personal data of the policyholder")
        OFFER = "offer", _("offer")

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "calls.CallTicket", on_delete=models.PROTECT, related_name="disclosures"
    )
    firm = models.ForeignKey("partners.PartnerFirm", on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(_("record"), max_length=10, choices=Record.choices)
    record_ref = models.CharField(_("reference"), max_length=40)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosure log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["record_type", "record_ref"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.agent} {self.record_ref}"


class WrittenRequestType(models.Model):
    """Editable guidance for a change that must be asked in writing: the form and channels."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("change wanted"), max_length=200)
    form_name = models.CharField(_("form to use"), max_length=200)
    fax = models.CharField(_("fax number"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    postal_address = models.CharField(_("postal address"), max_length=250, blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    is_active = models.BooleanField(_("offered to agents"), default=True)

    class Meta:
        verbose_name = _("written-request type")
        verbose_name_plural = _("written-request guidance")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ClaimReport(models.Model):
    """A first notice of loss taken by phone: a draft the agent may pause, then submitted once
    (the claim it created is kept, so a second submit returns the same claim)."""

    class Kind(models.TextChoices):
        MOTOR = "motor", _("motor")
        PROPERTY = "property", _("property")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        DISCARDED = "discarded", _("discarded when the call was closed")

    handling = models.ForeignKey(
        CallHandling, on_delete=models.PROTECT, related_name="claim_reports"
    )
    contract = models.ForeignKey(
        "partners.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="draft")
    data = models.JSONField(_("answers"), default=dict, blank=True)
    # The key of the form page that started the report: opening the form creates nothing, so
    # the same form sent again (the back button, a second tab) is recognised by it.
    form_key = models.CharField(_("form key"), max_length=32, blank=True, db_index=True)
    claim = models.OneToOneField(
        "claims.Claim",
        verbose_name=_("claim"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone claim report")
        verbose_name_plural = _("phone claim reports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "discarded"], claim__isnull=True)
                | Q(state="submitted", claim__isnull=False),
                name="desk_report_submitted_has_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.get_kind_display()} {self.get_state_display()}"


class AgentPresence(models.Model):
    """Where an agent is, for offering calls: available, on a call, in wrap-up, on a break.

    "On a call" is not stored: it is an open ``CallHandling``. Wrap-up is the set time after a
    call (``DESK_WRAP_UP_SECONDS``, extendable) in which the agent finishes its notes; a break
    lasts until the agent is back. Calls are offered (the ring, the notification, the tab title)
    only to available agents; an agent who takes a call anyway ends the wrap-up or the break.
    """

    class State(models.TextChoices):
        AVAILABLE = "available", _("available")
        ON_CALL = "on_call", _("on a call")
        WRAP_UP = "wrap_up", _("wrap-up")
        BREAK = "break", _("on a break")

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="desk_presence",
    )
    wrap_up_until = models.DateTimeField(_("wrap-up until"), null=True, blank=True)
    break_since = models.DateTimeField(_("on a break since"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presences")

    def __str__(self) -> str:
        return str(self.agent)


class CallbackAttempt(models.Model):
    """One callback of a promise dialled through the telephony provider
    (``calls.desk.callbacks``): the provider rings the agent's phone, then the broker's number.

    Its ``ticket`` is the callback's own call ticket (source ``callback``); the original call
    is the promise's. The outcome says what it counts for: a broker not reached (no answer,
    busy, wrong number) is an attempt on the promise, the agent's phone not answering is not.
    """

    class Outcome(models.TextChoices):
        DIALLING = "dialling", _("dialling")
        REACHED = "reached", _("the broker answered")
        KEPT = "kept", _("reached and verified: promise kept")
        NOT_VERIFIED = "not_verified", _("reached, verification failed")
        NO_ANSWER = "no_answer", _("the broker did not answer")
        BUSY = "busy", _("the broker's line was busy")
        WRONG_NUMBER = "wrong_number", _("the number could not be called")
        AGENT_NO_ANSWER = "agent_no_answer", _("the agent's phone did not answer")
        CANCELED = "canceled", _("hung up before the broker answered")
        NOT_SENT = "not_sent", _("the provider did not place the call")

    # A broker not reached: counted on the promise, and the next try is proposed.
    BROKER_MISSED = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.WRONG_NUMBER)

    class NumberSource(models.TextChoices):
        PROMISE = "promise", _("the number on the promise")
        FIRM = "firm", _("a number on file for the firm")
        TYPED = "typed", _("typed by the agent and read back")

    promise = models.ForeignKey(
        DeskRequest,
        verbose_name=_("promise"),
        on_delete=models.PROTECT,
        related_name="callback_attempts",
    )
    ticket = models.OneToOneField(
        "calls.CallTicket",
        verbose_name=_("callback call"),
        on_delete=models.PROTECT,
        related_name="callback_attempt",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("number dialled"), max_length=40)
    number_source = models.CharField(_("number from"), max_length=10, choices=NumberSource.choices)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.DIALLING
    )
    started_at = models.DateTimeField(_("dialled at"))
    answered_at = models.DateTimeField(_("the broker answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try proposed"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["-started_at"]
        constraints = [
            # One callback at a time per agent: the provider rings their one phone.
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(ended_at__isnull=True),
                name="desk_one_callback_per_agent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promise_id} → {self.number} ({self.outcome})"

    @property
    def counts_against_broker(self) -> bool:
        return self.outcome in self.BROKER_MISSED


class OfferIdentificationCheck(models.Model):
    """One identification of the client of an offer, as ``IdentificationCheck`` is for a
    contract: which facts the caller gave and which matched (never the values typed)."""

    handling = models.ForeignKey(
        CallHandling, on_delete=models.PROTECT, related_name="offer_identifications"
    )
    offer = models.ForeignKey(
        "partners.Offer", verbose_name=_("offer"), on_delete=models.PROTECT, related_name="+"
    )
    facts_given = models.JSONField(_("facts given"), default=list)
    facts_matched = models.JSONField(_("facts matched"), default=list)
    passed = models.BooleanField(_("identified"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("identification check on an offer")
        verbose_name_plural = _("identification checks on offers")
        ordering = ["handling", "at"]
        indexes = [models.Index(fields=["handling", "offer", "passed"])]

    def __str__(self) -> str:
        return f"{self.offer} {'✓' if self.passed else '✗'}"


class Complaint(models.Model):
    """A call marked as a complaint ("panasz"): its recording and ticket are kept five years
    from the call whatever the ordinary retention (``calls.desk.complaints``).

    Marked by the call's agent (who, when, a short subject); only a supervisor unmarks it, with
    a reason, and the row stays as the audit trail (``unmarked_*``). At most one mark in force
    per call.
    """

    ticket = models.ForeignKey(
        "calls.CallTicket",
        verbose_name=_("call ticket"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    subject = models.CharField(_("subject of the complaint"), max_length=200)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked at"))
    unmarked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unmarked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    unmarked_at = models.DateTimeField(_("unmarked at"), null=True, blank=True)
    unmark_reason = models.CharField(_("reason of the unmarking"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-marked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(unmarked_at__isnull=True),
                name="desk_one_complaint_per_call",
            ),
            models.CheckConstraint(
                condition=Q(unmarked_at__isnull=True)
                | (Q(unmarked_by__isnull=False) & ~Q(unmark_reason="")),
                name="desk_complaint_unmarked_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.subject}"

    @property
    def in_force(self) -> bool:
        return self.unmarked_at is None
