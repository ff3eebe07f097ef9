"""Reporting tools read the call log (call tickets), a keyset page at a time."""

import pytest
from django.utils import timezone

from calls.models import CallTicket
from calls.review.services import call_log_refresh
from gratisz.api.models import Scope
from tests.factories import PartnerFirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    firm = PartnerFirmFactory(grid="111222333")
    tickets = [
        CallTicket.objects.create(
            call_sid=f"CA{n:032d}",
            from_number="+3612345678",
            state=CallTicket.State.COMPLETED if n % 2 else CallTicket.State.ABANDONED,
            menu="1",
            grid_entered=firm.grid,
            firm=firm if n % 2 else None,
            verified_at=timezone.now() if n % 2 else None,
        )
        for n in range(5)
    ]
    call_log_refresh(ticket_ids=[t.pk for t in tickets])
    return tickets


def test_pages_walk_every_call_once(make_client, calls, django_assert_max_num_queries):
    _i, _t, http = make_client(Scope.REPORTING)
    seen, cursor = [], ""
    for _ in range(5):
        with django_assert_max_num_queries(4):
            page = http.get("/api/v1/calls/", {"size": 2, "cursor": cursor}).json()
        seen += page["results"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(r["ticket_id"] for r in seen) == sorted(t.pk for t in calls)
    completed = [r for r in seen if r["state"] == "completed"]
    assert {r["firm_grid"] for r in completed} == {"111222333"}


def test_filters_narrow_the_log(make_client, calls):
    _i, _t, http = make_client(Scope.REPORTING)
    page = http.get("/api/v1/calls/", {"state": "abandoned"}).json()
    assert len(page["results"]) == 3
    assert http.get("/api/v1/calls/", {"grid": "999999999"}).json()["results"] == []


def test_a_bad_filter_is_a_400_naming_it(make_client):
    _i, _t, http = make_client(Scope.REPORTING)
    answer = http.get("/api/v1/calls/", {"date_from": "tegnap", "size": 0})
    assert answer.status_code == 400
    assert set(answer.json()["details"]) == {"date_from", "size"}
