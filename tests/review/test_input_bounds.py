"""The call log, its exports and the recordings at the ends of the calendar and beyond 64 bits:
a filter that cannot hold is dropped (the log's rule), never a 500."""

import pytest
from django.urls import reverse

from gratisz.roles import Role

from .conftest import add_recording

pytestmark = pytest.mark.django_db

ODD = [
    {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "２０２６-１１-２７"},
    {"firm": "99999999999999999999"},
    {"firm": "١٢"},
    {"after": "9999-12-31T23:59:59-14:00~1"},
    {"after": "2026-11-27T10:00:00+01:00~99999999999999999999"},
    {"after": "x~²", "sort": "wait_seconds"},
]


@pytest.mark.parametrize("query", ODD)
@pytest.mark.parametrize("name", ["review:calls", "review:export-csv", "review:export-xlsx"])
def test_the_call_log_and_its_exports_take_any_filter(
    make_call, firm, supervisor, login, name, query
):
    make_call(firm)
    client = login(supervisor)
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    if name == "review:export-csv":
        assert b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "header", ["bytes=0-" + "9" * 5000, "bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 5000]
)
def test_a_huge_range_header_is_416_not_a_500(
    make_call, firm, make_user, supervisor, login, header
):
    recording = add_recording(make_call(firm, agent=make_user(Role.AGENT)))
    client = login(supervisor)
    response = client.get(reverse("review:audio", args=[recording.pk]), HTTP_RANGE=header)
    assert response.status_code == 416
