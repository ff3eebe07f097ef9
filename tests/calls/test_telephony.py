"""Taking a call on the desk puts the queued caller through to the agent's phone, through the
telephony provider's REST API (a faithful fake Twilio on loopback) or the demo backend."""

import datetime
import json
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from calls import push
from calls.desk import connection as desk_connection
from calls.desk import selectors, services
from calls.desk.models import CallHandling
from calls.desk.tasks import connect_call_task, sweep_connections
from calls.models import CallTicket
from calls.telephony.backends.twilio import TwilioBackend
from calls.telephony.connection import ConnectResult
from calls.telephony.errors import TelephonyNotConfigured
from gratisz import checks
from tests.calls.conftest import STAFF_CODE, TWILIO_ACCOUNT_SID, texts

from . import fake_provider
from .fake_twilio_api import FakeTwilioAPI

pytestmark = pytest.mark.django_db

SIP_DOMAIN = "gratisz-agents.sip.twilio.com"
Connection = CallHandling.Connection
ONE_MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def twilio(settings):
    api = FakeTwilioAPI(TWILIO_ACCOUNT_SID, settings.TELEPHONY_AUTH_TOKEN).start()
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.twilio.TwilioBackend"
    settings.TELEPHONY_ACCOUNT_SID = TWILIO_ACCOUNT_SID
    settings.TELEPHONY_API_BASE_URL = api.url
    settings.TELEPHONY_SIP_DOMAIN = SIP_DOMAIN
    settings.TELEPHONY_TIMEOUT = 5
    yield api
    api.stop()


def take(client, ticket, callbacks):
    with callbacks(execute=True):
        return client.post(reverse("desk:take", args=[ticket.pk]))


def test_taking_a_call_redirects_it_once_to_the_agents_sip_phone(
    client, login, desk_agent, waiting_call, twilio, django_capture_on_commit_callbacks
):
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    login(desk_agent)
    response = take(client, ticket, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:call", args=[ticket.pk])
    [redirect] = twilio.redirects
    assert redirect["call_sid"] == ticket.call_sid
    dial = ElementTree.fromstring(redirect["Twiml"]).find("Dial")  # noqa: S314 (our own TwiML)
    assert dial.get("answerOnBridge") == "true"
    assert [sip.text for sip in dial] == [f"sip:201@{SIP_DOMAIN}"]
    # The phone rings TELEPHONY_DIAL_TIMEOUT seconds, then the provider asks what next.
    assert dial.get("timeout") == "20"
    assert dial.get("action") == "https://gratisz.example.hu/ivr/dial-result/"
    handling = CallHandling.objects.get(ticket=ticket)
    assert handling.connect_state == Connection.CONNECTED
    assert handling.connect_attempts == 1 and handling.connected_at is not None
    # A redelivered task changes nothing and asks the provider nothing.
    assert connect_call_task.delay(handling.pk).get() == Connection.CONNECTED
    assert twilio.requests == 1
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert "A hívó az Ön telefonjára van kapcsolva (201 mellék)." in page
    # Still watched: the agent's phone may not answer, and the caller then waits again.
    assert 'data-poll="' + reverse("desk:connection", args=[ticket.pk]) in page


def test_a_provider_that_is_down_is_tried_again_then_connects(
    desk_agent, waiting_call, twilio, django_capture_on_commit_callbacks
):
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    twilio.fail_next = [503, 500]
    with django_capture_on_commit_callbacks(execute=True):
        handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED
    assert handling.connect_attempts == 3
    assert twilio.requests == 3 and len(twilio.redirects) == 1


def test_a_provider_down_for_good_shows_the_failure_after_the_last_try(
    settings, desk_agent, waiting_call, twilio, django_capture_on_commit_callbacks
):
    settings.TELEPHONY_CONNECT_ATTEMPTS = 3
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    twilio.fail_next = [503] * 10
    with django_capture_on_commit_callbacks(execute=True):
        handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    handling.refresh_from_db()
    assert handling.connect_state == Connection.FAILED
    assert handling.connect_error == (
        "A telefonszolgáltató nem érhető el: a hívót nem sikerült kapcsolni."
    )
    assert twilio.requests == 3 and not twilio.redirects


def test_a_provider_timeout_is_tried_again(
    settings, desk_agent, waiting_call, django_capture_on_commit_callbacks
):
    import socket

    silent = socket.socket()  # accepts the connection, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.twilio.TwilioBackend"
    settings.TELEPHONY_ACCOUNT_SID = TWILIO_ACCOUNT_SID
    settings.TELEPHONY_SIP_DOMAIN = SIP_DOMAIN
    settings.TELEPHONY_API_BASE_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.TELEPHONY_TIMEOUT = 0.2
    settings.TELEPHONY_CONNECT_ATTEMPTS = 2
    try:
        with django_capture_on_commit_callbacks(execute=True):
            handling = services.call_take(ticket_id=waiting_call().pk, agent=desk_agent)
    finally:
        silent.close()
    handling.refresh_from_db()
    assert handling.connect_state == Connection.FAILED
    assert handling.connect_attempts == 2


@pytest.mark.parametrize("provider_status", ["completed", "canceled", None])
def test_a_caller_who_hung_up_is_shown_failed_and_the_call_can_be_closed(
    provider_status,
    client,
    login,
    desk_agent,
    waiting_call,
    twilio,
    django_capture_on_commit_callbacks,
):
    ticket = waiting_call()
    if provider_status:  # None: the provider no longer knows the call (a 404)
        twilio.calls[ticket.call_sid] = provider_status
    login(desk_agent)
    take(client, ticket, django_capture_on_commit_callbacks)
    handling = CallHandling.objects.get(ticket=ticket)
    assert handling.connect_state == Connection.FAILED
    assert handling.connect_attempts == 1, "a call that ended is not tried again"
    assert not twilio.redirects
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert "A hívó letette a telefont, mielőtt kapcsolni tudtuk volna." in page
    assert "Lezárás megszakadt hívásként" in page
    closed = client.post(
        reverse("desk:close", args=[ticket.pk]),
        {"action": "close", "outcome": "dropped", "notes": ""},
    )
    assert closed.status_code == 302
    handling.refresh_from_db()
    assert handling.outcome == CallHandling.Outcome.DROPPED and handling.is_closed


def test_wrong_credentials_fail_without_retrying(
    settings, desk_agent, waiting_call, twilio, django_capture_on_commit_callbacks
):
    settings.TELEPHONY_AUTH_TOKEN = "not-the-token"  # noqa: S105
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    with django_capture_on_commit_callbacks(execute=True):
        handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    handling.refresh_from_db()
    assert handling.connect_state == Connection.FAILED
    assert handling.connect_error == "A telefonszolgáltató elutasította a hívó kapcsolását."
    assert twilio.requests == 1


def connecting(callbacks) -> list:
    """The after-commit callbacks other than the desk's push (``calls.push``)."""
    return [c for c in callbacks if getattr(c, "func", None) not in _PUSHES]


_PUSHES = (push._ticket_push, push._presence_push)


def test_pbx_and_manual_calls_ask_the_provider_nothing(
    agent, firm, waiting_call, twilio, django_capture_on_commit_callbacks
):
    agent.extension = ""  # not needed: the PBX or the agent has the caller on the line
    agent.save()
    pbx = waiting_call(call_sid="4711", source=CallTicket.Source.PBX)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        handling = services.call_take(ticket_id=pbx.pk, agent=agent)
    assert handling.connect_state == Connection.NOT_NEEDED and not connecting(callbacks)
    services.call_close(handling=handling, notes="", outcome="answered")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        manual = services.call_verify_manually(
            agent=agent, grid=firm.grid, code=STAFF_CODE, phone_number="+36301112222", menu="1"
        )
    assert manual.ticket.source == CallTicket.Source.DESK
    assert manual.connect_state == Connection.NOT_NEEDED and not connecting(callbacks)
    assert twilio.requests == 0


def test_an_agent_without_an_extension_cannot_take_a_queued_call(
    client, login, agent, waiting_call, twilio, django_capture_on_commit_callbacks
):
    agent.extension = ""
    agent.save()
    ticket = waiting_call()
    login(agent)
    response = take(client, ticket, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("desk:home")
    home = client.get(reverse("desk:home")).content.decode()
    assert "Önnek nincs beállított telefonmelléke" in home
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.WAITING
    assert not CallHandling.objects.exists() and twilio.requests == 0


def test_connecting_shows_on_the_call_screen_and_its_live_part(
    client, login, desk_agent, waiting_call
):
    ticket = waiting_call()
    services.call_take(ticket_id=ticket.pk, agent=desk_agent)  # no commit: still connecting
    login(desk_agent)
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert f'data-poll="{reverse("desk:connection", args=[ticket.pk])}"' in page
    assert "kapcsolás…" in page
    live = client.get(reverse("desk:connection", args=[ticket.pk])).content.decode()
    assert "kapcsolás…" in live and "data-poll-stop" not in live
    CallHandling.objects.filter(ticket=ticket).update(connect_state=Connection.CONNECTED)
    live = client.get(reverse("desk:connection", args=[ticket.pk])).content.decode()
    assert "201 mellék" in live
    assert "data-poll-stop" not in live, "the phone rings: it may not answer"
    CallTicket.objects.filter(pk=ticket.pk).update(ended_at=timezone.now())
    live = client.get(reverse("desk:connection", args=[ticket.pk])).content.decode()
    assert "data-poll-stop" in live and "letette" in live, "the caller is gone, not connected"
    assert "201 mellék" not in live


def test_a_call_closed_before_it_was_put_through_is_not_redirected(
    desk_agent, waiting_call, twilio
):
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    services.call_close(handling=handling, notes="", outcome="dropped")
    assert connect_call_task.delay(handling.pk).get() == Connection.FAILED
    assert twilio.requests == 0


def test_the_connection_state_is_only_the_agents_own(
    client, login, desk_agent, make_user, referent, waiting_call
):
    ticket = waiting_call()
    services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    url = reverse("desk:connection", args=[ticket.pk])
    assert reverse("login") in client.get(url)["Location"]
    login(make_user("agent"))
    assert client.get(url).status_code == 404
    login(referent)
    assert client.get(url).status_code == 403
    login(desk_agent)
    assert client.get(url).status_code == 200


def test_the_demo_phone_shows_the_agent_the_caller_was_put_through_to(
    client,
    login,
    desk_agent,
    firm,
    line_open,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
    settings.TELEPHONY_DEMO_FILE_PATH = tmp_path
    settings.TELEPHONY_SIP_DOMAIN = "desk.demo.invalid"
    login(desk_agent)
    act = reverse("demo-phone-act")
    client.post(act, {"action": "dial", "ignore_hours": "1"})
    for digits in ("1", firm.grid, STAFF_CODE):
        answer = client.post(act, {"action": "keys", "digits": digits}).json()
    assert answer["state"] == "queued" and answer["ticket"]["connected"] == ""
    ticket = CallTicket.objects.get()
    take(client, ticket, django_capture_on_commit_callbacks)
    record = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert record["call_sid"] == ticket.call_sid
    assert "<Sip>sip:201@desk.demo.invalid</Sip>" in record["twiml"]
    state = client.get(reverse("demo-phone-state")).json()
    assert state["ticket"]["connected"] == "Ügynök Anna (sip:201@desk.demo.invalid)"
    assert CallHandling.objects.get().connect_state == Connection.CONNECTED


def test_the_demo_phone_state_needs_a_call_and_the_permission(client, login, agent, referent):
    login(referent)
    assert client.get(reverse("demo-phone-state")).status_code == 403
    login(agent)
    assert client.get(reverse("demo-phone-state")).status_code == 409


def test_check_deploy_refuses_the_demo_backend_and_warns_without_the_account(settings):
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
    assert [e.id for e in checks.check_telephony(None)] == ["gratisz.E005"]
    settings.TELEPHONY_BACKEND = "calls.telephony.backends.twilio.TwilioBackend"
    settings.TELEPHONY_ACCOUNT_SID = ""
    assert [e.id for e in checks.check_telephony(None)] == ["gratisz.W001"]
    settings.TELEPHONY_ACCOUNT_SID, settings.TELEPHONY_SIP_DOMAIN = TWILIO_ACCOUNT_SID, SIP_DOMAIN
    assert checks.check_telephony(None) == []


def test_an_unconfigured_twilio_backend_sends_nothing(settings):
    settings.TELEPHONY_ACCOUNT_SID = ""
    with pytest.raises(TelephonyNotConfigured):
        TwilioBackend().connect(
            account_sid=TWILIO_ACCOUNT_SID, call_sid="CA1", twiml="<Response/>", address="sip:1@x"
        )


def test_leaving_the_queue_for_the_agent_does_not_hang_the_caller_up(
    provider, desk_agent, waiting_call
):
    ticket = waiting_call()
    services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    params = {
        "CallSid": ticket.call_sid,
        "AccountSid": TWILIO_ACCOUNT_SID,
        "From": ticket.from_number,
        "To": ticket.to_number,
        "CallStatus": "in-progress",
        "QueueTime": "42",
    }
    url = provider.base_url + reverse("ivr-queue-result")
    redirected = provider.post(url, {**params, "QueueResult": "redirected"})
    assert redirected.status == 200
    assert "<Hangup" not in redirected.body
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.WITH_AGENT
    assert ticket.queue_result == "redirected"
    hung_up = provider.post(url, {**params, "QueueResult": "hangup"})
    assert "<Hangup" in hung_up.body


def test_the_admin_lists_the_calls_that_were_not_put_through(
    client, login, administrator, desk_agent, make_user, waiting_call
):
    failed = services.call_take(ticket_id=waiting_call().pk, agent=desk_agent)
    CallHandling.objects.filter(pk=failed.pk).update(connect_state=Connection.FAILED)
    connected = services.call_take(ticket_id=waiting_call().pk, agent=make_user("agent"))
    CallHandling.objects.filter(pk=connected.pk).update(connect_state=Connection.CONNECTED)
    login(administrator)
    url = reverse("admin:desk_callhandling_changelist") + "?connect_state__exact=failed"
    page = client.get(url).content.decode()
    assert failed.ticket.call_sid in page and connected.ticket.call_sid not in page


# --- the agent's phone does not answer: the caller waits again, the agent connects again -----

NO_ANSWER = "Az Ön telefonján nem vették fel a hívást; a hívó újra várakozik."
BASE = "https://gratisz.example.hu"


def _verb(twiml: str, tag: str):
    return ElementTree.fromstring(twiml).find(tag)  # noqa: S314 (our own TwiML)


def test_an_unanswered_phone_puts_the_caller_back_on_hold_and_the_agent_connects_again(
    client,
    login,
    provider,
    firm,
    desk_agent,
    make_user,
    settings,
    twilio,
    django_capture_on_commit_callbacks,
):
    # The IVR queues the caller; the fake REST API knows the call under the provider's account.
    twilio.account_sid = settings.TELEPHONY_ACCOUNT_SID = fake_provider.ACCOUNT_SID
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    assert call.state == "queued" and call.queue == "contracts"
    twilio.calls[call.sid] = "in-progress"
    ticket = CallTicket.objects.get(call_sid=call.sid)
    login(desk_agent)
    take(client, ticket, django_capture_on_commit_callbacks)
    [first] = twilio.redirects
    call.redirect(first["Twiml"])
    assert call.state == "dialing" and call.dialed == [f"sip:201@{SIP_DOMAIN}"]

    call.dial_ends("no-answer")

    [dial_result] = [e for e in call.exchanges if e.url == BASE + "/ivr/dial-result/"]
    assert dial_result.status == 200 and dial_result.params["DialCallStatus"] == "no-answer"
    enqueue = _verb(dial_result.body, "Enqueue")
    assert enqueue.text == "contracts"
    assert enqueue.get("waitUrl") == BASE + reverse("ivr-wait")
    assert enqueue.get("action") == BASE + reverse("ivr-queue-result")
    assert call.state == "queued" and call.queue == "contracts"
    assert call.heard[-1:] == texts("waiting"), "the caller hears the waiting message again"
    handling = CallHandling.objects.get(ticket=ticket)
    assert handling.connect_state == Connection.FAILED and handling.connect_error == NO_ANSWER
    # Still this agent's call: not offered to the others, who cannot take it.
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.WITH_AGENT and ticket.ended_at is None
    assert ticket not in selectors.waiting_calls()
    with pytest.raises(services.CallAlreadyTaken):
        services.call_take(ticket_id=ticket.pk, agent=make_user("agent"))
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert NO_ANSWER in page and "Kapcsolás újra" in page
    retry_url = reverse("desk:connection-retry", args=[ticket.pk])
    assert f'action="{retry_url}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "desk:call", args=[ticket.pk]
    )
    assert twilio.requests == 2 and len(twilio.redirects) == 2
    second = twilio.redirects[1]
    assert second["call_sid"] == call.sid and second["Twiml"] == first["Twiml"]
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED
    assert handling.connect_attempts == 1 and handling.connect_error == ""
    # A second click changes nothing and asks the provider nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry_url)
    assert twilio.requests == 2
    assert "nem kapcsolható újra" in client.get(reverse("desk:call", args=[ticket.pk])).text

    # The caller leaves the queue again, the phone rings, the agent answers and they talk.
    call.redirect(second["Twiml"])
    assert call.exchanges[-1].params["QueueResult"] == "redirected"
    assert "<Hangup" not in call.exchanges[-1].body
    call.dial_ends("completed", duration=95)
    assert _verb(call.exchanges[-2].body, "Hangup") is not None
    assert call.state == "ended"
    ticket.refresh_from_db()
    assert ticket.state == CallTicket.State.COMPLETED and ticket.ended_at is not None
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED
    page = client.get(reverse("desk:call", args=[ticket.pk])).content.decode()
    assert 'data-poll="' not in page and "Kapcsolás újra" not in page


@pytest.mark.parametrize(
    ("dial_status", "verb", "state", "message"),
    [
        ("completed", "Hangup", Connection.CONNECTED, ""),
        ("answered", "Hangup", Connection.CONNECTED, ""),
        ("busy", "Enqueue", Connection.FAILED, "Az Ön telefonja foglalt volt"),
        ("no-answer", "Enqueue", Connection.FAILED, NO_ANSWER),
        ("failed", "Enqueue", Connection.FAILED, "Az Ön telefonját nem sikerült hívni"),
        ("canceled", "Hangup", Connection.FAILED, "A hívó letette a telefont"),
    ],
)
def test_the_dial_action_answers_each_way_the_ring_ended(
    dial_status, verb, state, message, provider, desk_agent, waiting_call
):
    ticket = waiting_call()
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    CallHandling.objects.filter(pk=handling.pk).update(connect_state=Connection.CONNECTED)
    params = _dial_params(ticket, dial_status)
    url = BASE + reverse("ivr-dial-result")
    answer = provider.post(url, params)
    assert answer.status == 200
    assert [node.tag for node in ElementTree.fromstring(answer.body)] == [verb]  # noqa: S314
    if verb == "Enqueue":
        assert _verb(answer.body, "Enqueue").text == "contracts"
    handling.refresh_from_db()
    assert handling.connect_state == state and handling.connect_error.startswith(message)
    assert provider.post(url, params).body == answer.body, "a repeat gets the same answer"


def _dial_params(ticket: CallTicket, dial_status: str) -> dict[str, str]:
    return {
        "CallSid": ticket.call_sid,
        "AccountSid": TWILIO_ACCOUNT_SID,
        "From": ticket.from_number,
        "To": ticket.to_number,
        "CallStatus": "in-progress",
        "DialCallStatus": dial_status,
        "DialCallSid": "CA" + "9" * 32,
        "DialCallDuration": "0",
    }


def test_an_unanswered_phone_on_a_closed_call_hangs_up(provider, desk_agent, waiting_call):
    ticket = waiting_call()
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    CallHandling.objects.filter(pk=handling.pk).update(connect_state=Connection.CONNECTED)
    services.call_close(handling=handling, notes="", outcome="dropped")
    answer = provider.post(BASE + reverse("ivr-dial-result"), _dial_params(ticket, "no-answer"))
    assert _verb(answer.body, "Hangup") is not None and "<Enqueue" not in answer.body


def test_the_dial_action_refuses_a_bad_signature(provider, desk_agent, waiting_call):
    ticket = waiting_call()
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    CallHandling.objects.filter(pk=handling.pk).update(connect_state=Connection.CONNECTED)
    url = BASE + reverse("ivr-dial-result")
    answer = provider.post(url, _dial_params(ticket, "no-answer"), signature="forged")
    assert answer.status == 403
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED


def test_connecting_again_is_only_the_agents_own(
    client, login, desk_agent, make_user, referent, waiting_call, twilio
):
    ticket = waiting_call()
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    CallHandling.objects.filter(pk=handling.pk).update(connect_state=Connection.FAILED)
    url = reverse("desk:connection-retry", args=[ticket.pk])
    assert reverse("login") in client.post(url)["Location"]
    login(make_user("agent"))
    assert client.post(url).status_code == 404
    login(referent)
    assert client.post(url).status_code == 403
    login(desk_agent)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    handling.refresh_from_db()
    assert handling.connect_state == Connection.PENDING


def test_connecting_again_is_refused_for_a_closed_ended_or_working_connection(
    desk_agent, waiting_call, twilio, django_capture_on_commit_callbacks
):
    ticket = waiting_call()
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    failed = CallHandling.objects.filter(pk=handling.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for state in (Connection.PENDING, Connection.CONNECTED):
            failed.update(connect_state=state)
            with pytest.raises(services.CannotReconnect):
                services.call_connect_retry(handling=handling)
        failed.update(connect_state=Connection.FAILED)
        CallTicket.objects.filter(pk=ticket.pk).update(ended_at=timezone.now())
        with pytest.raises(services.CannotReconnect):
            services.call_connect_retry(handling=handling)
        CallTicket.objects.filter(pk=ticket.pk).update(ended_at=None)
        services.call_close(handling=handling, notes="", outcome="dropped")
        with pytest.raises(services.HandlingClosed):
            services.call_connect_retry(handling=handling)
    assert not connecting(callbacks) and twilio.requests == 0
    assert failed.get().connect_state == Connection.FAILED


def test_a_task_redelivered_while_another_worker_asks_the_provider_sends_nothing(
    settings, desk_agent, waiting_call, twilio
):
    settings.TELEPHONY_CONNECT_ATTEMPTS = 2
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)  # no commit: no task
    claimed_at = timezone.now()
    rows = CallHandling.objects.filter(pk=handling.pk)
    rows.update(connect_started_at=claimed_at, connect_attempts=1)  # another worker's claim
    assert desk_connection.call_connect(handling_id=handling.pk) == ConnectResult.RETRY
    connect_call_task.delay(handling.pk)  # tries, then gives up: the claim is not its own
    assert twilio.requests == 0
    assert rows.get().connect_state == Connection.PENDING, "the claim's holder records it"
    # The claim lapsed (its worker died mid-request): the redelivered task sends, once.
    rows.update(connect_started_at=claimed_at - datetime.timedelta(minutes=5))
    connect_call_task.delay(handling.pk)
    connect_call_task.delay(handling.pk)
    assert twilio.requests == 1
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED
    assert handling.connect_attempts == 2 and handling.connect_started_at is None


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks and its lock_timeout (SQLite locks the whole file)",
)
@pytest.mark.django_db(transaction=True)
def test_the_agent_saves_notes_while_the_provider_is_being_asked(
    desk_agent, waiting_call, twilio, monkeypatch
):
    """No row lock and no transaction is held during the provider's request: the agent's notes
    save, made from another connection while the fake REST API handles the redirect, does not
    wait (with a lock held it would hit the lock timeout)."""
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    saved: list = []

    def agent_saves_notes(form):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            handling = CallHandling.objects.get(ticket=ticket)
            services.call_notes_save(handling=handling, notes="Igazolást kér")
            saved.append("saved")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            saved.append(exc)
        finally:
            connection.close()

    twilio.while_handling = agent_saves_notes
    in_transaction = []
    connect = TwilioBackend.connect

    def watched_connect(self, **kwargs):
        in_transaction.append(connection.in_atomic_block)
        return connect(self, **kwargs)

    monkeypatch.setattr(TwilioBackend, "connect", watched_connect)
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)  # commits: task runs
    assert saved == ["saved"]
    assert in_transaction == [False]
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED and handling.notes == "Igazolást kér"


def test_with_the_broker_down_the_take_puts_the_caller_through_at_once(
    desk_agent, waiting_call, twilio, broker_down, django_capture_on_commit_callbacks, caplog
):
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    assert "could not queue the connection" in caplog.text  # the broker really was down
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED
    assert len(twilio.redirects) == 1


def test_the_sweep_queues_again_a_connection_whose_task_was_lost(
    settings, desk_agent, waiting_call, twilio
):
    settings.TELEPHONY_SWEEP_GRACE_SECONDS = 20
    ticket = waiting_call()
    twilio.calls[ticket.call_sid] = "in-progress"
    # Taken, but its task never ran (lost with a Redis restart): no callbacks executed.
    handling = services.call_take(ticket_id=ticket.pk, agent=desk_agent)
    assert handling.connect_state == Connection.PENDING
    assert sweep_connections.delay().get() == 0  # too fresh: its task may still come
    later = timezone.now() + datetime.timedelta(seconds=30)
    assert desk_connection.connections_sweep(now=later) == [handling.pk]
    CallHandling.objects.filter(pk=handling.pk).update(taken_at=F("taken_at") - ONE_MINUTE)
    assert sweep_connections.delay().get() == 1
    handling.refresh_from_db()
    assert handling.connect_state == Connection.CONNECTED and len(twilio.redirects) == 1
    assert sweep_connections.delay().get() == 0  # connected: nothing more to do


def test_the_sweep_gives_up_a_connection_tried_too_often(settings, desk_agent, waiting_call):
    settings.TELEPHONY_CONNECT_ATTEMPTS = 2
    handling = services.call_take(ticket_id=waiting_call().pk, agent=desk_agent)
    CallHandling.objects.filter(pk=handling.pk).update(
        taken_at=F("taken_at") - ONE_MINUTE, connect_attempts=4
    )
    assert desk_connection.connections_sweep() == []
    handling.refresh_from_db()
    assert handling.connect_state == Connection.FAILED and handling.connect_error
