"""When the line is open: the weekday hours, Hungarian public holidays and transferred working
days (the ``holidays`` package), and the special days that override both (tables in ``models``).
"""

import datetime
from functools import lru_cache

import holidays
from django.utils import timezone

from .models import OpeningHours, SpecialDay

FRIDAY = 4


@lru_cache(maxsize=8)
def _hungarian_calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("HU", years=[year - 1, year, year + 1])


def load_calendar(today: datetime.date | None = None) -> None:
    """Compute the public holidays around this year and the next now (about 0.3 s of CPU each,
    then cached): the web server does it before its workers fork, so that the first caller or
    agent of each worker does not wait for it."""
    year = (today or timezone.localdate()).year
    _hungarian_calendar(year)
    _hungarian_calendar(year + 1)


def _swapped_weekday(day: datetime.date) -> int:
    """Return the weekday whose hours a transferred working day keeps: the day off it was
    swapped with (a working Saturday pays for a bridge day), found by the day off's label
    ("Pihenőnap (2025. 05. 17.-től helyettesítve)"). Friday when no label names the day."""
    needles = (day.strftime("%Y. %m. %d."), day.strftime("%m/%d/%Y"))
    for holiday, label in _hungarian_calendar(day.year).items():
        if any(needle in label for needle in needles):
            return holiday.weekday()
    return FRIDAY


Hours = tuple[datetime.time, datetime.time]
Intervals = list[tuple[datetime.datetime, datetime.datetime]]


def _hours(day: datetime.date, weekly: dict[int, Hours], special: dict) -> Hours | None:
    """Return (opens, closes) on ``day``, or None when closed: the special day if there is
    one, else closed on a public holiday, else the weekday's hours (a transferred working day
    keeps the hours of the day off it was swapped with)."""
    row = special.get(day)
    if row is not None:
        return (row.opens, row.closes) if row.is_open else None
    calendar = _hungarian_calendar(day.year)
    if day in calendar:
        return None
    weekday = day.weekday()
    if day in calendar.weekend_workdays:
        weekday = _swapped_weekday(day)
    return weekly.get(weekday)


def _weekly() -> dict[int, Hours]:
    return {row.weekday: (row.opens, row.closes) for row in OpeningHours.objects.all()}


def hours_on(day: datetime.date) -> Hours | None:
    """Return (opens, closes) on ``day`` in Budapest time, or None when the line is closed."""
    return _hours(day, _weekly(), {row.date: row for row in SpecialDay.objects.filter(date=day)})


def open_intervals(start: datetime.datetime, days: int = 90) -> Intervals:
    """Return the (from, to) local datetimes the line is open from ``start`` on, over
    ``days`` days (an interval under way starts at ``start``), from two queries."""
    local = timezone.localtime(start)
    first = local.date()
    weekly = _weekly()
    special = {
        row.date: row
        for row in SpecialDay.objects.filter(
            date__gte=first, date__lte=first + datetime.timedelta(days=days)
        )
    }
    intervals = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        hours = _hours(day, weekly, special)
        if hours is None:
            continue
        opens = datetime.datetime.combine(day, hours[0], tzinfo=local.tzinfo)
        closes = datetime.datetime.combine(day, hours[1], tzinfo=local.tzinfo)
        if closes > local:
            intervals.append((max(opens, local), closes))
    return intervals


def now() -> datetime.datetime:
    """Return the current time (the one seam through which tests set the clock)."""
    return timezone.now()


def is_open(at: datetime.datetime | None = None) -> bool:
    """Tell whether the line is open at ``at`` (default: now)."""
    at = at or now()
    today = open_intervals(at, days=1)
    return bool(today) and today[0][0] <= at


_HU_DAYS = ["hétfőn", "kedden", "szerdán", "csütörtökön", "pénteken", "szombaton", "vasárnap"]
_EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _hour(t: datetime.time) -> str:
    return f"{t.hour}" if t.minute == 0 else f"{t.hour}:{t.minute:02d}"


def _from_suffix(t: datetime.time) -> str:
    """Return the Hungarian "from" suffix that fits the spoken number (nyolctól, kilenctől)."""
    n = t.minute or t.hour
    back_vowel = n in (0, 20, 30) or (n % 10 in (3, 6, 8))
    return "tól" if back_vowel else "től"


def describe(language: str) -> str:
    """Return the weekly hours as a sentence part, days with equal hours grouped:
    "hétfőn, kedden és csütörtökön 8-tól 17 óráig, szerdán 8-tól 20 óráig, …"."""
    groups: dict[tuple[datetime.time, datetime.time], list[int]] = {}
    for row in OpeningHours.objects.order_by("weekday"):
        groups.setdefault((row.opens, row.closes), []).append(row.weekday)
    hungarian = language == "hu"
    names = _HU_DAYS if hungarian else _EN_DAYS
    conjunction = " és " if hungarian else " and "
    parts = []
    for (opens, closes), days in groups.items():
        day_names = [names[d] for d in days]
        joined = (
            ", ".join(day_names[:-1]) + conjunction + day_names[-1]
            if len(day_names) > 1
            else day_names[0]
        )
        if hungarian:
            parts.append(f"{joined} {_hour(opens)}-{_from_suffix(opens)} {_hour(closes)} óráig")
        else:
            parts.append(f"{joined} {_hour(opens)} to {_hour(closes)}")
    return ", ".join(parts)
