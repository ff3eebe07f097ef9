"""Our own outage loses no caller: while the database (or the cache) is unreachable, the IVR
answers with what needs neither: a hold message, a pause and the same step again. The caller
waits and is identified once the database is back (bench/faults.py postgres found 14 of 81
callers hung up on with a 503)."""

from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection

from calls.models import CallTicket
from tests.calls.conftest import STAFF_CODE
from tests.calls.fake_provider import FORM, ClientTransport, FakeProvider

pytestmark = pytest.mark.django_db
HOLD_HU = "Kérjük, tartsa a vonalat, rövidesen folytatjuk."
AGAIN_HU = "Kérjük, adja meg ismét, amit beütött."


class Outage:
    """The database refuses every statement (as a stopped server does) for the next
    ``requests`` webhook requests: Django's execute_wrapper is where a dead server shows."""

    def __init__(self):
        self.requests = 0

    def __call__(self, execute, sql, params, many, context):
        if self.requests > 0:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.fixture
def outage():
    down = Outage()
    with connection.execute_wrapper(down):
        yield down


@pytest.fixture
def provider(client, outage):
    inner = ClientTransport(client)

    def transport(url, body, headers):
        try:
            return inner(url, body, headers)
        finally:
            outage.requests = max(outage.requests - 1, 0)

    client.raise_request_exception = False
    return FakeProvider(transport)


@pytest.mark.usefixtures("line_open")
def test_a_call_arriving_while_the_database_is_down_waits_and_is_then_identified(
    provider, outage, firm
):
    outage.requests = 3  # three answers while the database is away
    call = provider.call()
    assert call.heard[:3] == [HOLD_HU] * 3, call.heard
    assert all(exchange.status == 200 for exchange in call.exchanges)
    assert call.state == "gather"  # the greeting, once the database is back
    call.press("1").press(firm.grid)
    outage.requests = 2  # it goes away again while the caller keys the code
    call.press(STAFF_CODE)
    # The keyed code is not carried (it never leaves the provider's request): after the hold
    # the caller is asked for it again at the same step, and nothing counted as a failure.
    assert call.heard[-2:] == [HOLD_HU, AGAIN_HU], call.heard
    assert call.state == "gather" and call.gather["numDigits"] == "4"
    call.press(STAFF_CODE)
    assert call.heard[-2:] == [HOLD_HU, AGAIN_HU]  # still down for this one
    call.press(STAFF_CODE)
    assert call.state == "queued", call.heard
    assert CallTicket.objects.get(call_sid=call.sid).state == CallTicket.State.WAITING


@pytest.mark.usefixtures("line_open")
def test_the_hold_answer_returns_to_the_same_step_and_keeps_the_queue_result(client, outage):
    from django.conf import settings
    from twilio.request_validator import RequestValidator

    outage.requests = 1
    url = settings.PUBLIC_BASE_URL + "/ivr/queue/?n=4"
    form = {"CallSid": "CA" + "5" * 32, "QueueResult": "hangup"}
    signature = RequestValidator(settings.TELEPHONY_AUTH_TOKEN).compute_signature(url, form)
    answer = client.post(
        "/ivr/queue/?n=4", urlencode(form), content_type=FORM, HTTP_X_TWILIO_SIGNATURE=signature
    )
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "<Pause" in body and "QueueResult=hangup" in body and "n=4" in body
    assert "CA5555" not in body  # nothing of the caller's request but the carried result


@pytest.mark.usefixtures("line_open")
def test_the_status_callback_still_gets_503_to_be_sent_again(client, outage):
    from django.conf import settings
    from twilio.request_validator import RequestValidator

    client.raise_request_exception = False
    outage.requests = 1
    url = settings.PUBLIC_BASE_URL + "/ivr/status/"
    form = {"CallSid": "CA" + "6" * 32, "CallStatus": "completed"}
    signature = RequestValidator(settings.TELEPHONY_AUTH_TOKEN).compute_signature(url, form)
    answer = client.post(
        "/ivr/status/", urlencode(form), content_type=FORM, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert answer.status_code == 503
