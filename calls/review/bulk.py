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

    def __init__(self) -> None:
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

    def __init__(self) -> None:
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


def seed_calls(
    n: int,
    *,
    agents: list | None = None,
    seconds_between: float = 40.0,
    days: int | None = None,
    now: datetime.datetime | None = None,
    batch: int = 50_000,
    seed: int = 7,
    progress=lambda k: None,
) -> int:
    """Add ``n`` finished calls before the earliest existing one (or before ``now``), about
    ``seconds_between`` apart, spread over the existing firms and ``agents`` (default: every
    user who may use the desk). With ``days``, the calls fall instead inside the opening hours
    of the last ``days`` days (the demo's history, so that 7/30/90-day charts have a shape).
    Promises are due inside opening hours and say what they are about. Returns the number of
    calls written."""
    rnd = random.Random(seed + n)  # noqa: S311 - demo data, not secrets
    now = now or timezone.now()
    calendar = _Calendar()
    earliest = CallTicket.objects.order_by("started_at").values_list("started_at", flat=True)
    at = min(earliest.first() or now, now)
    starts = _open_hours_starts(n, days=days, now=now, rnd=rnd, calendar=calendar) if days else []
    firms = list(PartnerFirm.objects.values_list("pk", "grid")[:5000])
    if not firms:
        raise ValueError("no partner firms: seed the demo first")
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
    outcomes = [o for o, w in OUTCOMES for _ in range(w)]
    sid = CallTicket.objects.count()
    w = RowWriter()
    done = 0
    for i in range(n):
        if starts:
            at = starts[i]
        else:
            at -= datetime.timedelta(seconds=rnd.expovariate(1 / seconds_between))
        sid += 1
        firm_id: int | None
        firm_id, grid = rnd.choice(firms)
        roll = rnd.random()
        failed = 0
        if roll < 0.04:  # failed verification: no firm, no agent
            state, firm_id, verified = CallTicket.State.FAILED_VERIFICATION, None, None
            failed = 2
        elif roll < 0.10:
            state, verified = CallTicket.State.ABANDONED, at + datetime.timedelta(seconds=35)
        else:
            state, verified = CallTicket.State.COMPLETED, at + datetime.timedelta(seconds=35)
            failed = 1 if rnd.random() < 0.05 else 0
        enqueued = verified + datetime.timedelta(seconds=2) if verified else None
        wait = int(rnd.expovariate(1 / 45)) if enqueued else 0
        handle = int(rnd.expovariate(1 / 240)) + 30 if state == CallTicket.State.COMPLETED else 0
        ended = at + datetime.timedelta(seconds=37 + wait + handle)
        menu = rnd.choice("1112")
        ticket_id = w.add(
            CallTicket,
            call_sid=f"CB{sid:032d}",
            from_number=f"+3630{rnd.randrange(10**7):07d}",
            to_number="+3614623800",
            started_at=at,
            ended_at=ended,
            state=state,
            menu=menu,
            grid_entered=grid,
            firm_id=firm_id,
            verified_at=verified,
            queue_name="contracts" if verified else "",
            enqueued_at=enqueued,
            provider_status="completed",
            duration_seconds=37 + wait + handle,
            stage=CallTicket.Stage.DONE,
            failed_verifications=failed,
        )
        for k in range(failed):
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
        if state == CallTicket.State.COMPLETED:
            agent_id = rnd.choice(agent_ids)
            outcome = rnd.choice(outcomes)
            taken = at + datetime.timedelta(seconds=37 + wait)  # queued 37 s after the start
            handling_id = w.add(
                CallHandling,
                ticket_id=ticket_id,
                agent_id=agent_id,
                origin=CallHandling.Origin.QUEUE,
                taken_at=taken,
                notes="",
                outcome=outcome,
                closed_at=taken + datetime.timedelta(seconds=handle),
            )
            if outcome in (CallHandling.Outcome.CALLBACK, CallHandling.Outcome.WRITTEN_ANSWER):
                due = calendar.inside(taken + datetime.timedelta(hours=2))
                kept = due < now - datetime.timedelta(hours=1) and rnd.random() < 0.97
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
                due = None if kept else due
        w.add(
            CallLogEntry,
            ticket_id=ticket_id,
            started_at=at,
            state=state,
            menu=menu,
            grid=grid,
            firm_id=firm_id,
            agent_id=agent_id,
            verification=(
                CallLogEntry.Verification.VERIFIED if verified else CallLogEntry.Verification.FAILED
            ),
            failed_verifications=failed,
            outcome=outcome,
            queued=enqueued is not None,
            wait_seconds=wait,
            handle_seconds=handle,
            requests=1 if outcome in ("callback", "written_answer") else 0,
            documents_sent=False,
            failed_delivery=False,
            open_promise_due_at=due,
            has_recording=False,
            refreshed_at=now,
        )
        done += 1
        if done % batch == 0:
            with transaction.atomic():
                w.flush()
            progress(done)
    with transaction.atomic():
        w.flush()
        w.reset_sequences()
    progress(done)
    board_counters_rebuild(since=None)
    return done
