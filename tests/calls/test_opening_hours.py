"""Opening hours: weekdays, Hungarian holidays, transferred working days, special days."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from calls import opening_hours
from calls.models import CallTicket, SpecialDay
from tests.calls.conftest import texts
from tests.calls.fake_provider import ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db

BUDAPEST = ZoneInfo("Europe/Budapest")


@pytest.fixture
def clock(monkeypatch):
    """Set the IVR's clock to a Budapest wall time."""

    def set_to(*args):
        at = datetime.datetime(*args, tzinfo=BUDAPEST)
        monkeypatch.setattr(opening_hours, "now", lambda: at)

    return set_to


@pytest.fixture
def phone():
    return FakeProvider(ClientTransport(Client()))


def test_open_on_a_wednesday_evening(phone, clock):
    clock(2026, 11, 25, 19, 30)  # Wednesday, open until 20
    call = phone.call()
    assert call.heard == texts("welcome")


def test_closed_on_a_friday_afternoon_tells_the_hours_and_hangs_up(phone, clock):
    clock(2026, 11, 27, 14, 0)  # Friday, closed from 14
    call = phone.call()
    assert call.state == "ended"
    assert "pénteken 8-tól 14 óráig" in call.heard[0]
    assert "szerdán 8-tól 20 óráig" in call.heard[0]
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == CallTicket.State.CLOSED_HOURS
    assert ticket.ended_at is not None  # the status callback after the hang-up


def test_closed_on_a_hungarian_public_holiday(phone, clock):
    clock(2026, 10, 23, 10, 0)  # Friday, national holiday (1956 revolution)
    call = phone.call()
    assert call.state == "ended"
    assert CallTicket.objects.get(call_sid=call.sid).state == CallTicket.State.CLOSED_HOURS


def test_closed_on_a_bridge_day_off(phone, clock):
    clock(2026, 8, 21, 10, 0)  # Friday off, worked on Saturday 8 August instead
    assert phone.call().state == "ended"


def test_open_on_a_transferred_working_saturday_with_the_swapped_days_hours(phone, clock):
    clock(2026, 8, 8, 10, 0)  # Saturday, a working day in place of Friday 21 August
    assert phone.call().heard == texts("welcome")
    assert opening_hours.hours_on(datetime.date(2026, 8, 8)) == (
        datetime.time(8),
        datetime.time(14),
    )
    # Saturday 13 December 2025 stood in for Wednesday 24 December: Wednesday's hours.
    assert opening_hours.hours_on(datetime.date(2025, 12, 13))[1] == datetime.time(20)


def test_closed_on_an_ordinary_sunday(clock):
    assert not opening_hours.is_open(datetime.datetime(2026, 11, 29, 10, tzinfo=BUDAPEST))


def test_special_day_overrides_holiday_and_weekday(phone, clock):
    SpecialDay.objects.create(
        date=datetime.date(2026, 10, 23),
        is_open=True,
        opens=datetime.time(9),
        closes=datetime.time(12),
        note="ügyelet",
    )
    SpecialDay.objects.create(date=datetime.date(2026, 11, 25), is_open=False, note="leltár")
    clock(2026, 10, 23, 10, 0)
    assert phone.call().heard == texts("welcome")
    clock(2026, 11, 25, 10, 0)
    assert phone.call().state == "ended"


def test_hours_text_follows_the_table(db):
    from calls.models import OpeningHours

    OpeningHours.objects.filter(weekday=4).update(closes=datetime.time(13, 30))
    assert "pénteken 8-tól 13:30 óráig" in opening_hours.describe("hu")
    assert "Friday 8 to 13:30" in opening_hours.describe("en")
