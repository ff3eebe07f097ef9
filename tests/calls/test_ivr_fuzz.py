"""Fuzz the telephony webhooks: whatever is posted, signed or not, the answer is never a 500.

Hypothesis sends short sequences of requests to every IVR webhook: correctly signed ones with
arbitrary (and plausible) form fields and values, so that the flow runs through its stages on
the same few calls; unsigned, wrongly signed, and signed but multipart ones, which must all be
refused. The database keeps what earlier examples did, so later ones meet calls in every
state. (The API is fuzzed by schemathesis in tests/api/test_schema.py.)
"""

from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from calls.models import CallTicket
from tests.calls.conftest import MANAGER_CODE, STAFF_CODE
from tests.calls.fake_provider import FORM

pytestmark = pytest.mark.django_db

PATHS = [
    "/ivr/voice/",
    "/ivr/step/",
    "/ivr/wait/",
    "/ivr/queue/",
    "/ivr/status/",
    "/ivr/recording/",
]
FIELDS = [
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "Digits",
    "CallStatus",
    "CallDuration",
    "QueueResult",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingDuration",
]
SIDS = ["CA" + "1" * 32, "CA" + "2" * 32, "CA" + "3" * 32]
any_text = st.text(max_size=80)
values = st.one_of(
    any_text,
    st.sampled_from(
        [
            "",
            "1",
            "2",
            "3",
            "9",
            "123456789",
            STAFF_CODE,
            MANAGER_CODE,
            "0000",
            "completed",
            "in-progress",
            "bridged",
            "hangup",
            "-1",
            "99999999999999999999",
            "+36301234567",
            "\x00",
            "%00",
            "' OR 1=1 --",
            "<Say>x</Say>",
            "😀" * 20,
            "x" * 5000,
        ]
    ),
)
forms = st.dictionaries(
    keys=st.one_of(st.sampled_from(FIELDS), any_text),
    values=values,
    max_size=8,
).flatmap(
    lambda form: st.one_of(st.sampled_from(SIDS), any_text).map(
        lambda sid: {"CallSid": sid, **form} if "CallSid" not in form else form
    )
)
queries = st.one_of(
    st.just(""),
    st.integers(min_value=-2, max_value=12).map(lambda n: f"?n={n}"),
    any_text.map(lambda t: "?" + urlencode({"n": t})),
)
modes = st.sampled_from(["signed", "signed", "signed", "unsigned", "forged", "multipart"])
requests = st.lists(st.tuples(st.sampled_from(PATHS), queries, forms, modes), max_size=4)


def post(client: Client, path: str, form: dict, mode: str):
    url = django_settings.PUBLIC_BASE_URL + path
    token = "not-the-token" if mode == "forged" else django_settings.TELEPHONY_AUTH_TOKEN
    signature = RequestValidator(token).compute_signature(url, form)
    headers = {} if mode == "unsigned" else {"HTTP_X_TWILIO_SIGNATURE": signature}
    if mode == "multipart":
        return client.post(path, form, **headers)
    return client.post(path, urlencode(form), content_type=FORM, **headers)


@pytest.mark.usefixtures("firm", "line_open")
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests=requests)
def test_webhooks_never_answer_500(requests):
    client = Client(raise_request_exception=False)
    for path, query, form, mode in requests:
        response = post(client, path + query, form, mode)
        assert response.status_code < 500, (path + query, form, mode, response.status_code)
        if mode != "signed":
            assert response.status_code == 403, (path + query, form, mode)


@pytest.mark.usefixtures("firm", "line_open")
def test_a_fuzzed_call_can_still_reach_the_queue():
    """The fuzz's plausible values do reach the flow: a well-formed call gets queued."""
    client = Client(raise_request_exception=False)
    form = {"CallSid": SIDS[0], "From": "+36301234567", "To": "+3614623800"}
    for path, digits in [
        ("/ivr/voice/", None),
        ("/ivr/step/?n=1", "1"),
        ("/ivr/step/?n=2", "123456789"),
        ("/ivr/step/?n=3", STAFF_CODE),
    ]:
        data = form if digits is None else {**form, "Digits": digits}
        response = post(client, path, data, "signed")
        assert response.status_code == 200, response.content
    assert "<Enqueue" in response.content.decode()
    assert CallTicket.objects.get(call_sid=SIDS[0]).state == CallTicket.State.WAITING


@pytest.mark.usefixtures("line_open")
def test_a_signed_nul_character_is_refused_not_a_500():
    """What the fuzz found first: PostgreSQL text cannot hold NUL, so the webhook refuses it."""
    client = Client(raise_request_exception=False)
    response = post(client, "/ivr/voice/", {"CallSid": "CA\x00", "From": "+3630"}, "signed")
    assert response.status_code == 400
    assert not CallTicket.objects.exists()
