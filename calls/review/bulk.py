"""Bulk call history for demos and the benchmark: tickets, handlings, promises, verification
failures and their call log rows, written with COPY on PostgreSQL (executemany elsewhere).

The call log rows are written here directly, consistent with what ``call_log_refresh`` would
compute, because refreshing a million calls through the ORM would take far longer than
writing them; the hourly counters are then rebuilt from the log in one pass.
"""

import datetime
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from calls import opening_hours
from calls.desk.models import CallHandling, DeskRequest
from calls.models import CallTicket, VerificationAttempt
from partners.models import PartnerFirm

from .models import CallLogEntry
from .services import board_counters_rebuild


class RowWriter:
    """Collect rows per table and write them in one go; ids are assigned here."""

    def __init__(self):
        self.rows: dict[type[models.Model], list[tuple]] = defaultdict(list)
        self.fields: dict[type[models.Model], Sequence[models.Field]] = {}
        self.next_id: dict[type[models.Model], int] = {}

    def add(self, model: type[models.Model], /, **values) -> int:
        if model not in self.fields:
            self.fields[model] = model._meta.concrete_fields
            top = model._default_manager.aggregate(top=Max("pk"))["top"] or 0
            self.next_id[model] = top + 1
        pk = values.get(model._meta.pk.attname)
        if pk is None:
            pk = self.next_id[model]
            self.next_id[model] += 1
            values[model._meta.pk.attname] = pk
        row = []
        for f in self.fields[model]:
            row.append(values[f.attname] if f.attname in values else f.get_default())
        self.rows[model].append(tuple(row))
        return pk

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for model, rows in self.rows.items():
                table = connection.ops.quote_name(model._meta.db_table)
                fields = self.fields[model]
                columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    adapt = connection.ops.adapt_datetimefield_value
                    marks = ", ".join(["%s"] * len(fields))
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                        [
                            tuple(adapt(v) if isinstance(v, datetime.datetime) else v for v in r)
                            for r in rows
                        ],
                    )
        self.rows.clear()

    def reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.fields)):
                cursor.execute(sql)


OUTCOMES = [
    (CallHandling.Outcome.ANSWERED, 70),
    (CallHandling.Outcome.CALLBACK, 10),
    (CallHandling.Outcome.WRITTEN_ANSWER, 5),
    (CallHandling.Outcome.WRITTEN_REQUEST, 5),
    (CallHandling.Outcome.CLAIM_REPORTED, 5),
    (CallHandling.Outcome.NOT_IDENTIFIED, 3),
    (CallHandling.Outcome.DROPPED, 2),
]


# What a caller waits for when an agent promises to call back or to answer in writing.
PROMISE_SUBJECTS = [
    "Díjrendezettség visszaigazolása",
    "Kárügy állása, hiányzó dokumentumok",
    "Csoportos beszedési megbízás elindulása",
    "Kártörténeti igazolás postázásának ellenőrzése",
    "Fedezetigazolás a lejárt időszakra",
    "Zöldkártya kiadhatósága",
    "Kárkifizetés alapjául szolgáló biztosítási esemény",
]
# Calls per weekday relative to Monday (Wednesday is the long day, Friday the short one).
WEEKDAY_WEIGHT = {0: 1.0, 1: 0.9, 2: 1.2, 3: 0.9, 4: 0.6}


class _Calendar:
    """The line's opening hours per day, read once per day (for spreading demo calls)."""

    def __init__(self):
        self._hours: dict[datetime.date, tuple | None] = {}

    def hours(self, day: datetime.date):
        if day not in self._hours:
            self._hours[day] = opening_hours.hours_on(day)
        return self._hours[day]

    def at(self, day: datetime.date, t: datetime.time) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, t))

    def inside(self, moment: datetime.datetime) -> datetime.datetime:
        """Return ``moment`` if the line is open then, else an hour after the next opening."""
        local = timezone.localtime(moment)
        day = local.date()
        hours = self.hours(day)
        if hours and hours[0] <= local.time() < hours[1]:
            return moment
        if hours and local.time() < hours[0]:
            return self.at(day, hours[0]) + datetime.timedelta(hours=1)
        for _i in range(30):
            day += datetime.timedelta(days=1)
            if hours := self.hours(day):
                return self.at(day, hours[0]) + datetime.timedelta(hours=1)
        return moment


def _open_hours_starts(
    n: int, *, days: int, now: datetime.datetime, rnd: random.Random, calendar: _Calendar
) -> list[datetime.datetime]:
    """Return ``n`` call start times inside the opening hours of the last ``days`` days,
    newest first, busier on the long days, none in the future."""
    today = timezone.localtime(now).date()
    slots = []
    for back in range(days):
        day = today - datetime.timedelta(days=back)
        hours = calendar.hours(day)
        if hours:
            slots.append((day, hours, WEEKDAY_WEIGHT.get(day.weekday(), 0.5)))
    if not slots:
        return []
    starts: list[datetime.datetime] = []
    while len(starts) < n:
        day, (opens, closes), _w = rnd.choices(slots, weights=[w for *_x, w in slots])[0]
        first, last = calendar.at(day, opens), calendar.at(day, closes)
        at = first + datetime.timedelta(seconds=rnd.uniform(0, (last - first).total_seconds()))
        if at < now:
            starts.append(at)
    return sorted(starts, reverse=True)


def _desk_agent_ids(agents: list | None) -> list[int]:
    """The ids of ``agents``, by default of every user who may use the desk."""
    if agents is None:
        agents = list(
            get_user_model().objects.filter(
                groups__permissions__codename="use_desk",
                groups__permissions__content_type__app_label="gratisz",
            )
        )
    agent_ids = [a.pk for a in agents]
    if not agent_ids:
        raise ValueError("no agents")
    return agent_ids


@dataclass
class _Shape:
    """How one seeded call went before an agent took it."""

    state: str
    verified: datetime.datetime | None
    failed: int  # failed verifications
    enqueued: datetime.datetime | None
    wait: int
    handle: int

    @property
    def completed(self) -> bool:
        return self.state == CallTicket.State.COMPLETED


class _CallSeeder:
    """Writes one finished call at a time with its verification failures, handling, promise
    and log row (the random draws in a fixed order, so a seed gives the same history)."""

    def __init__(self, *, rnd, now, calendar, firms, agent_ids, writer):
        self.rnd, self.now, self.calendar = rnd, now, calendar
        self.firms, self.agent_ids, self.w = firms, agent_ids, writer
        self.outcomes = [o for o, weight in OUTCOMES for _ in range(weight)]
        self.sid = CallTicket.objects.count()

    def _shape(self, at: datetime.datetime) -> _Shape:
        rnd = self.rnd
        roll = rnd.random()
        if roll < 0.04:  # failed verification: no firm, no agent
            state, verified, failed = CallTicket.State.FAILED_VERIFICATION, None, 2
        elif roll < 0.10:
            state, verified, failed = CallTicket.State.ABANDONED, at + _VERIFY, 0
        else:
            state, verified = CallTicket.State.COMPLETED, at + _VERIFY
            failed = 1 if rnd.random() < 0.05 else 0
        enqueued = verified + datetime.timedelta(seconds=2) if verified else None
        wait = int(rnd.expovariate(1 / 45)) if enqueued else 0
        handle = int(rnd.expovariate(1 / 240)) + 30 if state == CallTicket.State.COMPLETED else 0
        return _Shape(state, verified, failed, enqueued, wait, handle)

    def add(self, at: datetime.datetime) -> None:
        """Write one call started at ``at``."""
        rnd, w = self.rnd, self.w
        self.sid += 1
        firm_id, grid = rnd.choice(self.firms)
        shape = self._shape(at)
        if shape.state == CallTicket.State.FAILED_VERIFICATION:
            firm_id = None
        duration = 37 + shape.wait + shape.handle
        menu = rnd.choice("1112")
        ticket_id = w.add(
            CallTicket,
            call_sid=f"CB{self.sid:032d}",
            from_number=f"+3630{rnd.randrange(10**7):07d}",
            to_number="+3614623800",
            started_at=at,
            ended_at=at + datetime.timedelta(seconds=duration),
            state=shape.state,
            menu=menu,
            grid_entered=grid,
            firm_id=firm_id,
            verified_at=shape.verified,
            queue_name="contracts" if shape.verified else "",
            enqueued_at=shape.enqueued,
            provider_status="completed",
            duration_seconds=duration,
            stage=CallTicket.Stage.DONE,
            failed_verifications=shape.failed,
        )
        for k in range(shape.failed):
            w.add(
                VerificationAttempt,
                ticket_id=ticket_id,
                number=k + 1,
                at=at + datetime.timedelta(seconds=20 + 5 * k),
                menu="1",
                grid_entered=grid,
                firm_id=None,
                role="staff",
                outcome="wrong_code",
            )
        agent_id, outcome, due = None, "", None
        if shape.completed:
            agent_id, outcome, due = self._handling(ticket_id, shape)
        w.add(
            CallLogEntry,
            ticket_id=ticket_id,
            started_at=at,
            state=shape.state,
            menu=menu,
            grid=grid,
            firm_id=firm_id,
            agent_id=agent_id,
            verification=(
                CallLogEntry.Verification.VERIFIED
                if shape.verified
                else CallLogEntry.Verification.FAILED
            ),
            failed_verifications=shape.failed,
            outcome=outcome,
            queued=shape.enqueued is not None,
            wait_seconds=shape.wait,
            handle_seconds=shape.handle,
            requests=1 if outcome in ("callback", "written_answer") else 0,
            documents_sent=False,
            failed_delivery=False,
            open_promise_due_at=due,
            has_recording=False,
            refreshed_at=self.now,
        )

    def _handling(self, ticket_id: int, shape: _Shape) -> tuple[int, str, datetime.datetime | None]:
        """Write the agent's handling (and promise) of a completed call; return the agent,
        the outcome and the due time of a promise not kept yet."""
        rnd, w = self.rnd, self.w
        agent_id = rnd.choice(self.agent_ids)
        outcome = rnd.choice(self.outcomes)
        if shape.enqueued is None:
            raise ValueError("a completed call has been queued")
        taken = shape.enqueued + datetime.timedelta(seconds=shape.wait)
        handling_id = w.add(
            CallHandling,
            ticket_id=ticket_id,
            agent_id=agent_id,
            origin=CallHandling.Origin.QUEUE,
            taken_at=taken,
            notes="",
            outcome=outcome,
            closed_at=taken + datetime.timedelta(seconds=shape.handle),
        )
        if outcome not in (CallHandling.Outcome.CALLBACK, CallHandling.Outcome.WRITTEN_ANSWER):
            return agent_id, outcome, None
        due = self.calendar.inside(taken + datetime.timedelta(hours=2))
        kept = due < self.now - datetime.timedelta(hours=1) and rnd.random() < 0.97
        w.add(
            DeskRequest,
            handling_id=handling_id,
            kind=outcome,
            due_at=due,
            contact="+36301234567",
            subject=rnd.choice(PROMISE_SUBJECTS),
            created_at=taken,
            done_at=due - datetime.timedelta(minutes=30) if kept else None,
        )
        return agent_id, outcome, None if kept else due


_VERIFY = datetime.timedelta(seconds=35)  # from the call's start to its verification


def seed_calls(
    n: int,
    *,
    agents: list | None = None,
    seconds_between: float = 40.0,
    days: int | None = None,
    before: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    batch: int = 50_000,
    seed: int = 7,
    progress=lambda k: None,
) -> int:
    """Add ``n`` finished calls before the earliest existing one (or before ``now``), about
    ``seconds_between`` apart, spread over the existing firms and ``agents`` (default: every
    user who may use the desk). With ``before``, they go back from that moment instead (among
    the calls already there: the benchmark's history reaches today). With ``days``, the calls
    fall instead inside the opening hours of the last ``days`` days (the demo's history, so
    that 7/30/90-day charts have a shape).
    Promises are due inside opening hours and say what they are about. Returns the number of
    calls written."""
    rnd = random.Random(seed + n)  # noqa: S311 - demo data, not secrets
    now = now or timezone.now()
    calendar = _Calendar()
    earliest = CallTicket.objects.order_by("started_at").values_list("started_at", flat=True)
    at = min(before or earliest.first() or now, now)
    starts = _open_hours_starts(n, days=days, now=now, rnd=rnd, calendar=calendar) if days else []
    firms = list(PartnerFirm.objects.values_list("pk", "grid")[:5000])
    if not firms:
        raise ValueError("no partner firms: seed the demo first")
    w = RowWriter()
    seeder = _CallSeeder(
        rnd=rnd,
        now=now,
        calendar=calendar,
        firms=firms,
        agent_ids=_desk_agent_ids(agents),
        writer=w,
    )
    for i in range(n):
        if starts:
            at = starts[i]
        else:
            at -= datetime.timedelta(seconds=rnd.expovariate(1 / seconds_between))
        seeder.add(at)
        if (i + 1) % batch == 0:
            with transaction.atomic():
                w.flush()
            progress(i + 1)
    with transaction.atomic():
        w.flush()
        w.reset_sequences()
    progress(n)
    board_counters_rebuild(since=None)
    return n
