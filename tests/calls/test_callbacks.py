"""Callbacks of promises dialled through the telephony provider: the REST call (a faithful fake
Twilio on loopback), the status, dial and recording callbacks (signed like Twilio's, played by
the fake provider), the verification of the broker, the outcomes and who may call back."""

import datetime
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from calls.desk import callbacks
from calls.desk.models import CallbackAttempt, CallHandling, DeskRequest
from calls.models import CallRecording, CallTicket, SpecialDay, VerificationAttempt
from tests.calls.conftest import STAFF_CODE, TWILIO_ACCOUNT_SID
from tests.factories import PartnerFirmFactory, set_direkt_code

from .fake_provider import ClientTransport, FakeProvider
from .fake_twilio_api import FakeTwilioAPI

pytestmark = pytest.mark.django_db

SIP_DOMAIN = "gratisz-agents.sip.twilio.com"
BROKER = "+36301112222"
Outcome = CallbackAttempt.Outcome
NOTICE = (
    "Kedves Partnerünk! A Groupama Biztosító alkuszi telefonos információs szolgálatától "
    "hívjuk vissza, ahogy ígértük. Tájékoztatjuk, hogy a beszélgetés adatvédelmi okokból "
    "rögzítésre kerül. Kollégánkat most kapcsoljuk."
)


@pytest.fixture
def twilio(settings):
    api = FakeTwilioAPI(TWILIO_ACCOUNT_SID, settings.TELEPHONY_AUTH_TOKEN).start()
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.twilio.TwilioBackend"
    settings.TELEPHONY_ACCOUNT_SID = TWILIO_ACCOUNT_SID
    settings.TELEPHONY_API_BASE_URL = api.url
    settings.TELEPHONY_SIP_DOMAIN = SIP_DOMAIN
    settings.TELEPHONY_TIMEOUT = 5
    settings.TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH = False
    yield api
    api.stop()


@pytest.fixture
def provider():
    return FakeProvider(ClientTransport(Client()), status_path=None)


@pytest.fixture
def promise(firm, desk_agent, waiting_call):
    """A closed call of the firm on which ``desk_agent`` promised to call back in two hours."""

    def make(agent=None, *, due_in=datetime.timedelta(hours=2), contact=BROKER) -> DeskRequest:
        ticket = waiting_call()
        now = timezone.now()
        ticket.state = CallTicket.State.COMPLETED
        ticket.ended_at = now
        ticket.save()
        handling = CallHandling.objects.create(
            ticket=ticket,
            agent=agent or desk_agent,
            origin=CallHandling.Origin.QUEUE,
            taken_at=now,
            closed_at=now,
            outcome=CallHandling.Outcome.CALLBACK,
        )
        return DeskRequest.objects.create(
            handling=handling,
            kind=DeskRequest.Kind.CALLBACK,
            due_at=now + due_in,
            contact=contact,
            subject="Zöldkártya",
            created_at=now,
        )

    return make


def call_back(client, promise, **data):
    data = {"choice": BROKER, **data}
    return client.post(reverse("desk:callback-new", args=[promise.pk]), data)


def placed(twilio, provider):
    [created] = twilio.created
    return created, provider.place(created)


def test_the_whole_callback_is_dialled_recorded_verified_and_keeps_the_promise(
    client,
    login,
    desk_agent,
    promise,
    line_open,
    twilio,
    provider,
    firm,
    django_capture_on_commit_callbacks,
):
    kept = promise()
    login(desk_agent)
    page = client.get(reverse("desk:callback-new", args=[kept.pk])).content.decode()
    assert BROKER in page and "Visszahívás" in page

    response = call_back(client, kept)
    attempt = CallbackAttempt.objects.get()
    assert response["Location"] == reverse("desk:callback", args=[attempt.pk])
    created, call = placed(twilio, provider)
    # The provider rings the agent's phone first, showing the line's number.
    assert created["To"] == f"sip:{desk_agent.extension}@{SIP_DOMAIN}"
    assert created["From"] == "+3614623800"
    base = f"https://gratisz.example.hu/ivr/callback/status/?t={attempt.ticket_id}"
    assert created["StatusCallback"] == base
    assert set(created["StatusCallbackEvent"]) == {"initiated", "ringing", "answered", "completed"}
    ticket = attempt.ticket
    ticket.refresh_from_db()
    assert ticket.source == CallTicket.Source.CALLBACK
    assert ticket.call_sid == created["call_sid"] and ticket.from_number == BROKER
    assert attempt.promise == kept and attempt.number_source == "promise"

    # The agent answers: the provider rings the broker, recording from the answer.
    call.answer(created["Twiml"])
    assert call.state == "dialing" and call.dialed == [BROKER]
    assert call.dial["record"] == "record-from-answer-dual"
    page = client.get(reverse("desk:callback-state", args=[attempt.pk])).content.decode()
    assert "tárcsázás" in page

    # The broker answers and hears the recording notice before anything else.
    call.callee_answers()
    assert call.callee_heard == [NOTICE]
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.REACHED and attempt.answered_at is not None
    page = client.get(reverse("desk:callback-state", args=[attempt.pk])).content.decode()
    assert "GRID" in page and "Direkt kód" in page
    # No data before the verification: the call screen does not exist yet.
    assert client.get(reverse("desk:call", args=[ticket.pk])).status_code == 404

    response = client.post(
        reverse("desk:callback-verify", args=[attempt.pk]),
        {"grid": firm.grid, "code": STAFF_CODE},
    )
    assert response["Location"] == reverse("desk:call", args=[ticket.pk])
    kept.refresh_from_db()
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.KEPT
    assert kept.done_at == attempt.answered_at and kept.done_by == desk_agent
    handling = CallHandling.objects.get(ticket=ticket)
    assert handling.origin == CallHandling.Origin.CALLBACK
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert firm.name in page
    # The call screen says which promise this call keeps: its subject, who made it and when.
    note = page.split('id="kept-promise"')[1].split("</p>")[0]
    made = timezone.localtime(kept.handling.ticket.started_at).strftime("%Y. %m. %d. %H:%M")
    assert "Zöldkártya" in note and str(desk_agent) in note and made in note

    # They talk; the broker hangs up; the recording reaches the supervisors.
    twilio.recordings["RE" + "5" * 32] = b"ID3" + b"\x00" * 400
    call.dial_ends("completed", duration=95)
    assert call.state == "ended"
    ticket.refresh_from_db()
    assert ticket.ended_at is not None and ticket.provider_status == "completed"
    with django_capture_on_commit_callbacks(execute=True):  # the download is queued
        assert call.recording_completed("RE" + "5" * 32).status == 204
    recording = CallRecording.objects.get()
    assert recording.ticket == ticket
    assert recording.stored_file.size == 403


@pytest.mark.parametrize(
    ("dial_status", "outcome"),
    [("no-answer", Outcome.NO_ANSWER), ("busy", Outcome.BUSY), ("failed", Outcome.WRONG_NUMBER)],
)
def test_a_broker_not_reached_keeps_the_promise_open_with_the_attempt_and_a_next_try(
    client, login, desk_agent, promise, line_open, twilio, provider, dial_status, outcome
):
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    created, call = placed(twilio, provider)
    call.answer(created["Twiml"]).dial_ends(dial_status)
    attempt = CallbackAttempt.objects.get()
    assert attempt.outcome == outcome and attempt.counts_against_broker
    assert attempt.ended_at is not None
    # The next try is proposed DESK_CALLBACK_RETRY_MINUTES of opening hours later (the test
    # days close a second before midnight, so a run at midnight may add that second).
    later = attempt.next_try_at - attempt.ended_at
    assert datetime.timedelta(minutes=30) <= later <= datetime.timedelta(minutes=30, seconds=1)
    kept.refresh_from_db()
    assert kept.done_at is None
    home = client.get(reverse("desk:home")).content.decode()
    assert "1 kísérlet" in home
    page = client.get(reverse("desk:callback-state", args=[attempt.pk])).content.decode()
    assert "A vállalás nyitva marad" in page
    # The agent is free for the next callback.
    call_back(client, kept)
    assert CallbackAttempt.objects.count() == 2


def test_the_agents_phone_not_answering_counts_nothing_against_the_broker(
    client, login, desk_agent, promise, line_open, twilio, provider
):
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    _created, call = placed(twilio, provider)
    call.unanswered("no-answer")
    attempt = CallbackAttempt.objects.get()
    assert attempt.outcome == Outcome.AGENT_NO_ANSWER
    assert not attempt.counts_against_broker and attempt.next_try_at is None
    assert attempt.ticket.state == CallTicket.State.ABANDONED
    stats = callbacks.callback_stats(
        start=timezone.now() - datetime.timedelta(days=1),
        end=timezone.now() + datetime.timedelta(days=1),
    )
    assert (stats.due, stats.promises_tried, stats.attempts) == (1, 0, 0)


def test_the_broker_is_verified_as_on_an_inbound_call_twice_at_most(
    client, login, desk_agent, promise, line_open, twilio, provider, firm
):
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    created, call = placed(twilio, provider)
    call.answer(created["Twiml"]).callee_answers()
    attempt = CallbackAttempt.objects.get()
    url = reverse("desk:callback-verify", args=[attempt.pk])
    page = client.post(url, {"grid": firm.grid, "code": "0000"}).content.decode()
    assert "A GRID és a Direkt kód nem egyezik" in page
    client.post(url, {"grid": firm.grid, "code": "0001"})
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.NOT_VERIFIED
    assert attempt.ticket.state == CallTicket.State.FAILED_VERIFICATION
    assert VerificationAttempt.objects.filter(ticket=attempt.ticket).count() == 2
    # The failures count on the GRID as on the phone line; no third try, no data, no promise.
    assert client.post(url, {"grid": firm.grid, "code": STAFF_CODE}).status_code == 200
    assert not CallHandling.objects.filter(ticket=attempt.ticket).exists()
    kept.refresh_from_db()
    assert kept.done_at is None


def test_the_codes_of_another_firm_open_nothing(
    client, login, desk_agent, promise, line_open, twilio, provider
):
    other = PartnerFirmFactory(grid="987654321")
    set_direkt_code(other, "4725")
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    created, call = placed(twilio, provider)
    call.answer(created["Twiml"]).callee_answers()
    attempt = CallbackAttempt.objects.get()
    page = client.post(
        reverse("desk:callback-verify", args=[attempt.pk]), {"grid": other.grid, "code": "4725"}
    ).content.decode()
    assert "nem annak a partnercégnek" in page
    assert not CallHandling.objects.filter(ticket=attempt.ticket).exists()


def test_a_typed_number_is_read_back_before_it_is_dialled_and_kept_as_typed(
    client, login, desk_agent, promise, line_open, twilio, caplog
):
    kept = promise()
    login(desk_agent)
    page = call_back(client, kept, choice="other", other="06 20 555 1234").content.decode()
    assert "+36205551234" in page and "Olvassa vissza" in page
    assert twilio.created == [] and not CallbackAttempt.objects.exists()
    response = call_back(client, kept, choice="other", other="+36205551234", confirmed="True")
    assert response.status_code == 302
    attempt = CallbackAttempt.objects.get()
    assert attempt.number == "+36205551234" and attempt.number_source == "typed"
    assert "typed by hand" in caplog.text
    [created] = twilio.created
    dial = ElementTree.fromstring(created["Twiml"]).find("Dial")  # noqa: S314
    assert [n.text for n in dial] == ["+36205551234"]


def test_a_number_the_firm_verified_itself_from_is_on_file(
    client, login, desk_agent, promise, line_open, twilio, waiting_call
):
    kept = promise()
    earlier = waiting_call()
    CallTicket.objects.filter(pk=earlier.pk).update(from_number="+36702223333")
    login(desk_agent)
    page = client.get(reverse("desk:callback-new", args=[kept.pk])).content.decode()
    assert "+36702223333" in page
    call_back(client, kept, choice="+36702223333")
    assert CallbackAttempt.objects.get().number_source == "firm"


def test_callbacks_are_not_dialled_outside_opening_hours(
    client, login, desk_agent, promise, twilio
):
    SpecialDay.objects.update_or_create(date=timezone.localdate(), defaults={"is_open": False})
    kept = promise()
    login(desk_agent)
    page = call_back(client, kept).content.decode()
    assert "csak munkaidőben" in page
    assert twilio.created == [] and not CallbackAttempt.objects.exists()


def test_refusals_say_why_and_dial_nothing(client, login, desk_agent, promise, line_open, twilio):
    kept = promise()
    login(desk_agent)
    page = call_back(client, kept, choice="other", other="nem szám").content.decode()
    assert "nem hívható telefonszám" in page
    twilio.fail_next = [503]
    page = call_back(client, kept).content.decode()
    assert "nem indította el a hívást" in page
    attempt = CallbackAttempt.objects.get()
    assert attempt.outcome == Outcome.NOT_SENT and not attempt.counts_against_broker
    desk_agent.extension = ""
    desk_agent.save()
    page = call_back(client, kept).content.decode()
    assert "nincs beállított telefonmelléke" in page
    assert len(twilio.created) == 0


def test_one_callback_at_a_time_and_none_during_a_call(
    client, login, desk_agent, promise, line_open, twilio, waiting_call
):
    first, second = promise(), promise()
    login(desk_agent)
    call_back(client, first)
    page = call_back(client, second).content.decode()
    assert "folyamatban van" in page
    assert CallbackAttempt.objects.count() == 1
    attempt = CallbackAttempt.objects.get()
    client.post(reverse("desk:callback-finish", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.CANCELED and attempt.ended_at is not None
    ticket = waiting_call()
    CallHandling.objects.create(
        ticket=ticket, agent=desk_agent, origin=CallHandling.Origin.QUEUE, taken_at=timezone.now()
    )
    page = call_back(client, second).content.decode()
    assert "zárja le a folyamatban lévő hívását" in page


# --- who may call back ------------------------------------------------------------------------


def test_anonymous_and_users_without_the_desk_are_refused(client, login, promise, make_user):
    kept = promise()
    url = reverse("desk:callback-new", args=[kept.pk])
    assert client.get(url).status_code == 302  # to the login
    login(make_user("referent"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"choice": BROKER}).status_code == 403
    assert not CallbackAttempt.objects.exists()


def test_a_colleagues_promise_is_called_back_only_once_overdue_and_then_taken_over(
    client, login, promise, make_user, line_open, twilio
):
    mine_not = promise()
    overdue = promise(due_in=datetime.timedelta(seconds=1))
    DeskRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    colleague = make_user("agent", username="kolléga")
    login(colleague)
    assert client.get(reverse("desk:callback-new", args=[mine_not.pk])).status_code == 404
    assert call_back(client, mine_not).status_code == 404
    response = call_back(client, overdue)
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.assignee == colleague


def test_only_open_callback_promises_can_be_called_back(client, login, desk_agent, promise):
    written = promise()
    DeskRequest.objects.filter(pk=written.pk).update(kind=DeskRequest.Kind.WRITTEN_ANSWER)
    done = promise()
    DeskRequest.objects.filter(pk=done.pk).update(done_at=timezone.now())
    login(desk_agent)
    for p in (written, done):
        assert client.get(reverse("desk:callback-new", args=[p.pk])).status_code == 404


def test_an_agent_sees_only_their_own_callbacks(
    client, login, desk_agent, promise, line_open, twilio, make_user
):
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    attempt = CallbackAttempt.objects.get()
    other = Client()
    login(make_user("agent", username="masik"), other)
    for name in ("desk:callback", "desk:callback-state"):
        assert other.get(reverse(name, args=[attempt.pk])).status_code == 404
    for name in ("desk:callback-verify", "desk:callback-finish"):
        assert other.post(reverse(name, args=[attempt.pk]), {}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.ended_at is None


def test_the_callback_webhooks_answer_only_the_providers_signature(
    client, desk_agent, promise, line_open, twilio, provider
):
    kept = promise()
    attempt = callbacks.callback_start(agent=desk_agent, promise=kept, number=BROKER)
    for name in ("callback-answered", "callback-dial-result", "callback-status"):
        url = f"{reverse(name)}?t={attempt.ticket_id}"
        params = {"CallSid": attempt.ticket.call_sid, "DialCallStatus": "busy"}
        response = client.post(url, params, HTTP_X_TWILIO_SIGNATURE="forged")
        assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.DIALLING


# --- supervisors ------------------------------------------------------------------------------


def test_supervisors_see_callbacks_in_the_log_the_timeline_and_the_reports(
    client, login, desk_agent, promise, line_open, twilio, provider, supervisor, firm
):
    kept = promise()
    attempt = callbacks.callback_start(agent=desk_agent, promise=kept, number=BROKER)
    created, call = placed(twilio, provider)
    call.answer(created["Twiml"]).callee_answers()
    attempt.refresh_from_db()
    callbacks.callback_verify(attempt=attempt, grid=firm.grid, code=STAFF_CODE)
    from calls.review.services import call_log_sync

    call_log_sync()
    login(supervisor)
    log = client.get(reverse("review:calls"), {"source": "callback"}).content.decode()
    assert f'href="{attempt.ticket_id}/"' in log
    assert f'href="{kept.handling.ticket_id}/"' not in log
    timeline = client.get(reverse("review:call", args=[kept.handling.ticket_id])).content.decode()
    assert "vállalás visszahívása" in timeline
    own = client.get(reverse("review:call", args=[attempt.ticket_id])).content.decode()
    assert f"eredeti hívás #{kept.handling.ticket_id}" in own
    reports = client.get(reverse("review:reports")).content.decode()
    assert 'id="callback-stats"' in reports
    with translation.override("hu"):
        stats = callbacks.callback_stats(
            start=timezone.now() - datetime.timedelta(days=1),
            end=timezone.now() + datetime.timedelta(days=1),
        )
    assert (stats.due, stats.kept_by_call_on_time, stats.percent_on_time) == (1, 1, 100)
    assert stats.attempts_per_promise == "1,0"


def test_a_callback_never_reported_frees_the_agent_after_a_while(
    client, login, desk_agent, promise, line_open, twilio, settings
):
    first, second = promise(), promise()
    login(desk_agent)
    call_back(client, first)
    stale = CallbackAttempt.objects.get()
    CallbackAttempt.objects.filter(pk=stale.pk).update(
        started_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    assert call_back(client, second).status_code == 302
    stale.refresh_from_db()
    assert stale.outcome == Outcome.CANCELED and not stale.counts_against_broker
    assert stale.ticket.ended_at is not None
    assert stale.ticket.state == CallTicket.State.ABANDONED


# --- the demo backend and the demo phone ---------------------------------------------------


@pytest.fixture
def demo_backend(settings, tmp_path):
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
    settings.TELEPHONY_DEMO_FILE_PATH = tmp_path
    settings.TELEPHONY_SIP_DOMAIN = "desk.demo.invalid"
    settings.DEMO_PHONE_ENABLED = True
    return tmp_path


def test_the_demo_phone_rings_with_the_callback_and_answers_as_the_broker(
    client, login, desk_agent, promise, line_open, demo_backend
):
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    ringing = client.get(reverse("demo-phone-callbacks")).json()["callbacks"]
    assert [c["number"] for c in ringing] == [BROKER]
    act = reverse("demo-phone-callback-act")
    answer = client.post(act, {"sid": ringing[0]["sid"], "action": "answer"}).json()
    assert answer["said"] == [NOTICE]
    assert answer["outcome"] == "a partner felvette"
    assert client.post(act, {"sid": ringing[0]["sid"], "action": "hangup"}).status_code == 200
    assert client.get(reverse("demo-phone-callbacks")).json()["callbacks"] == []
    attempt = CallbackAttempt.objects.get()
    assert attempt.ticket.ended_at is not None and attempt.ticket.duration_seconds == 60
    # A callback no longer ringing is refused, not a 500.
    assert client.post(act, {"sid": ringing[0]["sid"], "action": "busy"}).status_code == 409


def test_the_demo_phones_callbacks_need_the_demo_phone(
    client, login, make_user, desk_agent, promise, line_open, demo_backend, settings
):
    kept = promise()
    callbacks.callback_start(agent=desk_agent, promise=kept, number=BROKER)
    url, act = reverse("demo-phone-callbacks"), reverse("demo-phone-callback-act")
    assert client.get(url).status_code == 302
    login(make_user("referent"))
    assert client.get(url).status_code == 403
    assert client.post(act, {"sid": "x", "action": "answer"}).status_code == 403
    settings.DEMO_PHONE_ENABLED = False
    assert client.get(url).status_code == 404
    attempt = CallbackAttempt.objects.get()
    assert attempt.outcome == Outcome.DIALLING


def test_a_broker_who_hung_up_cannot_be_verified_afterwards(
    client, login, desk_agent, promise, line_open, twilio, provider, firm
):
    kept = promise()
    login(desk_agent)
    call_back(client, kept)
    created, call = placed(twilio, provider)
    call.answer(created["Twiml"]).callee_answers().dial_ends("completed", duration=5)
    attempt = CallbackAttempt.objects.get()
    page = client.post(
        reverse("desk:callback-verify", args=[attempt.pk]),
        {"grid": firm.grid, "code": STAFF_CODE},
    ).content.decode()
    assert "nincs vonalban" in page
    assert not CallHandling.objects.filter(ticket=attempt.ticket).exists()
    kept.refresh_from_db()
    assert kept.done_at is None
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.REACHED and attempt.ended_at is not None
