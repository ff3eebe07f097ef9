"""Audit records are append-only for everyone, superusers included.

The admin shows them and offers no add, change or delete; the models refuse to save a stored
row again or to delete one, whatever code path tries.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.desk.models import CallHandling, Disclosure
from calls.models import CallRecording, CallTicket, CtiEvent, IvrStep, VerificationAttempt
from calls.review.models import PlaybackEvent
from partners.audit import AppendOnlyError
from partners.models import DirektLockEvent, FirmAuditEntry
from tests.factories import PartnerFirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(make_user):
    """One row of each audit record, as the services leave them."""
    agent = make_user("agent")
    firm = PartnerFirmFactory(grid="123456789")
    ticket = CallTicket.objects.create(
        call_sid="CA-audit", firm=firm, from_number="+3630", verified_at=timezone.now()
    )
    recording = CallRecording.objects.create(ticket=ticket, recording_sid="RE-audit")
    now = timezone.now()
    return {
        "disclosure": Disclosure.objects.create(
            agent=agent, ticket=ticket, firm=firm, record_type="contract", record_ref="X", at=now
        ),
        "firmauditentry": FirmAuditEntry.objects.create(
            firm=firm, action=FirmAuditEntry.Action.GRID_UNLOCKED, by=agent
        ),
        "direktlockevent": DirektLockEvent.objects.create(
            grid=firm.grid, firm=firm, kind=DirektLockEvent.Kind.LOCKED, at=now
        ),
        "verificationattempt": VerificationAttempt.objects.create(
            ticket=ticket, number=1, menu="1", role="staff", outcome="verified"
        ),
        "ivrstep": IvrStep.objects.create(ticket=ticket, number=1, event="welcome", twiml="<x/>"),
        "playbackevent": PlaybackEvent.objects.create(recording=recording, user=agent, at=now),
        "callhandling": CallHandling.objects.create(
            ticket=ticket, agent=agent, origin="queue", taken_at=now
        ),
        "callticket": ticket,
    }


ADMIN_PAGES = {
    "disclosure": "desk_disclosure",
    "firmauditentry": "partners_firmauditentry",
    "direktlockevent": "partners_direktlockevent",
    "playbackevent": "review_playbackevent",
    "callhandling": "desk_callhandling",
    "callticket": "calls_callticket",
}


@pytest.fixture(params=["administrator", "superuser"])
def admin_client(request, client, login, make_user):
    user = make_user("administrator")
    if request.param == "superuser":
        user.is_superuser = True
        user.save()
    login(user)
    return client


@pytest.mark.parametrize("name", sorted(ADMIN_PAGES))
def test_the_admin_shows_audit_records_and_never_adds_changes_or_deletes(
    admin_client, records, name
):
    page, row = ADMIN_PAGES[name], records[name]
    model = type(row)
    before = model.objects.count()
    assert admin_client.get(reverse(f"admin:{page}_changelist")).status_code == 200
    change = admin_client.get(reverse(f"admin:{page}_change", args=[row.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert admin_client.get(reverse(f"admin:{page}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:{page}_add"), {}).status_code == 403
    assert admin_client.post(reverse(f"admin:{page}_change", args=[row.pk]), {}).status_code == 403
    delete = reverse(f"admin:{page}_delete", args=[row.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        reverse(f"admin:{page}_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert model.objects.count() == before


def test_an_administrator_cannot_add_a_disclosure_for_an_agent(admin_client, records):
    """The penetration test's case: a disclosure record for any agent at any date."""
    row = records["disclosure"]
    response = admin_client.post(
        reverse("admin:desk_disclosure_add"),
        {
            "agent": row.agent_id,
            "ticket": row.ticket_id,
            "firm": row.firm_id,
            "record_type": "claim",
            "record_ref": "forged",
            "at_0": "2026-01-01",
            "at_1": "10:00:00",
        },
    )
    assert response.status_code == 403
    assert not Disclosure.objects.filter(record_ref="forged").exists()


@pytest.mark.parametrize(
    "page", ["review_scorecard", "review_recordinghold", "api_outgoingevent", "api_webhookdelivery"]
)
def test_other_logs_are_written_by_their_services_only(admin_client, page):
    assert admin_client.get(reverse(f"admin:{page}_add")).status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "disclosure",
        "firmauditentry",
        "direktlockevent",
        "verificationattempt",
        "ivrstep",
        "playbackevent",
    ],
)
def test_a_stored_audit_record_is_never_saved_again_nor_deleted(records, name):
    row = records[name]
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert type(row).objects.filter(pk=row.pk).exists()


def test_cti_and_print_batch_events_are_append_only_too():
    from certificates.models import PrintBatchEvent
    from partners.audit import AppendOnly

    assert issubclass(CtiEvent, AppendOnly) and issubclass(PrintBatchEvent, AppendOnly)
