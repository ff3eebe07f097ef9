"""Webhook authentication, retries and replays."""

import logging
from urllib.parse import urlencode

import pytest
from django.test import Client

from calls.models import CallRecording, CallTicket, VerificationAttempt
from partners.models import DirektThrottle
from tests.calls.conftest import STAFF_CODE
from tests.calls.fake_provider import FORM, ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db

WEBHOOKS = ["/ivr/voice/", "/ivr/step/?n=1", "/ivr/wait/", "/ivr/queue/", "/ivr/status/"]
PARAMS = {"CallSid": "CA" + "9" * 32, "From": "+36301234567", "To": "+3614623800"}


@pytest.mark.parametrize("path", WEBHOOKS + ["/ivr/recording/"])
def test_unsigned_request_is_refused_changes_nothing_and_is_logged(path, client, caplog, line_open):
    caplog.set_level(logging.WARNING, logger="gratisz.security")
    response = client.post(path, urlencode(PARAMS), content_type=FORM)
    assert response.status_code == 403
    assert not CallTicket.objects.exists()
    assert "bad or missing signature" in caplog.text
    assert path.split("?")[0] in caplog.text


@pytest.mark.parametrize("path", WEBHOOKS)
def test_wrongly_signed_request_is_refused(path, client, line_open):
    forger = FakeProvider(ClientTransport(client), auth_token="not-the-real-token")
    exchange = forger.post(forger.base_url + path, PARAMS)
    assert exchange.status == 403
    assert not CallTicket.objects.exists()


def test_signature_over_another_url_is_refused(client, line_open):
    # Signed for the internal URL, not the public one the provider knows.
    provider = FakeProvider(ClientTransport(client))
    signature = provider.sign("http://10.0.0.5:8000/ivr/voice/", PARAMS)
    exchange = provider.post(provider.voice_url, PARAMS, signature=signature)
    assert exchange.status == 403


def test_tampered_parameters_are_refused(provider, firm):
    call = provider.call().press("1").press(firm.grid)
    step_url = call.gather["action"]
    params = {"CallSid": call.sid, "From": call.from_number, "To": call.to_number, "Digits": "1"}
    signature = provider.sign(step_url, params)
    exchange = provider.post(step_url, {**params, "Digits": STAFF_CODE}, signature=signature)
    assert exchange.status == 403
    assert not VerificationAttempt.objects.exists()


def test_multipart_body_is_refused(client, line_open):
    # The provider posts form-encoded data; a signature over a multipart body proves nothing.
    provider = FakeProvider(ClientTransport(client))
    signature = provider.sign(provider.voice_url, PARAMS)
    response = client.post("/ivr/voice/", PARAMS, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403


def test_get_is_not_allowed(client):
    assert client.get("/ivr/voice/").status_code == 405


def test_replayed_call_sid_gets_the_same_answer_and_no_second_ticket(provider, firm):
    call = provider.call()
    again = provider.post(call.exchanges[0].url, call.exchanges[0].params)
    assert again.status == 200
    assert again.body == call.exchanges[0].body
    assert CallTicket.objects.filter(call_sid=call.sid).count() == 1


def test_provider_retry_of_a_failed_code_counts_once(provider, firm):
    call = provider.call().press("1").press(firm.grid).press("0000")
    failed = call.exchanges[-1]
    retry = provider.post(failed.url, failed.params)
    assert retry.status == 200
    assert retry.body == failed.body
    assert VerificationAttempt.objects.count() == 1
    assert DirektThrottle.objects.get(grid=firm.grid).failure_count == 1


def test_replay_of_an_older_step_is_refused_as_stale(provider, firm, caplog):
    caplog.set_level(logging.WARNING, logger="gratisz.security")
    call = provider.call().press("1").press(firm.grid).press("0000")
    menu_choice = call.exchanges[1]
    replay = provider.post(menu_choice.url, menu_choice.params)
    assert replay.status == 403
    assert "stale" in caplog.text
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.stage == CallTicket.Stage.GRID


def test_replayed_entry_of_a_call_in_progress_is_stale(provider, firm):
    call = provider.call().press("1")
    replay = provider.post(call.exchanges[0].url, call.exchanges[0].params)
    assert replay.status == 403


def test_replay_of_a_successful_verification_into_a_finished_call_changes_nothing(provider, firm):
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    call.hang_up()
    verified = call.exchanges[3]
    provider.post(verified.url, verified.params)
    ticket = CallTicket.objects.get(call_sid=call.sid)
    assert ticket.state == CallTicket.State.ABANDONED
    assert ticket.verification_attempts.count() == 1


def test_step_for_an_unknown_call_is_refused(provider):
    exchange = provider.post(provider.base_url + "/ivr/step/?n=1", {**PARAMS, "Digits": "1"})
    assert exchange.status == 403


def test_recording_callback_attaches_the_recording_once(provider, firm):
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    params = {
        "CallSid": call.sid,
        "AccountSid": "AC" + "1" * 32,
        "RecordingSid": "RE" + "3" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE3",
        "RecordingStatus": "completed",
        "RecordingDuration": "42",
    }
    url = provider.base_url + "/ivr/recording/"
    assert provider.post(url, params).status == 204
    assert provider.post(url, params).status == 204  # the provider may send it twice
    recording = CallRecording.objects.get()
    assert recording.ticket.call_sid == call.sid
    assert recording.duration_seconds == 42
    assert recording.url.endswith("/RE3")


def test_status_callback_is_idempotent(provider, firm):
    call = provider.call().press("1").press(firm.grid).press(STAFF_CODE)
    call.hang_up()
    ended = CallTicket.objects.get(call_sid=call.sid).ended_at
    status = call.exchanges[-1]
    assert provider.post(status.url, status.params).status == 204
    assert CallTicket.objects.get(call_sid=call.sid).ended_at == ended


def test_webhooks_need_no_login_and_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    provider = FakeProvider(ClientTransport(client))
    exchange = provider.post(
        provider.base_url + "/ivr/status/", {**PARAMS, "CallStatus": "ringing"}
    )
    assert exchange.status == 204


def test_error_reports_hide_the_keyed_digits(firm, line_open):
    """Django's error report (mailed to admins in production) shows Digits as stars."""
    from django.test import RequestFactory
    from django.views.debug import SafeExceptionReporterFilter

    from calls.ivr import views

    provider = FakeProvider(ClientTransport(Client()))
    call = provider.call().press("1").press(firm.grid)
    url = call.gather["action"]
    params = {"CallSid": call.sid, "From": call.from_number, "Digits": STAFF_CODE}
    request = RequestFactory().generic(
        "POST",
        url.removeprefix(provider.base_url),
        urlencode(params),
        content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE=provider.sign(url, params),
    )
    assert views.step(request).status_code == 200
    shown = SafeExceptionReporterFilter().get_post_parameters(request)
    assert shown["Digits"] != STAFF_CODE
    assert set(shown["Digits"]) == {"*"}
