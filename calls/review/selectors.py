"""Reads of the review app. Every list the supervisor sees is bounded: the log pages by a
keyset cursor, the board and the reports by the pre-aggregated hourly counters."""

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from boundary.fields import check_date, int_or_none, parse_int
from calls import opening_hours
from calls.desk.callbacks import timeline_events as callback_events
from calls.desk.models import (
    CallHandling,
    ClaimReport,
    Complaint,
    DeskRequest,
    Disclosure,
    IdentificationCheck,
    Remark,
)
from calls.desk.selectors import presence_board
from calls.models import CallRecording, CallTicket, IvrStep, VerificationAttempt
from certificates.models import Delivery, PrintBatch
from outbox.models import Email
from partners.models import DirektThrottle

from . import labels, rollups
from .models import (
    BoardCounter,
    CallLogEntry,
    QualityCriterion,
    RecordingFile,
    ScoreCard,
    SyncMark,
)

REVIEW_PERMISSION = "gratisz.review_calls"

# Sort key → (column, descending). The ticket id breaks ties so the cursor is exact.
SORTS = {
    "-started": ("started_at", True),
    "started": ("started_at", False),
    "-wait": ("wait_seconds", True),
    "wait": ("wait_seconds", False),
    "-handle": ("handle_seconds", True),
    "handle": ("handle_seconds", False),
}
DEFAULT_SORT = "-started"


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def call_log(*, filters: dict, now: datetime.datetime | None = None) -> QuerySet:
    """Return the call log rows matching ``filters`` (the cleaned filter form), unordered."""
    now = now or timezone.now()
    qs = CallLogEntry.objects.all()
    if filters.get("date_from"):
        qs = qs.filter(started_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        end = filters["date_to"] + datetime.timedelta(days=1)
        qs = qs.filter(started_at__lt=_day_start(end))
    if filters.get("firm"):
        qs = qs.filter(firm_id=filters["firm"])
    if filters.get("grid"):
        qs = qs.filter(grid=filters["grid"])
    if filters.get("agent"):
        qs = qs.filter(agent_id=filters["agent"])
    if filters.get("source"):
        qs = qs.filter(ticket__source=filters["source"])
    for name in ("menu", "verification", "outcome", "state"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("overdue"):
        qs = qs.filter(open_promise_due_at__lt=now)
    if filters.get("documents_sent"):
        qs = qs.filter(documents_sent=True)
    if filters.get("failed_delivery"):
        qs = qs.filter(failed_delivery=True)
    # Complaints are few: the marked calls' ids, not a column the log sync must keep fresh
    # (a call can be marked, or unmarked by a supervisor, long after the sync's window).
    in_force = Complaint.objects.filter(unmarked_at__isnull=True)
    if filters.get("complaint"):
        qs = qs.filter(ticket_id__in=in_force.values("ticket_id"))
    return qs.annotate(is_complaint=Exists(in_force.filter(ticket_id=OuterRef("ticket_id"))))


@dataclass
class Page:
    rows: list
    next_cursor: str = ""
    prev_cursor: str = ""


def _cursor_value(column: str, raw: str):
    if column == "started_at":
        value = parse_datetime(raw) if raw.isascii() else None
        if value is None:
            raise ValueError(raw)
        return check_date(value)
    return parse_int(raw)


def encode_cursor(row: CallLogEntry, sort: str) -> str:
    column, _desc = SORTS[sort]
    value = getattr(row, column)
    raw = value.isoformat() if isinstance(value, datetime.datetime) else str(value)
    return f"{raw}~{row.ticket_id}"


def _decode_cursor(cursor: str, column: str):
    """Return the cursor's (value, ticket id), or None for an unreadable one."""
    try:
        raw, _sep, ticket = cursor.rpartition("~")
        return _cursor_value(column, raw), parse_int(ticket, min_value=0)
    except (ValueError, OverflowError, ValidationError):
        return None


def call_log_page(
    *, qs: QuerySet, sort: str, cursor: str = "", size: int = 50, backward: bool = False
) -> Page:
    """Return one page of ``qs`` in ``sort`` order after ``cursor``, or with ``backward`` the
    page before it (keyset pagination: the database seeks in an index instead of counting past
    earlier pages). An unreadable cursor starts from the top."""
    column, desc = SORTS.get(sort, SORTS[DEFAULT_SORT])
    sort = sort if sort in SORTS else DEFAULT_SORT
    position = _decode_cursor(cursor, column) if cursor else None
    backward = backward and position is not None
    # Walking backward is walking forward in the opposite order, then turning the page round.
    descending = desc != backward
    if position is not None:
        value, ticket_id = position
        if descending:
            qs = qs.filter(**{f"{column}__lte": value}).exclude(
                **{column: value, "ticket_id__gte": ticket_id}
            )
        else:
            qs = qs.filter(**{f"{column}__gte": value}).exclude(
                **{column: value, "ticket_id__lte": ticket_id}
            )
    order = [f"-{column}", "-ticket_id"] if descending else [column, "ticket_id"]
    rows = list(
        qs.select_related("firm", "agent")
        .annotate(source=F("ticket__source"))
        .order_by(*order)[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
        return Page(
            rows=rows,
            next_cursor=encode_cursor(rows[-1], sort) if rows else "",
            prev_cursor=encode_cursor(rows[0], sort) if more else "",
        )
    return Page(
        rows=rows,
        next_cursor=encode_cursor(rows[-1], sort) if more else "",
        prev_cursor=encode_cursor(rows[0], sort) if position is not None and rows else "",
    )


LOG_COUNT_LIMIT = 10_000


@dataclass
class LogCount:
    n: int
    exact: bool  # False: the database's estimate (PostgreSQL's planner), shown as "about"


def _planner_estimate(qs: QuerySet) -> int | None:
    """Return PostgreSQL's estimate of the rows ``qs`` returns (no rows are read), or None
    elsewhere."""
    if connection.vendor != "postgresql":
        return None
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def call_log_count(*, qs: QuerySet) -> LogCount:
    """Return how many rows ``qs`` holds: exactly up to ``LOG_COUNT_LIMIT``; beyond that the
    planner's estimate on PostgreSQL (counting a million rows, or scanning for a rare filter's
    ten thousandth match, would cost more than the page), elsewhere "more than the limit"."""
    estimate = _planner_estimate(qs.order_by())
    if estimate is not None and estimate > LOG_COUNT_LIMIT:
        return LogCount(n=estimate, exact=False)
    n = qs[: LOG_COUNT_LIMIT + 1].count()
    if n > LOG_COUNT_LIMIT:
        return LogCount(n=max(estimate or 0, LOG_COUNT_LIMIT), exact=False)
    return LogCount(n=n, exact=True)


def call_log_iter(*, qs: QuerySet, sort: str, batch: int = 2000):
    """Yield every row of ``qs`` in ``sort`` order, a keyset page at a time (the export: its
    memory does not grow with the number of calls)."""
    cursor = ""
    while True:
        page = call_log_page(qs=qs, sort=sort, cursor=cursor, size=batch)
        yield from page.rows
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def agents_for_filter() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(
            groups__permissions__codename="use_desk",
            groups__permissions__content_type__app_label="gratisz",
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# --- one call ---------------------------------------------------------------------------------


@dataclass
class TimelineEvent:
    at: datetime.datetime
    kind: str
    text: str
    detail: str = ""
    children: list = field(default_factory=list)


@dataclass
class CallRecord:
    ticket: CallTicket
    handling: CallHandling | None
    events: list[TimelineEvent]
    recordings: list
    cards: list
    wait_seconds: int | None


def _ivr_events(ticket: CallTicket) -> list[TimelineEvent]:
    """The voice menu's steps, the verification attempts, verification and queueing."""
    ev = []
    for s in IvrStep.objects.filter(ticket=ticket):
        keyed = " · ".join(
            p for p in (labels.ivr_stage(s.stage), labels.ivr_input(s.input_summary)) if p
        )
        ev.append(TimelineEvent(s.at, "ivr", labels.ivr_event(s.event), keyed))
    for a in VerificationAttempt.objects.filter(ticket=ticket):
        ev.append(TimelineEvent(a.at, "verification", a.get_outcome_display(), a.grid_entered))
    if ticket.verified_at:
        ev.append(TimelineEvent(ticket.verified_at, "verified", _("verified"), ticket.grid_entered))
    if ticket.enqueued_at:
        ev.append(
            TimelineEvent(
                ticket.enqueued_at, "queue", _("queued"), labels.queue_name(ticket.queue_name)
            )
        )
    return ev


def _request_events(handling: CallHandling) -> list[TimelineEvent]:
    """The agent's requests with their certificates' deliveries, and the promises kept."""
    requests = DeskRequest.objects.filter(handling=handling).select_related("contract")
    cert_ids = [r.certificate_request_id for r in requests if r.certificate_request_id]
    deliveries: defaultdict[int | None, list[Delivery]] = defaultdict(list)
    for d in Delivery.objects.filter(request_id__in=cert_ids).prefetch_related("attempt_log"):
        deliveries[d.request_id].append(d)
    ev = []
    for r in requests:
        detail = r.subject or (r.contract.policy_number if r.contract else "")
        if r.due_at:
            detail += " · " + _("due %(at)s") % {
                "at": date_format(timezone.localtime(r.due_at), "SHORT_DATETIME_FORMAT")
            }
        e = TimelineEvent(r.created_at, "request", r.get_kind_display(), detail)
        e.children = deliveries.get(r.certificate_request_id, [])
        ev.append(e)
        if r.done_at:
            ev.append(TimelineEvent(r.done_at, "done", _("promise kept"), r.get_kind_display()))
    return ev


def _email_state(m: Email) -> str:
    if m.sent_at:
        return _("sent at %(at)s") % {"at": f"{timezone.localtime(m.sent_at):%H:%M}"}
    if m.state == Email.State.FAILED:
        return _("not sent, given up: %(error)s") % {"error": m.last_error or "–"}
    return _("not sent yet: %(error)s") % {"error": m.last_error or "–"}


def _handling_events(handling: CallHandling) -> list[TimelineEvent]:
    """What happened at the desk: taken, identification checks, requests, e-mails, closing
    and remarks."""
    ev = [
        TimelineEvent(
            handling.taken_at,
            "agent",
            _("taken"),
            f"{handling.agent} ({handling.get_origin_display()})",
        )
    ]
    for c in IdentificationCheck.objects.filter(handling=handling).select_related("contract"):
        ev.append(
            TimelineEvent(
                c.at,
                "identification",
                _("identified") if c.passed else _("not identified"),
                f"{c.contract.policy_number}: {', '.join(c.facts_matched)}",
            )
        )
    ev.extend(_request_events(handling))
    for m in Email.objects.filter(desk_email__handling=handling):
        ev.append(TimelineEvent(m.created_at, "email", m.subject, f"{m.to} · {_email_state(m)}"))
    if handling.closed_at:
        ev.append(
            TimelineEvent(handling.closed_at, "closed", _("closed"), handling.get_outcome_display())
        )
    for rm in Remark.objects.filter(handling=handling).select_related("by"):
        ev.append(TimelineEvent(rm.at, "remark", _("remark"), f"{rm.by}: {rm.text}"))
    return ev


def _queue_wait(ticket: CallTicket, handling: CallHandling | None) -> int | None:
    """Seconds the caller waited in the queue for the agent who took the call, else None."""
    if handling and ticket.enqueued_at and handling.origin == CallHandling.Origin.QUEUE:
        return max(0, int((handling.taken_at - ticket.enqueued_at).total_seconds()))
    return None


def call_record(*, ticket_id: int) -> CallRecord:
    """Return a call's full timeline: IVR steps, verification attempts, queueing, the agent,
    identification checks, disclosures, requests with their deliveries, outcome, remarks."""
    ticket = get_object_or_404(CallTicket.objects.select_related("firm"), pk=ticket_id)
    handling = CallHandling.objects.select_related("agent").filter(ticket=ticket).first()
    ev: list[TimelineEvent] = [
        TimelineEvent(ticket.started_at, "call", _("call started"), ticket.from_number)
    ]
    ev.extend(_ivr_events(ticket))
    if handling:
        ev.extend(_handling_events(handling))
    for d in Disclosure.objects.filter(ticket=ticket):
        ev.append(TimelineEvent(d.at, "disclosure", d.get_record_type_display(), d.record_ref))
    if ticket.ended_at:
        ev.append(
            TimelineEvent(
                ticket.ended_at,
                "end",
                _("call ended"),
                labels.provider_status(ticket.provider_status) or ticket.get_end_reason_display(),
            )
        )
    ev.extend(TimelineEvent(*event) for event in callback_events(ticket))
    ev.sort(key=lambda e: e.at)
    recordings = list(
        CallRecording.objects.filter(ticket=ticket)
        .select_related("stored_file")
        .prefetch_related("holds")
    )
    cards = list(
        ScoreCard.objects.filter(ticket=ticket)
        .select_related("reviewer", "agent")
        .prefetch_related("scores__criterion")
    )
    return CallRecord(ticket, handling, ev, recordings, cards, _queue_wait(ticket, handling))


def recording_for_playback(*, recording_id: int) -> RecordingFile:
    """Return the stored audio of a recording; 404 when never stored or purged."""
    return get_object_or_404(
        RecordingFile.objects.select_related("recording"),
        recording_id=recording_id,
        purged_at__isnull=True,
    )


def active_criteria() -> QuerySet:
    return QualityCriterion.objects.filter(is_active=True)


# --- reviews the agent sees -------------------------------------------------------------------


def score_cards_for(*, user) -> QuerySet:
    """Return the score cards ``user`` may read: all for a supervisor, their own for an agent.
    List and detail use this same scope."""
    qs = ScoreCard.objects.select_related("ticket__firm", "agent", "reviewer")
    if user.has_perm(REVIEW_PERMISSION):
        return qs
    return qs.filter(agent=user)


def score_card_for(*, user, card_id: int) -> ScoreCard:
    """Return one score card ``user`` may read: 404 if none, 403 if another agent's."""
    card = get_object_or_404(ScoreCard, pk=card_id)
    if not score_cards_for(user=user).filter(pk=card.pk).exists():
        raise PermissionDenied
    return score_cards_for(user=user).prefetch_related("scores__criterion").get(pk=card.pk)


# --- board, reports, alerts -------------------------------------------------------------------


@dataclass
class ServiceLevel:
    """The share of offered calls answered within ``seconds`` of being queued, against the
    target share (percent). ``offered`` leaves out calls abandoned within the short-abandon
    grace (``REVIEW_SHORT_ABANDON_SECONDS``)."""

    offered: int
    answered_in_time: int
    seconds: int
    target: int

    @property
    def percent(self) -> int | None:
        """Return the level in whole percent (rounded), ``None`` when no call was offered."""
        return round(100 * self.answered_in_time / self.offered) if self.offered else None

    @property
    def under_target(self) -> bool:
        # Compared exactly, so 79.6% is under an 80% target though it shows as 80%.
        return bool(self.offered) and 100 * self.answered_in_time < self.target * self.offered


def service_level(*, offered: int, answered_in_time: int) -> ServiceLevel:
    """Return the service level of these counts with the configured time and target."""
    return ServiceLevel(
        offered=offered,
        answered_in_time=answered_in_time,
        seconds=settings.REVIEW_SERVICE_LEVEL_SECONDS,
        target=settings.REVIEW_SERVICE_LEVEL_TARGET_PERCENT,
    )


@dataclass
class Alerts:
    locked_grids: list
    overdue_promises: list
    overdue_count: int
    failed_deliveries: list
    failed_count: int
    # Today's service level when it is under the target, else None.
    low_service_level: ServiceLevel | None = None
    # Print batches not confirmed posted by the end of the working day after they were built.
    unposted_batches: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.locked_grids)
            + self.overdue_count
            + self.failed_count
            + (1 if self.low_service_level else 0)
            + len(self.unposted_batches)
        )


def posting_deadline(built_at: datetime.datetime) -> datetime.datetime:
    """Return when a print batch built at ``built_at`` should be posted at the latest: the
    closing time of the next working day of the line's calendar (holidays and transferred
    working days included)."""
    day = timezone.localtime(built_at).date()
    for _i in range(31):
        day += datetime.timedelta(days=1)
        hours = opening_hours.hours_on(day)
        if hours is not None:
            return timezone.make_aware(datetime.datetime.combine(day, hours[1]))
    return built_at + datetime.timedelta(days=31)  # no open day in a month: the calendar is empty


def _unposted_batches(now: datetime.datetime) -> list:
    waiting = PrintBatch.objects.filter(
        posted_at__isnull=True, created_at__lt=now - datetime.timedelta(hours=12)
    ).order_by("created_at")[:50]
    return [b for b in waiting if posting_deadline(b.created_at) < now]


def alerts(
    *,
    now: datetime.datetime | None = None,
    days: int = 7,
    level: ServiceLevel | None = None,
) -> Alerts:
    """Return what needs a supervisor now: locked GRIDs, overdue promises, failed deliveries
    of the last ``days`` days (each list capped; the counts are exact), and ``level`` (today's
    service level) when it is under its target."""
    now = now or timezone.now()
    locked = list(
        DirektThrottle.objects.filter(locked_at__isnull=False)
        .filter(Q(unlocked_at__isnull=True) | Q(unlocked_at__lt=F("locked_at")))
        .order_by("-locked_at")[:20]
    )
    overdue = DeskRequest.objects.filter(
        kind__in=DeskRequest.PROMISES, done_at__isnull=True, due_at__lt=now
    )
    failed = Delivery.objects.filter(
        state=Delivery.State.FAILED, updated_at__gte=now - datetime.timedelta(days=days)
    )
    return Alerts(
        locked_grids=locked,
        overdue_promises=list(
            overdue.select_related("handling__agent", "handling__ticket__firm").order_by("due_at")[
                :20
            ]
        ),
        overdue_count=overdue.count(),
        failed_deliveries=list(failed.order_by("-updated_at")[:20]),
        failed_count=failed.count(),
        low_service_level=level if level is not None and level.under_target else None,
        unposted_batches=_unposted_batches(now),
    )


def _counters(start: datetime.datetime, end: datetime.datetime) -> QuerySet:
    return BoardCounter.objects.filter(hour__gte=start, hour__lt=end)


def _whole_days(start: datetime.datetime, end: datetime.datetime):
    """Return (first day, end day) when [start, end) is a run of whole local days, else None."""
    first, last = rollups.whole_day(start), rollups.whole_day(end)
    return (first, last) if first is not None and last is not None else None


def _nested(flat: dict) -> dict:
    nested: dict = defaultdict(lambda: defaultdict(int))
    for metric, values in flat.items():
        nested[metric].update(values)
    return nested


def counter_totals(*, start: datetime.datetime, end: datetime.datetime) -> dict:
    """Return {metric: {key: total}} over the hours in [start, end) — one query, on the day
    roll-ups when the period is whole local days (the reports, the board's today)."""
    if days := _whole_days(start, end):
        return _nested(rollups.day_totals(first=days[0], end=days[1]))
    totals: dict = defaultdict(lambda: defaultdict(int))
    for row in _counters(start, end).values("metric", "key").annotate(v=Sum("value")):
        totals[row["metric"]][row["key"]] += row["v"]
    return totals


def counter_series(
    *, start: datetime.datetime, end: datetime.datetime, metrics: list[str], by_day: bool
) -> dict:
    """Return {metric: {bucket: total}} per local hour or day over [start, end) — one query,
    by day on the day roll-ups when the period is whole local days."""
    if by_day and (days := _whole_days(start, end)):
        return _nested(rollups.day_series(first=days[0], end=days[1], metrics=metrics))
    tz = timezone.get_current_timezone()
    bucket = TruncDate("hour", tzinfo=tz) if by_day else ExtractHour("hour", tzinfo=tz)
    rows = (
        _counters(start, end)
        .filter(metric__in=metrics)
        .annotate(b=bucket)
        .values("b", "metric")
        .annotate(v=Sum("value"))
        .order_by()
    )
    series: dict = defaultdict(lambda: defaultdict(int))
    for row in rows:
        series[row["metric"]][row["b"]] += row["v"]
    return series


@dataclass
class MixRow:
    label: str
    count: int
    percent: int | None = None


@dataclass
class Mix:
    rows: list[MixRow]
    total: int


def outcome_mix(*, totals: dict) -> Mix:
    """Return the calls closed with each outcome (every outcome, in the desk's order) and
    their share, from ``counter_totals`` — what the callers wanted."""
    counts = totals[BoardCounter.Metric.OUTCOMES]
    total = sum(counts.values())
    rows = [
        MixRow(
            str(text), counts.get(code, 0), round(100 * counts.get(code, 0) / total) if total else 0
        )
        for code, text in CallHandling.Outcome.choices
    ]
    return Mix(rows, total)


def claim_reports_submitted(*, totals: dict) -> Mix:
    """Return the phone claim reports submitted, per kind, from ``counter_totals``."""
    counts = totals[BoardCounter.Metric.CLAIM_REPORTS]
    rows = [MixRow(str(text), counts.get(code, 0)) for code, text in ClaimReport.Kind.choices]
    return Mix(rows, sum(r.count for r in rows))


@dataclass
class PromiseRate:
    label: str
    due: int
    kept: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.kept / self.due) if self.due else None


@dataclass
class PromisesOnTime:
    rows: list[PromiseRate]
    total: PromiseRate


def promises_on_time(*, totals: dict) -> PromisesOnTime:
    """Return, per promise kind, the promises that fell due (or were done) in the counters'
    period and those done by their due time, from ``counter_totals``."""
    M = BoardCounter.Metric
    kinds = dict(DeskRequest.Kind.choices)
    rows = [
        PromiseRate(
            str(kinds[code]),
            totals[M.PROMISES_DUE].get(code, 0),
            totals[M.PROMISES_KEPT].get(code, 0),
        )
        for code in DeskRequest.PROMISES
    ]
    total = PromiseRate(_("Total"), sum(r.due for r in rows), sum(r.kept for r in rows))
    return PromisesOnTime(rows, total)


def live_queue(*, now: datetime.datetime | None = None) -> dict:
    """Return the calls in the line right now, by state, and the longest wait (seconds)."""
    now = now or timezone.now()
    open_calls = CallTicket.objects.filter(state__in=CallTicket.OPEN_STATES)
    counts = dict.fromkeys(CallTicket.OPEN_STATES, 0)
    for state, n in open_calls.values_list("state").annotate(n=Count("pk")).order_by():
        counts[state] = n
    oldest = (
        open_calls.filter(state=CallTicket.State.WAITING, enqueued_at__isnull=False)
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    return {
        "in_ivr": counts[CallTicket.State.IN_IVR],
        "waiting": counts[CallTicket.State.WAITING],
        "with_agent": counts[CallTicket.State.WITH_AGENT],
        "longest_wait": int((now - oldest).total_seconds()) if oldest else 0,
    }


@dataclass
class LiveAgent:
    name: str
    state: str  # AgentPresence.State
    state_label: str
    since: datetime.datetime | None  # on a call (taken at) or on a break (since)
    until: datetime.datetime | None  # wrap-up ends
    firm: str  # the firm of the call the agent is on


@dataclass
class WaitingCall:
    ticket_id: int
    firm: str
    menu: str
    waiting_since: datetime.datetime


def live_agents(*, now: datetime.datetime | None = None) -> list[LiveAgent]:
    """Return every desk user's presence now, with the firm of the call they are on."""
    now = now or timezone.now()
    board = presence_board(now=now)
    firms = dict(
        CallHandling.objects.filter(closed_at__isnull=True).values_list(
            "agent_id", "ticket__firm__name"
        )
    )
    return [
        LiveAgent(
            name=row.agent.get_full_name() or row.agent.get_username(),
            state=row.presence.state,
            state_label=str(row.presence.get_state_display()),
            since=row.presence.since,
            until=row.presence.until,
            firm=firms.get(row.agent.pk) or "",
        )
        for row in board
    ]


def waiting_calls(*, limit: int = 30) -> list[WaitingCall]:
    """Return the calls waiting in the queue now, longest waiting first."""
    waiting = (
        CallTicket.objects.filter(state=CallTicket.State.WAITING, enqueued_at__isnull=False)
        .select_related("firm")
        .order_by("enqueued_at")[:limit]
    )
    return [
        WaitingCall(
            ticket_id=t.pk,
            firm=t.firm.name if t.firm else t.grid_entered,
            menu=t.get_menu_display(),
            waiting_since=t.enqueued_at or t.started_at,  # queued: filtered above
        )
        for t in waiting
    ]


def promise_counts(*, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    open_ = DeskRequest.objects.filter(kind__in=DeskRequest.PROMISES, done_at__isnull=True)
    return {"open": open_.count(), "overdue": open_.filter(due_at__lt=now).count()}


def agent_names(ids) -> dict[str, str]:
    users = get_user_model().objects.filter(
        pk__in=[n for i in ids if (n := int_or_none(i)) is not None]
    )
    return {str(u.pk): (u.get_full_name() or u.username) for u in users}


def day_start(day: datetime.date) -> datetime.datetime:
    return _day_start(day)


def last_sync() -> datetime.datetime | None:
    return SyncMark.objects.filter(name="review").values_list("at", flat=True).first()


def log_synced_at() -> datetime.datetime | None:
    """Return when the call log's rows were last brought up to date (by either job)."""
    marks = SyncMark.objects.filter(name__in=["review", "review-log"]).values_list("at", flat=True)
    return max(marks, default=None)
