"""Daily roll-ups of the board's hourly counters, so that the 7/30/90-day reports read one
row per local day and figure (O(days)) instead of every hour of the period.

A day is a Budapest calendar day (``settings.TIME_ZONE``): its hours are the UTC hours from
its local midnight to the next, 23 or 25 of them when the clock changes. Budapest's offset is
a whole number of hours, so every counted hour falls in exactly one day and a period of
whole days sums to the same figures from the days as from the hours.
"""

import datetime

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import BoardCounter, DayCounter


def _tz():
    return timezone.get_default_timezone()


def day_start(day: datetime.date) -> datetime.datetime:
    """Return the moment the local ``day`` starts."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=_tz())


def whole_day(at: datetime.datetime) -> datetime.date | None:
    """Return the local day that starts at ``at``, or None when ``at`` is not a midnight."""
    local = at.astimezone(_tz())
    return local.date() if local.time() == datetime.time() else None


def day_counters_rebuild(*, since: datetime.datetime | None) -> int:
    """Re-sum the day counters of the local day that contains ``since`` and of every later
    day (all days when ``since`` is None) from the hourly counters. Returns the rows written.

    Call it in the transaction that rewrote those hours, so that a reader sees either the
    old hours and days or the new ones.
    """
    first = timezone.localtime(since, _tz()).date() if since else None
    hours = BoardCounter.objects.all()
    days = DayCounter.objects.all()
    if first is not None:
        hours = hours.filter(hour__gte=day_start(first))
        days = days.filter(day__gte=first)
    sums = (
        hours.annotate(d=TruncDate("hour", tzinfo=_tz()))
        .values("d", "metric", "key")
        .annotate(v=Sum("value"))
        .order_by()
    )
    rows = [
        DayCounter(day=r["d"], metric=r["metric"], key=r["key"], value=r["v"])
        for r in sums
        if r["v"]
    ]
    days.delete()
    DayCounter.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _days(first: datetime.date, end: datetime.date):
    return DayCounter.objects.filter(day__gte=first, day__lt=end)


def day_totals(*, first: datetime.date, end: datetime.date) -> dict:
    """Return {metric: {key: total}} over the days in [first, end) — one query."""
    totals: dict = {}
    for row in _days(first, end).values("metric", "key").annotate(v=Sum("value")).order_by():
        by_key = totals.setdefault(row["metric"], {})
        by_key[row["key"]] = by_key.get(row["key"], 0) + row["v"]
    return totals


def day_series(*, first: datetime.date, end: datetime.date, metrics: list[str]) -> dict:
    """Return {metric: {day: total}} over the days in [first, end) — one query."""
    series: dict = {}
    rows = (
        _days(first, end)
        .filter(metric__in=metrics)
        .values("day", "metric")
        .annotate(v=Sum("value"))
        .order_by()
    )
    for row in rows:
        by_day = series.setdefault(row["metric"], {})
        by_day[row["day"]] = by_day.get(row["day"], 0) + row["v"]
    return series
