"""Calls: the ticket of each phone call, its IVR path and verification, recordings; and the
IVR's content (prompts) and calendar (opening hours, special days).

The desk's and the review's models hang on the ticket from their own apps (``calls.desk``,
``calls.review``); the IVR's logic lives in ``calls.ivr``.
"""

from django.core.validators import MaxValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.audit import AppendOnly
from partners.models import PartnerFirm
from partners.verification import Outcome


class CallTicket(models.Model):
    """One phone call, keyed by its source and the source's id for it: who called, what they
    chose, how they were identified, where the call went, and how it ended."""

    class Source(models.TextChoices):
        """Where the call came from, and so what its ``call_sid`` is."""

        IVR = "ivr", _("IVR (telephony provider)")  # the provider's CallSid
        PBX = "pbx", _("PBX (CTI)")  # the PBX's call id
        DESK = "desk", _("desk callback")  # an agent's manual verification: a random id
        # A callback dialled through the provider from a promise (calls.desk.callbacks): the
        # provider's CallSid of the call to the agent's phone, a placeholder until it answers.
        CALLBACK = "callback", _("callback dialled by the provider")

    class State(models.TextChoices):
        IN_IVR = "in_ivr", _("in the IVR")
        WAITING = "waiting", _("waiting for an agent")
        WITH_AGENT = "with_agent", _("with an agent")
        COMPLETED = "completed", _("completed")
        ABANDONED = "abandoned", _("abandoned")
        FAILED_VERIFICATION = "failed_verification", _("failed verification")
        CLOSED_HOURS = "closed_hours", _("outside opening hours")

    OPEN_STATES = (State.IN_IVR, State.WAITING, State.WITH_AGENT)

    class EndReason(models.TextChoices):
        """Why a call ended without the provider's final status (set by the stale-call sweep)."""

        NO_STATUS_IN_IVR = "no_status_in_ivr", _("no word from the provider in the voice menu")
        NO_STATUS_IN_QUEUE = "no_status_in_queue", _("no word from the provider in the queue")

    class Menu(models.TextChoices):
        CONTRACTS = "1", _("1 – contracts and certificates")
        CLAIMS = "2", _("2 – claims")
        CODE_CHANGE = "3", _("3 – Direkt code change")

    class Stage(models.TextChoices):
        """What the IVR waits for next."""

        MENU = "menu", _("menu choice")
        GRID = "grid", _("GRID")
        CODE = "code", _("Direkt code")
        NEW_CODE = "new_code", _("new Direkt code")
        NEW_CODE_AGAIN = "new_code_again", _("new Direkt code again")
        DONE = "done", _("nothing (IVR finished)")

    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.IVR
    )
    call_sid = models.CharField(_("call SID"), max_length=64)
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    from_number = models.CharField(_("calling number"), max_length=40, blank=True)
    to_number = models.CharField(_("called number"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.IN_IVR, db_index=True
    )
    menu = models.CharField(_("menu"), max_length=1, choices=Menu.choices, blank=True)
    # Only a 9-digit entry is kept: anything else might be a Direkt code typed at the wrong prompt.
    grid_entered = models.CharField(_("GRID entered"), max_length=9, blank=True)
    firm = models.ForeignKey(
        "partners.PartnerFirm",
        verbose_name=_("verified firm"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_tickets",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    queue_name = models.CharField(_("queue"), max_length=40, blank=True)
    enqueued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    queue_result = models.CharField(_("queue result"), max_length=30, blank=True)
    code_changed_at = models.DateTimeField(_("Direkt code changed at"), null=True, blank=True)
    provider_status = models.CharField(_("provider call status"), max_length=20, blank=True)
    end_reason = models.CharField(
        _("ended without the provider's status"),
        max_length=20,
        choices=EndReason.choices,
        blank=True,
    )
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    # The IVR's position: what it waits for, and the number of answers it has given (the action
    # URLs carry it, so that a provider's retry is recognised and a stale request refused).
    stage = models.CharField(_("IVR stage"), max_length=20, choices=Stage.choices, blank=True)
    step_count = models.PositiveIntegerField(_("IVR answers given"), default=0)
    menu_tries = models.PositiveSmallIntegerField(default=0)
    failed_verifications = models.PositiveSmallIntegerField(default=0)
    new_code_tries = models.PositiveSmallIntegerField(default=0)
    # The first entry of a new code while the caller repeats it: a keyed hash under the pepper
    # and a random salt (like DirektCode), never the digits; emptied at once after the repeat.
    pending_code_salt = models.CharField(max_length=32, blank=True, editable=False)
    pending_code_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("call ticket")
        verbose_name_plural = _("call tickets")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["state", "queue_name", "enqueued_at"]),
            # A firm's own history (the partner portal, the desk's recent calls of the firm).
            models.Index(fields=["firm", "-started_at"], name="ticket_firm_started"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["call_sid", "source"], name="ticket_call_once"),
            models.CheckConstraint(
                condition=Q(grid_entered="") | Q(grid_entered__regex=r"^[0-9]{9}$"),
                name="ticket_grid_entered_9_digits",
            ),
            models.CheckConstraint(
                condition=Q(firm__isnull=True) | Q(verified_at__isnull=False),
                name="ticket_firm_only_when_verified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call_sid} {self.from_number}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def identified_firm(self) -> PartnerFirm:
        """The firm the caller identified: for what only an identified call reaches (an agent,
        the code-change menu)."""
        if self.firm is None:
            raise ValueError(f"call {self.pk} has no identified firm")
        return self.firm

    @property
    def waiting_since(self) -> int:
        """When the caller began to wait, in milliseconds since the epoch (the queue's clock in
        the browser counts from it)."""
        return round((self.enqueued_at or self.started_at).timestamp() * 1000)

    @property
    def waiting(self) -> str:
        """How long the caller has waited so far, as m:ss."""
        since = self.enqueued_at or self.started_at
        seconds = max(int((timezone.now() - since).total_seconds()), 0)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def needs_connection(self) -> bool:
        """Tell whether the provider must put the caller through to the agent who takes the
        call: a caller waiting in the provider's queue. A PBX puts its callers through itself;
        on a desk callback the agent is already talking to the caller."""
        return self.source == self.Source.IVR


class IvrStep(AppendOnly, models.Model):
    """One answer the IVR gave on a call, with what the caller had keyed (codes redacted)."""

    ticket = models.ForeignKey(CallTicket, on_delete=models.CASCADE, related_name="ivr_steps")
    number = models.PositiveIntegerField(_("number"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    stage = models.CharField(_("answered stage"), max_length=20, blank=True)
    # Menu digits and 9-digit GRIDs as typed; for codes only their shape ("4 digits", "none").
    input_summary = models.CharField(_("input"), max_length=40, blank=True)
    event = models.CharField(_("what happened"), max_length=40)
    twiml = models.TextField(_("TwiML answered"))

    class Meta:
        verbose_name = _("IVR step")
        verbose_name_plural = _("IVR steps")
        ordering = ["ticket", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"], name="ivr_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.call_sid} #{self.number} {self.event}"


class VerificationAttempt(AppendOnly, models.Model):
    """One check of a GRID and Direkt code during a call, and its result (never the code)."""

    ticket = models.ForeignKey(
        CallTicket, on_delete=models.CASCADE, related_name="verification_attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    menu = models.CharField(_("menu"), max_length=1, choices=CallTicket.Menu.choices)
    grid_entered = models.CharField(_("GRID entered"), max_length=9, blank=True)
    firm = models.ForeignKey(
        "partners.PartnerFirm",
        verbose_name=_("firm of the GRID"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("code role asked"), max_length=10)
    outcome = models.CharField(_("result"), max_length=20, choices=Outcome.choices)

    class Meta:
        verbose_name = _("verification attempt")
        verbose_name_plural = _("verification attempts")
        ordering = ["ticket", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"], name="verification_once"),
        ]
        # The recent failures on a GRID (the partner portal's security page).
        indexes = [models.Index(fields=["grid_entered", "-at"], name="verification_grid_at")]

    def __str__(self) -> str:
        return f"{self.ticket.call_sid} #{self.number}: {self.outcome}"


class CtiEvent(AppendOnly, models.Model):
    """One event a PBX reported on a call through the CTI API (never a Direkt code).

    Unique per call, kind and attempt: a resent event is recognised and answered as before."""

    class Kind(models.TextChoices):
        STARTED = "started", _("call started")
        IDENTIFIED = "identified", _("caller identified")
        ANSWERED = "answered", _("answered by an extension")
        ENDED = "ended", _("call ended")

    ticket = models.ForeignKey(CallTicket, on_delete=models.CASCADE, related_name="cti_events")
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    occurred_at = models.DateTimeField(_("at (PBX clock)"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    # What the event changed, as answered to the PBX (e.g. "verified", "failed", "agent anna").
    result = models.CharField(_("result"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("CTI event")
        verbose_name_plural = _("CTI events")
        ordering = ["ticket", "received_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "attempt"], name="cti_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.call_sid} {self.kind} #{self.attempt}"


class CallRecording(models.Model):
    """A recording of the call, as the provider's recording status callback reports it."""

    COMPLETED = "completed"  # the provider's ``RecordingStatus`` once the audio is final

    ticket = models.ForeignKey(CallTicket, on_delete=models.CASCADE, related_name="recordings")
    recording_sid = models.CharField(_("recording SID"), max_length=64, unique=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")

    def __str__(self) -> str:
        return self.recording_sid


class IvrPrompt(models.Model):
    """What the IVR says at one point of the flow: Hungarian text, English text, or a recording.

    Texts may hold ``{hours}`` (the opening hours, from the calendar tables) where it fits.
    """

    class Key(models.TextChoices):
        CLOSED = "closed", _("closed (outside opening hours)")
        WELCOME = "welcome", _("welcome and menu")
        MENU_AGAIN = "menu_again", _("invalid choice, menu again")
        NO_CHOICE_GOODBYE = "no_choice_goodbye", _("no choice, goodbye")
        ASK_GRID = "ask_grid", _("ask for the GRID")
        ASK_CODE = "ask_code", _("ask for the Direkt code")
        ASK_MANAGER_CODE = "ask_manager_code", _("ask for the manager's Direkt code (menu 3)")
        VERIFIED = "verified", _("identification succeeded")
        RETRY = "retry", _("identifier not found, enter again")
        FAILED = "failed", _("identification failed, goodbye")
        MENU3_FAILED = "menu3_failed", _("menu 3 identification failed, ask the firm's leader")
        WAITING = "waiting", _("waiting in the queue")
        ASK_NEW_CODE = "ask_new_code", _("ask for the new Direkt code")
        ASK_NEW_CODE_AGAIN = "ask_new_code_again", _("ask for the new Direkt code again")
        NEW_CODE_MISMATCH = "new_code_mismatch", _("the two new codes differ")
        NEW_CODE_FORMAT = "new_code_format", _("new code: not 4 digits")
        NEW_CODE_TRIVIAL = "new_code_trivial", _("new code: too easy to guess")
        NEW_CODE_REUSED = "new_code_reused", _("new code: one of the last five")
        NEW_CODE_SAME_AS_OTHER = "new_code_same_as_other", _("new code: same as the manager code")
        NEW_CODE_GIVE_UP = "new_code_give_up", _("new code refused twice, goodbye")
        CODE_CHANGED = "code_changed", _("code changed, goodbye")
        CALLBACK_NOTICE = "callback_notice", _("callback: the broker answered (recording notice)")

    key = models.CharField(_("key"), max_length=30, choices=Key.choices, unique=True)
    text_hu = models.TextField(_("Hungarian text"))
    text_en = models.TextField(_("English text"), blank=True)
    audio_url = models.URLField(
        _("audio URL"),
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text=_("When set, this recording is played instead of the text being spoken."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("IVR prompt")
        verbose_name_plural = _("IVR prompts")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.get_key_display()


class OpeningHours(models.Model):
    """The line's regular hours on one weekday (a weekday without a row is closed)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, unique=True, validators=[MaxValueValidator(6)]
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="opens_first")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class SpecialDay(models.Model):
    """A day whose hours differ from the rule: closed, or open with its own hours. It overrides
    the weekday's hours, the Hungarian public holidays and the transferred working days."""

    date = models.DateField(_("date"), unique=True)
    is_open = models.BooleanField(_("open"), default=False)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("special day")
        verbose_name_plural = _("special days")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_open=False)
                | Q(opens__isnull=False, closes__isnull=False, closes__gt=models.F("opens")),
                name="special_day_open_has_hours",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.note}".strip()
