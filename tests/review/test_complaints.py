"""Complaints ("panasz"): the call's agent marks a call; its recording is kept five years from
the call whatever the ordinary retention; supervisors see and filter it in the call log and
the exports; only a supervisor unmarks it, with a reason; every step audited."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from calls.desk import complaints
from calls.desk.models import CallHandling, Complaint
from calls.models import CallTicket
from calls.review import services, tasks
from gratisz.roles import Role

from .conftest import add_recording

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(make_user):
    return make_user(Role.AGENT, username="anna")


@pytest.fixture
def call(make_call, firm, anna):
    return make_call(firm, agent=anna)


def _mark(ticket, agent, subject="Késedelmes kárkifizetés"):
    return complaints.complaint_mark(handling=ticket.handling, by=agent, subject=subject)


def _age(ticket, *, days: int = 0, years: int = 0) -> None:
    started = timezone.now() - datetime.timedelta(days=days)
    if years:
        started = complaints._years_later(started, -years)
    CallTicket.objects.filter(pk=ticket.pk).update(started_at=started)
    ticket.refresh_from_db()


def _hu(text: str, **params) -> str:
    with translation.override("hu"):
        return translation.gettext(text) % params if params else translation.gettext(text)


# --- marking ----------------------------------------------------------------------------------


def test_agent_marks_the_call_from_the_call_screen(call, anna, login):
    client = login(anna)
    response = client.post(
        reverse("desk:complaint", args=[call.pk]), {"subject": "  Késedelmes   kárkifizetés "}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.ticket, complaint.subject, complaint.marked_by) == (
        call,
        "Késedelmes kárkifizetés",
        anna,
    )
    assert timezone.now() - complaint.marked_at < datetime.timedelta(minutes=1)
    page = client.get(reverse("desk:call", args=[call.pk])).content.decode()
    kept = complaints.complaint_kept_until(ticket=call)
    assert kept == timezone.localtime(call.started_at).date().replace(
        year=timezone.localtime(call.started_at).year + 5
    )
    assert _hu("kept until %(date)s (complaint)", date=kept.strftime("%Y. %m. %d.")) in page


def test_an_open_call_can_be_marked_during_the_call(firm, anna, login):
    ticket = CallTicket.objects.create(
        call_sid="CA-open-complaint",
        from_number="+36301234567",
        to_number="+3614623800",
        state=CallTicket.State.WITH_AGENT,
        menu="1",
        grid_entered=firm.grid,
        firm=firm,
        verified_at=timezone.now(),
    )
    CallHandling.objects.create(
        ticket=ticket, agent=anna, origin=CallHandling.Origin.QUEUE, taken_at=timezone.now()
    )
    client = login(anna)
    response = client.post(reverse("desk:complaint", args=[ticket.pk]), {"subject": "Udvariatlan"})
    assert response.status_code == 302
    assert Complaint.objects.get().ticket == ticket


def test_marking_needs_a_subject_and_happens_once(call, anna, login):
    client = login(anna)
    response = client.post(
        reverse("desk:complaint", args=[call.pk]), {"subject": "   "}, follow=True
    )
    assert not Complaint.objects.exists()
    assert _hu("Give the subject of the complaint in a few words.") in response.content.decode()
    _mark(call, anna)
    response = client.post(
        reverse("desk:complaint", args=[call.pk]), {"subject": "Másodszor"}, follow=True
    )
    assert Complaint.objects.count() == 1
    assert _hu("This call is already marked as a complaint.") in response.content.decode()


def test_only_the_calls_agent_marks_it(call, make_user, referent, login, client):
    url = reverse("desk:complaint", args=[call.pk])
    assert client.post(url, {"subject": "x"}).status_code == 302  # to the login page
    colleague = make_user(Role.AGENT)
    login(colleague)
    assert client.post(url, {"subject": "Panasz"}).status_code == 404
    client.logout()
    login(referent)
    assert client.post(url, {"subject": "Panasz"}).status_code == 403
    assert not Complaint.objects.exists()
    with pytest.raises(PermissionDenied):
        complaints.complaint_mark(handling=call.handling, by=colleague, subject="Panasz")


def test_a_get_does_not_mark(call, anna, login):
    client = login(anna)
    assert client.get(reverse("desk:complaint", args=[call.pk])).status_code == 405


# --- unmarking --------------------------------------------------------------------------------


def test_only_a_supervisor_unmarks_and_only_with_a_reason(call, anna, supervisor, login, client):
    _mark(call, anna)
    url = reverse("review:complaint-unmark", args=[call.pk])
    login(anna)
    assert client.post(url, {"reason": "Tévedés"}).status_code == 403
    with pytest.raises(PermissionDenied):
        complaints.complaint_unmark(ticket=call, by=anna, reason="Tévedés")
    client.logout()
    login(supervisor)
    client.post(url, {"reason": " "})
    assert Complaint.objects.get().in_force
    response = client.post(url, {"reason": "Nem panasz, csak kérdés"})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert not complaint.in_force
    assert (complaint.unmarked_by, complaint.unmark_reason) == (
        supervisor,
        "Nem panasz, csak kérdés",
    )
    page = client.get(reverse("review:call", args=[call.pk])).content.decode()
    assert "Nem panasz, csak kérdés" in page
    assert "(panasz)" not in page
    # Marked again later: a new mark, the old one stays as the trail.
    _mark(call, anna, subject="Mégis panasz")
    assert Complaint.objects.count() == 2


# --- retention --------------------------------------------------------------------------------


def test_purge_keeps_a_complaints_recording_five_years_then_deletes_it(
    make_call, firm, anna, settings, login, supervisor
):
    settings.RECORDING_RETENTION_DAYS = 365
    complained = make_call(firm, agent=anna)
    ordinary = make_call(firm, agent=anna)
    kept = add_recording(complained)
    gone = add_recording(ordinary)
    _mark(complained, anna)
    for ticket in (complained, ordinary):
        _age(ticket, years=4)

    assert services.recordings_purge() == [gone.pk]
    kept.stored_file.refresh_from_db()
    assert kept.stored_file.purged_at is None and kept.stored_file.file
    client = login(supervisor)
    assert client.get(reverse("review:audio", args=[kept.pk])).status_code == 200
    page = client.get(reverse("review:call", args=[complained.pk])).content.decode()
    kept_until = complaints.complaint_kept_until(ticket=complained)
    assert _hu("kept until %(date)s (complaint)", date=kept_until.strftime("%Y. %m. %d.")) in page

    # Five years and a day after the call: the law's period is over, the purge takes it.
    _age(complained, years=5, days=1)
    assert tasks.purge_recordings() == 1
    kept.stored_file.refresh_from_db()
    assert kept.stored_file.purged_at is not None
    assert client.get(reverse("review:audio", args=[kept.pk])).status_code == 404


def test_an_unmarked_complaint_follows_the_ordinary_retention(
    make_call, firm, anna, supervisor, settings
):
    settings.RECORDING_RETENTION_DAYS = 365
    ticket = make_call(firm, agent=anna)
    recording = add_recording(ticket)
    _mark(ticket, anna)
    _age(ticket, days=400)
    assert services.recordings_purge() == []
    complaints.complaint_unmark(ticket=ticket, by=supervisor, reason="Tévesen jelölve")
    assert services.recordings_purge() == [recording.pk]


# --- the call log and the exports -------------------------------------------------------------


def test_call_log_filters_and_flags_complaints(make_call, firm, anna, supervisor, login):
    complained = make_call(firm, agent=anna)
    make_call(firm, agent=anna)
    make_call(firm, agent=anna)
    _mark(complained, anna)
    client = login(supervisor)
    page = client.get(reverse("review:calls"), {"complaint": "on"})
    assert [r.ticket_id for r in page.context["page"].rows] == [complained.pk]
    assert 'class="flag warn complaint"' in page.content.decode()
    everything = client.get(reverse("review:calls"))
    assert len(everything.context["page"].rows) == 3
    assert everything.content.decode().count('class="flag warn complaint"') == 1


def test_call_log_page_queries_do_not_grow_with_complaints(
    make_call, firm, anna, supervisor, login, django_assert_max_num_queries
):
    calls = [make_call(firm, agent=anna) for _ in range(6)]
    for ticket in calls[:3]:
        _mark(ticket, anna)
    client = login(supervisor)
    client.get(reverse("review:calls"))
    with django_assert_max_num_queries(25):
        client.get(reverse("review:calls"))


def test_csv_export_has_a_complaint_column(make_call, firm, anna, supervisor, login):
    complained = make_call(firm, agent=anna)
    other = make_call(firm, agent=anna)
    _mark(complained, anna)
    client = login(supervisor)
    response = client.get(reverse("review:export-csv"), {"sep": "comma"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == _hu("Complaint")
    by_call = {int(r[0]): r[-1] for r in rows[1:]}
    assert by_call == {complained.pk: _hu("yes"), other.pk: _hu("no")}
    only = client.get(reverse("review:export-csv"), {"sep": "comma", "complaint": "on"})
    rows = list(csv.reader(io.StringIO(b"".join(only.streaming_content).decode("utf-8-sig"))))
    assert [int(r[0]) for r in rows[1:]] == [complained.pk]


def test_complaint_filter_is_for_supervisors_only(anna, login, client):
    login(anna)
    assert client.get(reverse("review:calls"), {"complaint": "on"}).status_code == 403
