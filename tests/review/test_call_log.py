"""The call log: filters, sorting, keyset pages, a fixed number of queries, exports."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from calls.desk.models import CallHandling
from calls.models import CallTicket
from calls.review import services
from certificates.models import Delivery
from gratisz.roles import Role

from .conftest import add_delivery, add_promise


@pytest.fixture
def agents(make_user):
    return make_user(Role.AGENT, username="anna"), make_user(Role.AGENT, username="bela")


@pytest.fixture
def calls(make_call, firm, other_firm, agents):
    anna, bela = agents
    now = timezone.now()
    made = []
    for i in range(12):
        made.append(
            make_call(
                firm if i % 2 else other_firm,
                agent=anna if i % 3 else bela,
                started=now - datetime.timedelta(hours=i + 1),
                wait=10 + i,
            )
        )
    made.append(make_call(None, started=now - datetime.timedelta(days=3), failed_verifications=2))
    return made


def _ids(response) -> list[int]:
    return [e.ticket_id for e in response.context["page"].rows]


def test_log_lists_newest_first_and_filters_by_agent_and_firm(
    calls, agents, firm, supervisor, login
):
    client = login(supervisor)
    response = client.get(reverse("review:calls"))
    assert _ids(response) == [c.pk for c in calls]

    anna = agents[0]
    response = client.get(reverse("review:calls"), {"agent": anna.pk, "firm": firm.pk})
    expected = [c.pk for i, c in enumerate(calls[:12]) if i % 3 and i % 2]
    assert _ids(response) == expected


def test_log_filters_by_date_range_and_verification(calls, supervisor, login):
    client = login(supervisor)
    three_days_ago = timezone.localdate() - datetime.timedelta(days=3)
    response = client.get(
        reverse("review:calls"),
        {"date_from": three_days_ago, "date_to": three_days_ago, "verification": "failed"},
    )
    assert _ids(response) == [calls[-1].pk]


def test_log_filters_by_the_calls_source(calls, supervisor, login):
    pbx, desk = calls[3], calls[7]
    CallTicket.objects.filter(pk=pbx.pk).update(source=CallTicket.Source.PBX)
    CallTicket.objects.filter(pk=desk.pk).update(source=CallTicket.Source.DESK)
    client = login(supervisor)
    response = client.get(reverse("review:calls"), {"source": "pbx"})
    assert _ids(response) == [pbx.pk]
    # A call that did not come through the IVR says where it came from among its flags.
    assert '<span class="flag source">alközpont (CTI)</span>' in response.content.decode()
    response = client.get(reverse("review:calls"), {"source": "desk"})
    assert '<span class="flag source">ügyintézői visszahívás</span>' in response.content.decode()
    response = client.get(reverse("review:calls"), {"source": "ivr"})
    assert 'class="flag source"' not in response.content.decode()
    response = client.get(reverse("review:calls"), {"source": "ivr"})
    assert _ids(response) == [c.pk for c in calls if c.pk not in (pbx.pk, desk.pk)]


def test_overdue_promise_and_failed_delivery_filters(calls, supervisor, login):
    overdue, kept_time, failed = calls[1], calls[2], calls[4]
    add_promise(overdue, due_in_minutes=-5)
    add_promise(kept_time, due_in_minutes=60)
    add_delivery(failed, state=Delivery.State.FAILED)
    add_delivery(calls[5], state=Delivery.State.SENT)
    services.call_log_refresh(ticket_ids=[c.pk for c in calls])
    client = login(supervisor)
    assert _ids(client.get(reverse("review:calls"), {"overdue": "on"})) == [overdue.pk]
    assert _ids(client.get(reverse("review:calls"), {"failed_delivery": "on"})) == [failed.pk]
    assert _ids(client.get(reverse("review:calls"), {"documents_sent": "on"})) == [calls[5].pk]


def test_keyset_pages_walk_every_call_once_in_any_sort(calls, supervisor, login, settings):
    settings.REVIEW_PAGE_SIZE = 5
    client = login(supervisor)
    for sort in ("-started", "started", "-wait", "wait", "-handle"):
        seen, url = [], reverse("review:calls") + f"?sort={sort}"
        while True:
            response = client.get(url)
            seen += _ids(response)
            if not response.context["next_query"]:
                break
            url = reverse("review:calls") + "?" + response.context["next_query"]
        assert sorted(seen) == sorted(c.pk for c in calls), sort
        assert len(seen) == len(set(seen)), sort
    waits = [c.log_entry.wait_seconds for c in calls]
    response = client.get(reverse("review:calls"), {"sort": "-wait"})
    assert [e.wait_seconds for e in response.context["page"].rows] == sorted(waits, reverse=True)[
        :5
    ]


def test_previous_pages_walk_back_to_the_first(calls, supervisor, login, settings):
    settings.REVIEW_PAGE_SIZE = 5
    client = login(supervisor)
    for sort in ("-started", "wait"):
        pages, url = [], reverse("review:calls") + f"?sort={sort}"
        while True:
            response = client.get(url)
            pages.append(_ids(response))
            if not response.context["next_query"]:
                break
            url = reverse("review:calls") + "?" + response.context["next_query"]
        assert response.context["prev_query"]
        back = [pages[-1]]
        while response.context["prev_query"]:
            response = client.get(reverse("review:calls") + "?" + response.context["prev_query"])
            back.append(_ids(response))
        assert back[::-1] == pages, sort
        assert not response.context["first_query"]


def test_log_counts_the_filtered_calls_and_says_when_its_rows_were_refreshed(
    calls, firm, supervisor, login, settings
):
    client = login(supervisor)
    response = client.get(reverse("review:calls"), {"firm": firm.pk})
    count = response.context["count"]
    assert (count.n, count.exact) == (len([c for c in calls if c.firm_id == firm.pk]), True)
    services.call_log_sync()
    page = client.get(reverse("review:calls")).content.decode()
    synced = timezone.localtime(services.SyncMark.objects.get(name="review-log").at)
    assert synced.strftime("%H:%M:%S") in page


def test_count_stops_at_its_limit(calls, supervisor, login, monkeypatch):
    from calls.review import selectors

    monkeypatch.setattr(selectors, "LOG_COUNT_LIMIT", 5)
    client = login(supervisor)
    response = client.get(reverse("review:calls"))
    count = response.context["count"]
    assert count.exact is False and count.n >= 5
    assert "About" not in response.content.decode()  # said in Hungarian: "Körülbelül"


def test_a_new_call_and_its_change_reach_the_log_at_the_next_quick_sync(
    make_call, firm, agents, supervisor, login
):
    services.call_log_sync()
    ticket = make_call(firm, started=timezone.now(), sync=False)
    client = login(supervisor)
    assert ticket.pk not in _ids(client.get(reverse("review:calls")))
    services.call_log_sync()
    assert ticket.pk in _ids(client.get(reverse("review:calls")))
    CallHandling.objects.create(
        ticket=ticket,
        agent=agents[0],
        origin=CallHandling.Origin.QUEUE,
        taken_at=timezone.now(),
        outcome=CallHandling.Outcome.CALLBACK,
    )
    services.call_log_sync()
    row = client.get(reverse("review:calls")).context["page"].rows[0]
    assert (row.ticket_id, row.outcome) == (ticket.pk, CallHandling.Outcome.CALLBACK)


def test_the_list_runs_the_same_queries_for_5_or_50_calls(
    make_call, firm, agents, supervisor, login, django_assert_num_queries, settings
):
    client = login(supervisor)
    for i in range(5):
        make_call(firm, agent=agents[i % 2])
    url = reverse("review:calls")
    client.get(url)  # warm the session and the permission cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(45):
        make_call(firm, agent=agents[i % 2], sync=False)
    services.call_log_rebuild_all()
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].rows) == 50


def _csv_rows(response) -> list[list[str]]:
    """Read the CSV as a spreadsheet program would: find the dialect, then the columns."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] + "\n" + text.splitlines()[1])
    return list(csv.reader(io.StringIO(text), dialect))


def test_csv_export_holds_exactly_the_filtered_calls_in_words(calls, agents, supervisor, login):
    anna = agents[0]
    client = login(supervisor)
    response = client.get(reverse("review:export-csv"), {"agent": anna.pk, "sort": "started"})
    assert response.status_code == 200
    assert response.streaming
    raw = b"".join(response.streaming_content)
    # UTF-8 with a byte-order mark and semicolons: a Hungarian Excel opens it as columns.
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.split("\r\n", 2)[1])
    assert dialect.delimiter == ";"
    rows = list(csv.reader(io.StringIO(text), dialect))
    with translation.override("hu"):
        answered = str(CallHandling.Outcome.ANSWERED.label)
        completed = str(CallTicket.State.COMPLETED.label)
        assert rows[0][:4] == [_("Call"), _("Call SID"), _("Started"), _("State")]
        no = _("no")
    assert "answered" not in answered
    expected = sorted(
        (c for c in calls if hasattr(c, "handling") and c.handling.agent_id == anna.pk),
        key=lambda c: c.started_at,
    )
    assert [int(r[0]) for r in rows[1:]] == [c.pk for c in expected]
    assert {r[8] for r in rows[1:]} == {"anna"}
    # Words, not codes: the outcome, the state and yes/no as a Hungarian reader reads them.
    assert {r[11] for r in rows[1:]} == {answered}
    assert {r[3] for r in rows[1:]} == {completed}
    assert {r[18] for r in rows[1:]} == {no}
    first = expected[0]
    local = timezone.localtime(first.started_at)
    assert rows[1][2] == local.strftime("%Y. %m. %d. %H:%M:%S")


def test_csv_export_has_a_comma_variant(calls, supervisor, login):
    client = login(supervisor)
    response = client.get(reverse("review:export-csv"), {"sep": "comma"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert csv.Sniffer().sniff(text.split("\r\n", 2)[1]).delimiter == ","
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == len(calls) + 1
    assert all(len(r) == len(rows[0]) for r in rows)


def test_xlsx_export_opens_and_matches_the_filter(calls, firm, supervisor, login):
    client = login(supervisor)
    response = client.get(reverse("review:export-xlsx"), {"firm": firm.pk})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [c.pk for c in calls if c.firm_id == firm.pk]
    assert {r[7] for r in rows[1:]} == {firm.name}
    # A sheet a supervisor can sort and sum: real dates and numbers, in Budapest time.
    first = next(c for c in calls if c.firm_id == firm.pk)
    assert rows[1][2] == timezone.localtime(first.started_at).replace(tzinfo=None, microsecond=0)
    assert isinstance(rows[1][12], int)
    assert sheet.cell(row=2, column=3).number_format == "yyyy. mm. dd. hh:mm:ss"
    # The header stays on screen, each column filters, and the columns are wide enough.
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:T{len(rows)}"  # T: the complaint column
    assert sheet.column_dimensions["H"].width >= 25
    with translation.override("hu"):
        assert rows[1][11] == str(CallHandling.Outcome.ANSWERED.label)
        assert rows[1][4] == str(CallTicket.Source.IVR.label)


def test_export_defuses_spreadsheet_formulas(make_call, supervisor, login):
    from tests.factories import PartnerFirmFactory

    evil = PartnerFirmFactory(grid="555555555", name='=HYPERLINK("http://x")')
    make_call(evil)
    client = login(supervisor)
    response = client.get(reverse("review:export-csv"), {"firm": evil.pk})
    assert {r[7] for r in _csv_rows(response)[1:]} == {'\'=HYPERLINK("http://x")'}
