"""CTI events from a PBX: a call's life reported over the API reaches the desk like an IVR call.

GrATISZ, not the PBX, decides the identification (the IVR's verifier, throttles and lock), and a
resent event changes nothing.
"""

import datetime
import logging

import pytest
from django.urls import reverse

from calls.desk.models import CallHandling
from calls.models import CallTicket, CtiEvent, VerificationAttempt
from gratisz.api.models import Scope
from partners.models import DirektCode
from tests.factories import PartnerFirmFactory, set_direkt_code

pytestmark = pytest.mark.django_db

URL = "/api/v1/cti/events/"
CODE = "8642"
T0 = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _no_back_off(settings):
    settings.DIREKT_THROTTLE_FACTOR = 0


@pytest.fixture
def firm(db):
    firm = PartnerFirmFactory(grid="112233445", name="Hívó Alkusz Kft.")
    set_direkt_code(firm, CODE, DirektCode.Role.STAFF)
    return firm


@pytest.fixture
def pbx(make_client):
    _integration, _token, http = make_client(Scope.CTI, name="asterisk")

    def send(event: str, call_id: str = "1732700000.17", seconds: int = 0, **fields):
        body = {
            "call_id": call_id,
            "event": event,
            "at": (T0 + datetime.timedelta(seconds=seconds)).isoformat(),
            **fields,
        }
        return http.post(URL, body, format="json")

    return send


def identify(pbx, firm, code=CODE, attempt=1, call_id="1732700000.17"):
    return pbx(
        "identified",
        call_id=call_id,
        seconds=20,
        menu="1",
        grid=firm.grid,
        direkt_code=code,
        attempt=attempt,
    )


def test_a_verified_pbx_call_waits_in_the_desk_queue_and_opens_on_the_answering_agent(
    pbx, firm, agent, login, client
):
    agent.extension = "201"
    agent.save()
    started = pbx("started", from_number="+36301112233", to_number="+3614567000")
    assert started.status_code == 200, started.json()
    assert started.json()["state"] == "in_ivr" and started.json()["attempts_left"] == 2

    answer = identify(pbx, firm).json()
    assert answer["result"] == "verified" and answer["state"] == "waiting"
    ticket = CallTicket.objects.get(pk=answer["ticket_id"])
    assert ticket.firm == firm and ticket.queue_name == "contracts"
    # The PBX's own call id, as it sent it; the source says that the call came through CTI.
    assert ticket.source == CallTicket.Source.PBX and ticket.call_sid == "1732700000.17"
    assert ticket.from_number == "+36301112233"

    login(agent)
    queue = client.get(reverse("desk:queue")).content.decode()
    assert "Hívó Alkusz Kft." in queue and "+36301112233" in queue

    answered = pbx("answered", seconds=45, extension="201").json()
    assert answered["state"] == "with_agent" and answered["result"] == f"agent {agent.username}"
    handling = CallHandling.objects.get(ticket=ticket)
    assert handling.agent == agent
    assert client.get(reverse("desk:call", args=[ticket.pk])).status_code == 200

    ended = pbx("ended", seconds=200).json()
    ticket.refresh_from_db()
    assert ended["state"] == ticket.state == "completed"
    assert ticket.duration_seconds == 200  # from the PBX's own start and end times
    # The agent still closes the call on the desk: the handling stays open for the notes.
    handling.refresh_from_db()
    assert handling.closed_at is None


def test_every_event_is_applied_once_however_often_it_is_sent(pbx, firm):
    first = pbx("started", from_number="+36301112233").json()
    again = pbx("started", from_number="+36301112233").json()
    assert again["repeated"] and again["ticket_id"] == first["ticket_id"]

    wrong = identify(pbx, firm, code="9753").json()
    resent = identify(pbx, firm, code="9753").json()
    assert wrong["result"] == resent["result"] == "failed" and resent["repeated"]
    ticket = CallTicket.objects.get(pk=first["ticket_id"])
    # The resent attempt neither counted a second failure nor checked the code again.
    assert ticket.failed_verifications == 1
    assert VerificationAttempt.objects.filter(ticket=ticket).count() == 1
    assert CtiEvent.objects.filter(ticket=ticket).count() == 2

    pbx("ended", seconds=30)
    ended_at = CallTicket.objects.get(pk=ticket.pk).ended_at
    assert pbx("ended", seconds=90).json()["repeated"]
    assert CallTicket.objects.get(pk=ticket.pk).ended_at == ended_at


def test_two_failed_identifications_end_the_callers_chances(pbx, firm):
    pbx("started")
    first = identify(pbx, firm, code="9753").json()
    assert first["result"] == "failed" and first["attempts_left"] == 1
    second = identify(pbx, firm, code="9753", attempt=2).json()
    assert second["result"] == "failed" and second["attempts_left"] == 0
    assert second["state"] == "failed_verification"
    outcomes = VerificationAttempt.objects.values_list("outcome", flat=True)
    assert list(outcomes) == ["wrong_code", "wrong_code"]

    # Even the right code is refused now: the call is past identification.
    late = identify(pbx, firm, attempt=2, call_id="1732700000.17")
    assert late.json()["repeated"]  # attempt 2 was answered already
    refused = pbx("identified", menu="1", grid=firm.grid, direkt_code=CODE, attempt=1)
    assert refused.json()["repeated"]
    assert CallTicket.objects.get().firm is None
    assert pbx("ended", seconds=60).json()["state"] == "failed_verification"


def test_identification_out_of_turn_or_after_success_is_a_conflict(pbx, firm):
    pbx("started")
    skipped = identify(pbx, firm, attempt=2)
    assert skipped.status_code == 409
    assert skipped.json()["code"] == "attempt_out_of_turn"
    assert skipped.json()["details"] == {"expected_attempt": 1}
    assert identify(pbx, firm).json()["result"] == "verified"
    other_call = "1732700000.99"
    pbx("started", call_id=other_call)
    pbx("ended", call_id=other_call, seconds=5)
    after_end = identify(pbx, firm, call_id=other_call)
    assert after_end.status_code == 409
    assert after_end.json()["code"] == "call_not_identifying"
    assert CallTicket.objects.filter(source=CallTicket.Source.PBX, call_sid=other_call).exists()
    assert not VerificationAttempt.objects.filter(
        ticket__source=CallTicket.Source.PBX, ticket__call_sid=other_call
    ).exists()


def test_a_locked_grid_refuses_the_right_code_over_cti_too(pbx, firm, settings):
    settings.DIREKT_LOCK_AFTER_FAILURES = 2
    for n, call_id in enumerate(["a.1", "a.2"]):
        pbx("started", call_id=call_id, from_number=f"+3630111000{n}")
        identify(pbx, firm, code="9753", call_id=call_id)
    pbx("started", call_id="a.3", from_number="+36301110009")
    answer = identify(pbx, firm, call_id="a.3").json()
    assert answer["result"] == "failed"
    attempt = VerificationAttempt.objects.get(ticket__source="pbx", ticket__call_sid="a.3")
    assert attempt.outcome == "locked"


def test_an_unknown_extension_leaves_the_call_in_the_queue_for_any_agent(pbx, firm, agent):
    agent.extension = "201"
    agent.save()
    pbx("started")
    identify(pbx, firm)
    answer = pbx("answered", extension="999").json()
    assert answer["state"] == "waiting" and answer["result"] == "no agent with this extension"
    assert not CallHandling.objects.exists()


def test_an_extension_of_a_user_who_is_no_agent_opens_nothing(pbx, firm, referent):
    referent.extension = "301"
    referent.save()
    pbx("started")
    identify(pbx, firm)
    assert pbx("answered", extension="301").json()["state"] == "waiting"
    assert not CallHandling.objects.exists()


def test_a_caller_who_hangs_up_in_the_queue_is_abandoned(pbx, firm):
    pbx("started")
    identify(pbx, firm)
    assert pbx("ended", seconds=90).json()["state"] == "abandoned"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"event": "identified", "menu": "1", "grid": "112233445"}, "direkt_code"),
        ({"event": "identified", "menu": "3", "grid": "112233445", "direkt_code": CODE}, "menu"),
        ({"event": "answered"}, "extension"),
        ({"event": "hold"}, "event"),
        ({"event": "started", "call_id": "no spaces please"}, "call_id"),
        ({"event": "started", "at": "yesterday"}, "at"),
    ],
)
def test_invalid_events_are_refused_with_the_field_named(make_client, fields, field):
    _i, _t, http = make_client(Scope.CTI)
    body = {"call_id": "x.1", "event": "started", "at": T0.isoformat(), **fields}
    answer = http.post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and field in answer.json()["details"]
    assert not CallTicket.objects.exists()


def test_the_direkt_code_is_neither_stored_nor_logged(pbx, firm, caplog):
    caplog.set_level(logging.DEBUG)
    pbx("started")
    identify(pbx, firm)
    assert CODE not in caplog.text
    ticket = CallTicket.objects.get()
    stored = [
        *CtiEvent.objects.values_list("result", "extension"),
        *VerificationAttempt.objects.values_list("grid_entered", "role", "outcome"),
        (ticket.from_number, ticket.grid_entered, ticket.pending_code_hash),
    ]
    assert not any(CODE in str(value) for row in stored for value in row)


def test_cti_calls_count_in_the_throttles_of_the_calling_number(pbx, firm, settings):
    settings.DIREKT_THROTTLE_FACTOR = 1  # the IVR's back-off after failures
    pbx("started", from_number="+36305550000")
    identify(pbx, firm, code="9753")
    answer = identify(pbx, firm, attempt=2).json()
    # Right code, but inside the back-off the first failure earned: refused like on the IVR.
    assert answer["result"] == "failed"
    outcome = VerificationAttempt.objects.get(number=2).outcome
    assert outcome == "throttled", outcome


def test_supervisors_read_a_pbx_calls_events_in_the_back_office(
    pbx, firm, supervisor, agent, login, client
):
    pbx("started", from_number="+36301112233")
    identify(pbx, firm)
    url = reverse("admin:calls_callticket_change", args=[CallTicket.objects.get().pk])
    login(agent)
    assert client.get(url).status_code == 302  # agents have no back office
    client.logout()
    login(supervisor)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "CTI" in text and "verified" in text and CODE not in text
