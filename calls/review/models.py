"""Supervisor review: a read model of the call log, quality score cards, recordings' stored
audio with holds and playback audit, and the pre-aggregated counters of the live board.

``CallLogEntry`` and ``BoardCounter`` are derived data: ``services.call_log_refresh`` and
``services.board_counters_rebuild`` (run by the periodic ``tasks.review_sync``) rebuild them
from the call tickets, the desk's handlings and the certificates' deliveries. They exist so
that the log and the board stay fast at a million calls (one indexed table instead of five
joins and a subquery per row).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from calls.desk.models import CallHandling
from calls.models import CallTicket
from partners.audit import AppendOnly

from . import labels


class CallLogEntry(models.Model):
    """One call as the log shows and filters it (denormalised from the ticket and its handling)."""

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("verified")
        FAILED = "failed", _("failed")
        NONE = "none", _("not attempted")

    ticket = models.OneToOneField(
        "calls.CallTicket",
        verbose_name=_("call ticket"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="log_entry",
    )
    started_at = models.DateTimeField(_("started at"))
    state = models.CharField(_("state"), max_length=20)
    menu = models.CharField(_("menu"), max_length=1, blank=True)
    grid = models.CharField(_("GRID entered"), max_length=9, blank=True)
    firm = models.ForeignKey(
        "partners.PartnerFirm",
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    verification = models.CharField(
        _("verification"), max_length=10, choices=Verification.choices, default=Verification.NONE
    )
    failed_verifications = models.PositiveSmallIntegerField(_("failed verifications"), default=0)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    # Whether the call reached the agents' queue (an agent's outbound call never does): the
    # service level counts only these.
    queued = models.BooleanField(_("queued"), default=False)
    # Seconds; 0 when the call never queued / was never taken (the log shows "–" then).
    wait_seconds = models.PositiveIntegerField(_("waiting time (s)"), default=0)
    handle_seconds = models.PositiveIntegerField(_("handling time (s)"), default=0)
    requests = models.PositiveSmallIntegerField(_("requests"), default=0)
    documents_sent = models.BooleanField(_("documents sent"), default=False)
    failed_delivery = models.BooleanField(_("failed delivery"), default=False)
    # The earliest due time of a promise not yet done: overdue when it is in the past.
    open_promise_due_at = models.DateTimeField(_("open promise due at"), null=True, blank=True)
    has_recording = models.BooleanField(_("recorded"), default=False)
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    class Meta:
        verbose_name = _("call log entry")
        verbose_name_plural = _("call log")
        ordering = ["-started_at", "-ticket"]
        indexes = [
            models.Index(fields=["started_at", "ticket"], name="review_log_started"),
            models.Index(fields=["firm", "started_at", "ticket"], name="review_log_firm"),
            models.Index(fields=["agent", "started_at", "ticket"], name="review_log_agent"),
            models.Index(fields=["grid", "started_at", "ticket"], name="review_log_grid"),
            models.Index(fields=["outcome", "started_at", "ticket"], name="review_log_outcome"),
            models.Index(fields=["menu", "started_at", "ticket"], name="review_log_menu"),
            models.Index(fields=["verification", "started_at", "ticket"], name="review_log_verif"),
            models.Index(fields=["wait_seconds", "ticket"], name="review_log_wait"),
            models.Index(fields=["handle_seconds", "ticket"], name="review_log_handle"),
            # Rare conditions get partial indexes: a scan of the date index would read most
            # of the table before it found a page of them.
            models.Index(
                fields=["started_at", "ticket"],
                condition=Q(failed_delivery=True),
                name="review_log_failed_deliv",
            ),
            models.Index(
                fields=["started_at", "ticket"],
                condition=Q(documents_sent=True),
                name="review_log_docs_sent",
            ),
            models.Index(
                fields=["started_at", "ticket"],
                condition=Q(open_promise_due_at__isnull=False),
                name="review_log_open_promise",
            ),
            # Calls still in progress: the periodic sync refreshes them until they end.
            models.Index(
                fields=["state"],
                condition=Q(state__in=["in_ivr", "waiting", "with_agent"]),
                name="review_log_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {timezone.localtime(self.started_at):%Y. %m. %d. %H:%M}"

    @property
    def state_display(self) -> str:
        return labels.choice_label(CallTicket.State, self.state)

    @property
    def menu_display(self) -> str:
        return labels.choice_label(CallTicket.Menu, self.menu)

    @property
    def source_display(self) -> str:
        """Where the call came from (the page annotates ``source``; the exports read the
        ticket they fetch anyway)."""
        source = getattr(self, "source", None) or self.ticket.source
        return labels.choice_label(CallTicket.Source, source)

    @property
    def outcome_display(self) -> str:
        """The agent's outcome in words, or for a call no agent closed, how it ended."""
        if self.outcome:
            return labels.choice_label(CallHandling.Outcome, self.outcome)
        return self.state_display


class BoardCounter(models.Model):
    """One pre-aggregated figure of one hour: ``metric`` for ``key`` (an agent id, a GRID, a
    request kind, a delivery state, a call outcome, a claim report kind, or empty). The board
    sums these instead of counting calls."""

    class Metric(models.TextChoices):
        CALLS = "calls", _("calls")
        ANSWERED = "answered", _("answered")
        ABANDONED = "abandoned", _("abandoned")
        WAIT_TOTAL = "wait_total", _("waiting seconds of answered calls")
        AGENT_CALLS = "agent_calls", _("calls handled by an agent")
        AGENT_HANDLE_TOTAL = "agent_handle_total", _("handling seconds of an agent")
        GRID_FAILURES = "grid_failures", _("failed verifications of a GRID")
        REQUESTS = "requests", _("requests of a kind")
        DELIVERIES = "deliveries", _("deliveries in a state")
        # The service level: queued calls that were answered or abandoned (short abandons
        # left out), and those answered within REVIEW_SERVICE_LEVEL_SECONDS of being queued.
        SL_OFFERED = "sl_offered", _("offered calls")
        SL_ANSWERED = "sl_answered", _("calls answered within the service level time")
        OUTCOMES = "outcomes", _("calls closed with an outcome")
        CLAIM_REPORTS = "claim_reports", _("phone claim reports submitted of a kind")
        # Promises (callback, written answer) of a kind by the hour they fall due: those due
        # (or already done), and those done by their due time.
        PROMISES_DUE = "promises_due", _("promises due")
        PROMISES_KEPT = "promises_kept", _("promises kept on time")

    hour = models.DateTimeField(_("hour"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("board counter")
        verbose_name_plural = _("board counters")
        constraints = [
            models.UniqueConstraint(fields=["hour", "metric", "key"], name="review_counter_once")
        ]
        indexes = [models.Index(fields=["metric", "hour"], name="review_counter_metric")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.metric} {self.key}: {self.value}"


class DayCounter(models.Model):
    """The hourly ``BoardCounter`` figures summed per local day (Europe/Budapest, so a day
    has 23 or 25 hours at a clock change): the reports read one row per day and figure
    instead of 24, so the 90-day report's cost does not grow with the calls' hours. Rebuilt
    with the hours they sum (``rollups.day_counters_rebuild``)."""

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=20, choices=BoardCounter.Metric.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("daily counter")
        verbose_name_plural = _("daily counters")
        constraints = [
            models.UniqueConstraint(fields=["day", "metric", "key"], name="review_daycounter_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.value}"


class SyncMark(models.Model):
    """When the log and the counters were last brought up to date (one row)."""

    name = models.CharField(max_length=20, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at}"


class QualityCriterion(models.Model):
    """One line of the quality score card (editable in the admin)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("criterion"), max_length=200)
    guidance = models.TextField(_("what the reviewer looks for"), blank=True)
    # The same in English, for reviewers who use the English screens (Hungarian when empty).
    title_en = models.CharField(_("criterion in English"), max_length=200, blank=True)
    guidance_en = models.TextField(_("what the reviewer looks for, in English"), blank=True)
    max_points = models.PositiveSmallIntegerField(
        _("maximum points"), default=5, validators=[MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("quality criterion")
        verbose_name_plural = _("quality criteria")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gte=1), name="criterion_has_points")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The criterion's title in the language of the screen."""
        return (get_language() == "en" and self.title_en) or self.title

    @property
    def hint(self) -> str:
        """What the reviewer looks for, in the language of the screen."""
        return (get_language() == "en" and self.guidance_en) or self.guidance


class ScoreCard(models.Model):
    """A supervisor's quality review of one call, for the agent who handled it."""

    ticket = models.ForeignKey(
        "calls.CallTicket",
        verbose_name=_("call ticket"),
        on_delete=models.PROTECT,
        related_name="score_cards",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="score_cards",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("reviewed at"))
    comment = models.TextField(_("comment"), blank=True)
    points = models.PositiveIntegerField(_("points"))
    max_points = models.PositiveIntegerField(_("of maximum"))

    class Meta:
        verbose_name = _("score card")
        verbose_name_plural = _("score cards")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agent", "created_at"], name="review_card_agent")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.points}/{self.max_points}"

    @property
    def percent(self) -> int:
        return round(100 * self.points / self.max_points) if self.max_points else 0


class Score(models.Model):
    """The points one criterion got on a score card, with the reviewer's comment."""

    card = models.ForeignKey(ScoreCard, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        QualityCriterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    points = models.PositiveSmallIntegerField(_("points"))
    max_points = models.PositiveSmallIntegerField(_("of maximum"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["card", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["card", "criterion"], name="score_once_per_criterion"),
            models.CheckConstraint(
                condition=Q(points__lte=models.F("max_points")), name="score_within_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}/{self.max_points}"


class RecordingFile(models.Model):
    """The audio of a call recording, kept in the application's storage (the provider's URL is
    remote); emptied by the retention purge unless the recording is on legal hold."""

    recording = models.OneToOneField(
        "calls.CallRecording",
        verbose_name=_("recording"),
        on_delete=models.CASCADE,
        related_name="stored_file",
    )
    file = models.FileField(_("audio"), upload_to="recordings/%Y/%m/", blank=True)
    content_type = models.CharField(_("content type"), max_length=50, default="audio/wav")
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    stored_at = models.DateTimeField(_("stored at"))
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stored recording")
        verbose_name_plural = _("stored recordings")
        indexes = [models.Index(fields=["purged_at", "stored_at"], name="review_recfile_purge")]

    def __str__(self) -> str:
        return self.file.name or str(self.recording_id)


class RecordingHold(models.Model):
    """A legal hold: the recording is kept past the retention period until released."""

    recording = models.ForeignKey(
        "calls.CallRecording",
        verbose_name=_("recording"),
        on_delete=models.CASCADE,
        related_name="holds",
    )
    reason = models.CharField(_("reason"), max_length=300)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recording"],
                condition=Q(released_at__isnull=True),
                name="review_one_active_hold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recording_id}: {self.reason}"


class PlaybackEvent(AppendOnly, models.Model):
    """One playback (or seek) of a recording: who listened to which call, when."""

    recording = models.ForeignKey(
        "calls.CallRecording", on_delete=models.CASCADE, related_name="playbacks"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    byte_range = models.CharField(_("range asked"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("playback")
        verbose_name_plural = _("playback log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user_id} {self.recording_id}"
