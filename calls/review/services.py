"""Writes of the review app: the derived call log and board counters, score cards,
recordings' storage, legal holds, playback audit and the retention purge."""

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.desk.complaints import complaint_kept_ticket_ids
from calls.desk.models import CallHandling, ClaimReport, DeskRequest
from calls.models import CallRecording, CallTicket, VerificationAttempt
from certificates.models import Delivery
from partners.verification import Outcome

from . import rollups
from .models import (
    BoardCounter,
    CallLogEntry,
    PlaybackEvent,
    QualityCriterion,
    RecordingFile,
    RecordingHold,
    Score,
    ScoreCard,
    SyncMark,
)

logger = logging.getLogger(__name__)

_LOG_FIELDS = [
    "started_at",
    "state",
    "menu",
    "grid",
    "firm_id",
    "agent_id",
    "verification",
    "failed_verifications",
    "outcome",
    "queued",
    "wait_seconds",
    "handle_seconds",
    "requests",
    "documents_sent",
    "failed_delivery",
    "open_promise_due_at",
    "has_recording",
    "refreshed_at",
]


_COMPARED = [f for f in _LOG_FIELDS if f != "refreshed_at"]


def _seconds(start, end) -> int:
    if start is None or end is None or end < start:
        return 0
    return int((end - start).total_seconds())


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@dataclass
class _Related:
    """What a chunk of tickets' log rows are built from besides the tickets themselves."""

    handlings: dict[int, CallHandling]
    requests: dict[int, list[Mapping[str, Any]]]
    delivery_states: dict[int, set[str]]
    recorded: set[int]


_TICKET_FIELDS = [
    "pk",
    "started_at",
    "ended_at",
    "state",
    "menu",
    "grid_entered",
    "firm_id",
    "verified_at",
    "enqueued_at",
    "failed_verifications",
]


def _related(chunk: list[int]) -> _Related:
    """Load the handlings, requests, delivery states and recordings of the tickets in
    ``chunk`` (four queries)."""
    handlings = {
        h.ticket_id: h
        for h in CallHandling.objects.filter(ticket_id__in=chunk).only(
            "ticket_id", "agent_id", "origin", "taken_at", "closed_at", "outcome"
        )
    }
    requests: dict[int, list[Mapping[str, Any]]] = {}
    cert_to_ticket: dict[int, int] = {}
    for r in DeskRequest.objects.filter(handling__ticket_id__in=chunk).values(
        "handling__ticket_id", "kind", "due_at", "done_at", "certificate_request_id"
    ):
        requests.setdefault(r["handling__ticket_id"], []).append(r)
        if r["certificate_request_id"]:
            cert_to_ticket[r["certificate_request_id"]] = r["handling__ticket_id"]
    delivery_states: dict[int, set[str]] = {}
    for d in Delivery.objects.filter(request_id__in=list(cert_to_ticket)).values(
        "request_id", "state"
    ):
        delivery_states.setdefault(cert_to_ticket[d["request_id"]], set()).add(d["state"])
    recorded = set(
        CallRecording.objects.filter(ticket_id__in=chunk).values_list("ticket_id", flat=True)
    )
    return _Related(handlings, requests, delivery_states, recorded)


def _verification(t: CallTicket) -> str:
    if t.verified_at is not None:
        return CallLogEntry.Verification.VERIFIED
    if t.failed_verifications:
        return CallLogEntry.Verification.FAILED
    return CallLogEntry.Verification.NONE


def _wait_seconds(t: CallTicket, h: CallHandling | None, now: datetime.datetime) -> int:
    """Seconds from queueing to the agent taking the call, or to the call's end (still
    waiting: to ``now``); 0 for a call that never queued."""
    if not t.enqueued_at:
        return 0
    answered_at: datetime.datetime | None
    if h is not None and h.origin == CallHandling.Origin.QUEUE:
        answered_at = h.taken_at
    else:
        answered_at = t.ended_at if t.state != CallTicket.State.WAITING else now
    return _seconds(t.enqueued_at, answered_at)


def _log_row(t: CallTicket, related: _Related, now: datetime.datetime) -> CallLogEntry:
    """Return the log row of ticket ``t`` as its handling, requests and deliveries say."""
    h = related.handlings.get(t.pk)
    reqs = related.requests.get(t.pk, [])
    open_due = [
        r["due_at"]
        for r in reqs
        if r["kind"] in DeskRequest.PROMISES and r["done_at"] is None and r["due_at"]
    ]
    states = related.delivery_states.get(t.pk, set())
    return CallLogEntry(
        ticket_id=t.pk,
        started_at=t.started_at,
        state=t.state,
        menu=t.menu,
        grid=t.grid_entered,
        firm_id=t.firm_id,
        agent_id=h.agent_id if h else None,
        verification=_verification(t),
        failed_verifications=t.failed_verifications,
        outcome=h.outcome if h else "",
        queued=t.enqueued_at is not None,
        wait_seconds=_wait_seconds(t, h, now),
        handle_seconds=_seconds(h.taken_at, h.closed_at) if h else 0,
        requests=len(reqs),
        documents_sent=Delivery.State.SENT in states,
        failed_delivery=Delivery.State.FAILED in states,
        open_promise_due_at=min(open_due) if open_due else None,
        has_recording=t.pk in related.recorded,
        refreshed_at=now,
    )


def call_log_refresh(*, ticket_ids: Iterable[int], now: datetime.datetime | None = None) -> int:
    """Rebuild the call log rows of these tickets from the tickets, handlings, requests,
    deliveries and recordings (six queries per thousand tickets). Return the rows written."""
    now = now or timezone.now()
    written = 0
    for chunk in _chunks(sorted(set(ticket_ids)), 1000):
        tickets = CallTicket.objects.filter(pk__in=chunk).only(*_TICKET_FIELDS)
        related = _related(chunk)
        existing = {
            e.ticket_id: tuple(getattr(e, f) for f in _COMPARED)
            for e in CallLogEntry.objects.filter(ticket_id__in=chunk)
        }
        rows = [_log_row(t, related, now) for t in tickets]
        # Rewrite only the rows that changed: each write touches a dozen indexes.
        rows = [
            r for r in rows if existing.get(r.ticket_id) != tuple(getattr(r, f) for f in _COMPARED)
        ]
        CallLogEntry.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["ticket"], update_fields=_LOG_FIELDS
        )
        written += len(rows)
    return written


def _touched_ticket_ids(*, since: datetime.datetime) -> set[int]:
    """Return the tickets whose log row may have changed since ``since``: recent calls, and
    older calls whose promises were kept or whose deliveries moved."""
    ids = set(CallTicket.objects.filter(started_at__gte=since).values_list("pk", flat=True))
    ids |= set(
        CallLogEntry.objects.filter(state__in=CallTicket.OPEN_STATES).values_list(
            "ticket_id", flat=True
        )
    )
    ids |= set(
        DeskRequest.objects.filter(done_at__gte=since).values_list("handling__ticket_id", flat=True)
    )
    moved = Delivery.objects.filter(updated_at__gte=since).values("request_id")
    ids |= set(
        DeskRequest.objects.filter(certificate_request_id__in=moved).values_list(
            "handling__ticket_id", flat=True
        )
    )
    ids |= set(
        CallRecording.objects.filter(updated_at__gte=since).values_list("ticket_id", flat=True)
    )
    return ids


def _hour(at: datetime.datetime) -> datetime.datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def board_counters_rebuild(
    *, since: datetime.datetime | None = None, now: datetime.datetime | None = None
) -> int:
    """Recount the board's hourly counters from ``since`` (its hour) on; all when ``None``.
    ``now`` decides which promises not yet done have fallen due.

    The service level counts with ``REVIEW_SERVICE_LEVEL_SECONDS`` and
    ``REVIEW_SHORT_ABANDON_SECONDS`` as they are now: hours before ``since`` keep the values
    they were counted with.

    Side effects: replaces the counter rows of those hours in one transaction.
    """
    M = BoardCounter.Metric
    now = now or timezone.now()
    start = _hour(since) if since else None

    def window(qs, field):
        return qs.filter(**{f"{field}__gte": start}) if start else qs

    counters: dict[tuple, int] = {}

    def add(hour, metric, key, value):
        if value:
            k = (hour, metric, str(key) if key is not None else "")
            counters[k] = counters.get(k, 0) + int(value)

    log = window(CallLogEntry.objects.all(), "started_at").annotate(h=TruncHour("started_at"))
    answered = Q(agent__isnull=False)
    # Offered: queued calls an agent took, or that ended in the queue after the short-abandon
    # grace (a call still waiting is decided when it ends). Answered in time: taken within the
    # service level time of being queued.
    offered = Q(queued=True) & (
        answered
        | (
            Q(state=CallTicket.State.ABANDONED)
            & Q(wait_seconds__gte=settings.REVIEW_SHORT_ABANDON_SECONDS)
        )
    )
    in_time = Q(queued=True, wait_seconds__lte=settings.REVIEW_SERVICE_LEVEL_SECONDS) & answered
    for row in log.values("h").annotate(
        calls=Count("pk"),
        answered=Count("pk", filter=answered),
        abandoned=Count("pk", filter=Q(state=CallTicket.State.ABANDONED)),
        wait=Sum("wait_seconds", filter=answered),
        offered=Count("pk", filter=offered),
        in_time=Count("pk", filter=in_time),
    ):
        add(row["h"], M.CALLS, "", row["calls"])
        add(row["h"], M.ANSWERED, "", row["answered"])
        add(row["h"], M.ABANDONED, "", row["abandoned"])
        add(row["h"], M.WAIT_TOTAL, "", row["wait"])
        add(row["h"], M.SL_OFFERED, "", row["offered"])
        add(row["h"], M.SL_ANSWERED, "", row["in_time"])
    for row in log.exclude(outcome="").values("h", "outcome").annotate(n=Count("pk")):
        add(row["h"], M.OUTCOMES, row["outcome"], row["n"])
    for row in (
        log.filter(answered)
        .values("h", "agent_id")
        .annotate(n=Count("pk"), s=Sum("handle_seconds"))
    ):
        add(row["h"], M.AGENT_CALLS, row["agent_id"], row["n"])
        add(row["h"], M.AGENT_HANDLE_TOTAL, row["agent_id"], row["s"])
    attempts = window(VerificationAttempt.objects.exclude(outcome=Outcome.VERIFIED), "at")
    for row in (
        attempts.annotate(h=TruncHour("at")).values("h", "grid_entered").annotate(n=Count("pk"))
    ):
        add(row["h"], M.GRID_FAILURES, row["grid_entered"] or "?", row["n"])
    reqs = window(DeskRequest.objects.all(), "created_at").annotate(h=TruncHour("created_at"))
    for row in reqs.values("h", "kind").annotate(n=Count("pk")):
        add(row["h"], M.REQUESTS, row["kind"], row["n"])
    # A promise counts in the hour it falls due, once it is due or done; kept when done by then.
    promises = window(
        DeskRequest.objects.filter(kind__in=DeskRequest.PROMISES, due_at__isnull=False), "due_at"
    ).filter(Q(done_at__isnull=False) | Q(due_at__lt=now))
    for row in (
        promises.annotate(h=TruncHour("due_at"))
        .values("h", "kind")
        .annotate(n=Count("pk"), kept=Count("pk", filter=Q(done_at__lte=F("due_at"))))
    ):
        add(row["h"], M.PROMISES_DUE, row["kind"], row["n"])
        add(row["h"], M.PROMISES_KEPT, row["kind"], row["kept"])
    reports = window(
        ClaimReport.objects.filter(state=ClaimReport.State.SUBMITTED, submitted_at__isnull=False),
        "submitted_at",
    )
    for row in (
        reports.annotate(h=TruncHour("submitted_at")).values("h", "kind").annotate(n=Count("pk"))
    ):
        add(row["h"], M.CLAIM_REPORTS, row["kind"], row["n"])
    deliveries = window(Delivery.objects.all(), "created_at").annotate(h=TruncHour("created_at"))
    for row in deliveries.values("h", "state").annotate(n=Count("pk")):
        add(row["h"], M.DELIVERIES, row["state"], row["n"])

    with transaction.atomic():
        window(BoardCounter.objects.all(), "hour").delete()
        BoardCounter.objects.bulk_create(
            [BoardCounter(hour=h, metric=m, key=k, value=v) for (h, m, k), v in counters.items()],
            batch_size=5000,
        )
        rollups.day_counters_rebuild(since=start)
    return len(counters)


def review_sync(*, now: datetime.datetime | None = None) -> int:
    """Bring the call log and the board's counters up to date (the periodic job).

    Refreshes the log rows of calls started since the last run (a few minutes' margin), of
    calls the log still shows in progress, and of older calls whose promises, deliveries or
    recordings moved since; then recounts the last ``REVIEW_RESYNC_HOURS`` hours' counters.
    Returns the log rows written (unchanged rows are not rewritten).
    """
    now = now or timezone.now()
    window = now - datetime.timedelta(hours=settings.REVIEW_RESYNC_HOURS)
    mark = SyncMark.objects.filter(name="review").values_list("at", flat=True).first()
    since = mark - datetime.timedelta(minutes=10) if mark else window
    written = call_log_refresh(ticket_ids=_touched_ticket_ids(since=since), now=now)
    board_counters_rebuild(since=window, now=now)
    SyncMark.objects.update_or_create(name="review", defaults={"at": now})
    return written


LOG_SYNC_MARK = "review-log"


def call_log_sync(*, now: datetime.datetime | None = None) -> int:
    """Bring the call log's rows (not the counters) up to date: calls started since the last
    run, calls still in progress, and older calls whose promises, deliveries or recordings
    moved. Cheap enough to run every few seconds; returns the rows written.

    Side effects: upserts the changed log rows; moves the log's sync mark to ``now``.
    """
    now = now or timezone.now()
    mark = SyncMark.objects.filter(name=LOG_SYNC_MARK).values_list("at", flat=True).first()
    # A minute's margin: a ticket written in a transaction that committed after the last run
    # started still carries a time before it.
    since = (
        mark - datetime.timedelta(minutes=1)
        if mark
        else now - datetime.timedelta(hours=settings.REVIEW_RESYNC_HOURS)
    )
    written = call_log_refresh(ticket_ids=_touched_ticket_ids(since=since), now=now)
    SyncMark.objects.update_or_create(name=LOG_SYNC_MARK, defaults={"at": now})
    return written


def call_log_rebuild_all(*, now: datetime.datetime | None = None) -> int:
    """Rebuild every log row and every counter (after an import or a bulk load)."""
    now = now or timezone.now()
    written = 0
    last = 0
    while True:
        ids = list(
            CallTicket.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:10000]
        )
        if not ids:
            break
        written += call_log_refresh(ticket_ids=ids, now=now)
        last = ids[-1]
    board_counters_rebuild(since=None, now=now)
    SyncMark.objects.update_or_create(name="review", defaults={"at": now})
    return written


# --- quality review ---------------------------------------------------------------------------


class NotReviewable(Exception):
    """The call was not handled by an agent, so there is nobody to review."""


@transaction.atomic
def score_card_create(
    *, ticket: CallTicket, reviewer, scores: dict[int, tuple[int, str]], comment: str = ""
) -> ScoreCard:
    """Record a quality review of ``ticket`` for its agent: ``scores`` maps each active
    criterion's id to (points, comment). Raises ``NotReviewable`` for a call no agent handled
    and ``ValidationError`` for a missing criterion or points above its maximum."""
    handling = CallHandling.objects.filter(ticket=ticket).first()
    if handling is None:
        raise NotReviewable(_("No agent handled this call."))
    criteria = list(QualityCriterion.objects.filter(is_active=True))
    rows = []
    for criterion in criteria:
        if criterion.pk not in scores:
            raise ValidationError(_("Score every criterion: %(c)s") % {"c": criterion.title})
        points, note = scores[criterion.pk]
        if not 0 <= points <= criterion.max_points:
            raise ValidationError(
                _("%(c)s: points must be between 0 and %(m)s")
                % {"c": criterion.title, "m": criterion.max_points}
            )
        rows.append((criterion, points, note))
    card = ScoreCard.objects.create(
        ticket=ticket,
        agent_id=handling.agent_id,
        reviewer=reviewer,
        created_at=timezone.now(),
        comment=comment,
        points=sum(p for _c, p, _n in rows),
        max_points=sum(c.max_points for c in criteria),
    )
    Score.objects.bulk_create(
        Score(card=card, criterion=c, points=p, max_points=c.max_points, comment=n[:500])
        for c, p, n in rows
    )
    return card


# --- recordings -------------------------------------------------------------------------------


@transaction.atomic
def recording_store(
    *, recording: CallRecording, content: bytes, content_type: str = "audio/wav"
) -> RecordingFile:
    """Keep the audio of ``recording`` in the application's storage (replacing any earlier
    copy). Side effects: writes the file through the default storage."""
    stored, _created = RecordingFile.objects.get_or_create(
        recording=recording, defaults={"stored_at": timezone.now()}
    )
    if stored.file:
        stored.file.delete(save=False)
    extension = "wav" if "wav" in content_type else "mp3"
    stored.file.save(f"{recording.recording_sid}.{extension}", ContentFile(content), save=False)
    stored.content_type = content_type
    stored.size = len(content)
    stored.stored_at = timezone.now()
    stored.purged_at = None
    stored.save()
    return stored


class AlreadyHeld(Exception):
    pass


@transaction.atomic
def recording_hold_place(*, recording: CallRecording, by, reason: str) -> RecordingHold:
    """Put ``recording`` on legal hold: the purge keeps it until the hold is released."""
    if not reason.strip():
        raise ValidationError(_("Give the reason of the hold."))
    if RecordingHold.objects.filter(recording=recording, released_at__isnull=True).exists():
        raise AlreadyHeld(_("This recording is already on hold."))
    return RecordingHold.objects.create(
        recording=recording, reason=reason.strip(), placed_by=by, placed_at=timezone.now()
    )


@transaction.atomic
def recording_hold_release(*, recording: CallRecording, by) -> int:
    """Release the active hold of ``recording`` (the hold row stays as the audit trail)."""
    return RecordingHold.objects.filter(recording=recording, released_at__isnull=True).update(
        released_by=by, released_at=timezone.now()
    )


def playback_record(*, recording: CallRecording, user, byte_range: str = "") -> PlaybackEvent:
    """Audit one playback request of ``recording`` by ``user``."""
    return PlaybackEvent.objects.create(
        recording=recording, user=user, at=timezone.now(), byte_range=byte_range[:60]
    )


def recordings_purge(*, now: datetime.datetime | None = None) -> list[int]:
    """Delete the stored audio of calls older than ``RECORDING_RETENTION_DAYS`` unless on
    legal hold or, for five years from the call, marked as a complaint. Return the purged
    recordings' ids.

    Side effects: deletes the files from storage and stamps ``purged_at`` (the row stays, so
    the timeline shows that a recording existed and when it was purged).
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RECORDING_RETENTION_DAYS)
    due = (
        RecordingFile.objects.filter(
            purged_at__isnull=True, recording__ticket__started_at__lt=cutoff
        )
        .exclude(
            recording_id__in=RecordingHold.objects.filter(released_at__isnull=True).values(
                "recording_id"
            )
        )
        # A complaint's recording is kept five years from the call (the insurance act; see
        # calls.desk.complaints), whatever RECORDING_RETENTION_DAYS says.
        .exclude(recording__ticket_id__in=complaint_kept_ticket_ids(now=now))
        .select_related("recording")
    )
    purged = []
    for stored in due.iterator(chunk_size=500):
        with transaction.atomic():
            locked = (
                RecordingFile.objects.select_for_update()
                .filter(pk=stored.pk, purged_at__isnull=True)
                .first()
            )
            if (
                locked is None
                or RecordingHold.objects.filter(
                    recording_id=stored.recording_id, released_at__isnull=True
                ).exists()
                or complaint_kept_ticket_ids(now=now)
                .filter(ticket_id=stored.recording.ticket_id)
                .exists()
            ):
                continue
            if locked.file:
                locked.file.delete(save=False)
            locked.file = ""
            locked.purged_at = now
            locked.save(update_fields=["file", "purged_at"])
        purged.append(stored.recording_id)
    if purged:
        logger.info("purged %s recordings older than %s", len(purged), cutoff)
    return purged
