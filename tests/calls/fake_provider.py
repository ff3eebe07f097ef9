"""A faithful fake of the telephony provider (Twilio's voice webhooks), for tests.

It places a call by POSTing to our entry webhook, reads the TwiML we answer as Twilio does —
``<Say>``/``<Play>`` are heard, ``<Gather>`` waits for keys (posting ``Digits`` to its action;
no keys: the next verb runs), ``<Redirect>`` is followed, ``<Enqueue>`` puts the caller in a queue
(fetching its ``waitUrl``), ``<Dial>`` rings its ``<Sip>``/``<Number>`` until the test says how
the ring ended (``dial_ends``: ``DialCallStatus`` posted to the ``action``, whose answer is
played; without an action the next verb runs), ``<Hangup>`` or the end of the document ends the
call — and sends the status callback when the call ends. ``redirect`` is the REST API's call
update (``Twiml=``): a queued caller leaves the queue (its action gets ``QueueResult=redirected``,
whose answer Twilio does not play) and the new TwiML runs. Every request is form-encoded with
Twilio's parameter names and signed like Twilio (``X-Twilio-Signature``, computed by twilio's
own ``RequestValidator``) over the public URL.

An outbound call placed through the REST API (``Calls`` create, see ``fake_twilio_api``) is
played with ``FakeProvider.place``: the dialled phone answers (``answer``: the status callback
says ``in-progress`` and the call's TwiML runs) or not (``unanswered``: the final status);
a ``<Dial>``'s ``<Number url>`` is asked when the dialled number answers (``callee_answers``;
its answer is heard by the callee); the ``<Dial>``'s ``recordingStatusCallback`` gets the
completed recording (``recording_completed``). The status callbacks go to the call's own
``StatusCallback``.

The transport is pluggable: Django's test client by default, or plain HTTP against a live
server (browser tests) with ``HttpTransport``.
"""

import itertools
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "1" * 32
FORM = "application/x-www-form-urlencoded"


class ClientTransport:
    """POST through Django's test client; the public base URL is stripped to a path."""

    def __init__(self, client, base_url: str | None = None):
        self.client = client
        self.base_url = base_url or settings.PUBLIC_BASE_URL

    def __call__(self, url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
        path = url.removeprefix(self.base_url)
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        response = self.client.post(path, body, content_type=FORM, **extra)
        return response.status_code, response.content.decode()


class HttpTransport:
    """POST over HTTP to the absolute URL (a live server)."""

    def __call__(self, url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 (http(s) URLs of our own test server)
            url, data=body.encode(), headers={"Content-Type": FORM, **headers}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@dataclass
class Exchange:
    """One webhook request and our answer."""

    url: str
    params: dict[str, str]
    status: int
    body: str


@dataclass
class FakeCall:
    provider: "FakeProvider"
    sid: str
    from_number: str
    to_number: str
    heard: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    state: str = "ringing"  # ringing → gather | queued | dialing | ended
    queue: str = ""
    gather: dict[str, str] = field(default_factory=dict)
    dial: dict[str, str] = field(default_factory=dict)  # the ringing <Dial>'s attributes
    dialed: list[str] = field(default_factory=list)  # its <Sip>/<Number> addresses
    dialed_attrs: list[dict] = field(default_factory=list)  # their attributes (<Number url>)
    callee_heard: list[str] = field(default_factory=list)  # what the dialled party heard
    status_callback: str | None = None  # an outbound call's own (else the provider's)
    direction: str = "inbound"
    recording_callback: str = ""  # the last <Dial>'s recordingStatusCallback
    _rest: list[ElementTree.Element] = field(default_factory=list)
    _enqueue_action: str = ""
    _seconds: int = 0

    # --- what a caller does ---------------------------------------------------------------

    def press(self, keys: str, *, raw: bool = False) -> "FakeCall":
        """Key ``keys`` at the current ``<Gather>``. Like Twilio, keying stops at
        ``finishOnKey`` (not sent) or once ``numDigits`` keys are in; ``raw`` sends ``keys``
        as they are (a provider that sends more than asked)."""
        assert self.state == "gather", f"the call is not gathering keys but {self.state}"
        digits = keys
        if not raw:
            finish = self.gather.get("finishOnKey", "#")
            if finish and finish in digits:
                digits = digits[: digits.index(finish)]
            num = self.gather.get("numDigits")
            if num:
                digits = digits[: int(num)]
        if not digits:
            return self.silence()
        self._seconds += 5
        action = self.gather.get("action") or self.exchanges[-1].url
        self._play_response(self._post(action, {"Digits": digits, "CallStatus": "in-progress"}))
        return self

    def silence(self) -> "FakeCall":
        """Key nothing until the ``<Gather>`` times out: the verbs after it run."""
        assert self.state == "gather", f"the call is not gathering keys but {self.state}"
        self._seconds += int(self.gather.get("timeout", 5))
        self.gather = {}
        self.state = "in-progress"
        self._run(self._rest)
        return self

    def hang_up(self) -> "FakeCall":
        """The caller hangs up (in the IVR or in the queue)."""
        if self.state == "queued" and self._enqueue_action:
            self._post(
                self._enqueue_action,
                {"QueueResult": "hangup", "QueueTime": "30", "CallStatus": "in-progress"},
            )
        self._end()
        return self

    # --- what the REST API and the dialled phone do -----------------------------------------

    def redirect(self, twiml: str) -> "FakeCall":
        """The REST API's redirect (``POST .../Calls/{sid}.json`` with ``Twiml``): a queued
        caller leaves the queue, as Twilio reports to the ``<Enqueue>`` action with
        ``QueueResult=redirected`` (its answer is not played); then ``twiml`` runs."""
        assert self.state in ("queued", "in-progress", "dialing"), f"cannot redirect: {self.state}"
        if self.state == "queued" and self._enqueue_action:
            self._post(
                self._enqueue_action,
                {"QueueResult": "redirected", "QueueTime": "30", "CallStatus": "in-progress"},
            )
        self._enqueue_action = ""
        root = ElementTree.fromstring(twiml)  # noqa: S314 (our own TwiML)
        assert root.tag == "Response", twiml
        self.gather, self.dial, self.state = {}, {}, "in-progress"
        self._run(list(root))
        return self

    def dial_ends(self, status: str, *, duration: int = 0) -> "FakeCall":
        """The dialled party's leg ends with ``DialCallStatus`` ``status`` (``completed``,
        ``answered``, ``busy``, ``no-answer``, ``failed``, ``canceled``); like Twilio, the
        ``action`` is requested and its answer played, else the verbs after ``<Dial>`` run."""
        assert self.state == "dialing", f"the call is not dialing but {self.state}"
        dial, self.dial = self.dial, {}
        talked = status in ("completed", "answered")
        self._seconds += duration if talked else int(dial.get("timeout", 30))
        self.state = "in-progress"
        if not dial.get("action"):
            self._run(self._rest)
            return self
        extra = {
            "DialCallStatus": status,
            "DialCallSid": "CA" + secrets.token_hex(16),
            "DialCallDuration": str(duration if talked else 0),
            "DialBridged": "true" if talked else "false",
            "CallStatus": "in-progress",
        }
        self._play_response(self._post(dial["action"], extra))
        return self

    # --- an outbound call (the REST API's create) ------------------------------------------

    def answer(self, twiml: str) -> "FakeCall":
        """The dialled phone answers: the status callback hears ``in-progress``, and the
        call's TwiML (``Twiml`` of the create) runs."""
        assert self.state == "ringing", f"the call is not ringing but {self.state}"
        self._status("in-progress")
        root = ElementTree.fromstring(twiml)  # noqa: S314 (our own TwiML)
        self.state = "in-progress"
        self._run(list(root))
        return self

    def unanswered(self, status: str = "no-answer") -> "FakeCall":
        """The dialled phone does not answer (``no-answer``, ``busy``, ``failed``): the call
        ends with that status."""
        assert self.state == "ringing", f"the call is not ringing but {self.state}"
        self.state = "ended"
        self._status(status, CallDuration="0")
        return self

    def callee_answers(self) -> "FakeCall":
        """The number the ``<Dial>`` rings answers: its ``<Number url>`` is asked (a child
        call, with ``ParentCallSid``) and what it answers is played to the callee."""
        assert self.state == "dialing", f"the call is not dialing but {self.state}"
        [attrs] = self.dialed_attrs
        child = "CA" + secrets.token_hex(16)
        exchange = self._post(
            attrs["url"],
            {
                "CallSid": child,
                "ParentCallSid": self.sid,
                "To": self.dialed[0],
                "Called": self.dialed[0],
                "Direction": "outbound-dial",
                "CallStatus": "in-progress",
            },
        )
        assert exchange.status == 200, exchange.body
        for verb in ElementTree.fromstring(exchange.body):  # noqa: S314 (our own answer)
            if verb.tag in ("Say", "Play"):
                text = (verb.text or "").strip()
                self.callee_heard.append(text if verb.tag == "Say" else f"<play {text}>")
        return self

    def recording_completed(self, recording_sid: str, *, duration: int = 42) -> Exchange:
        """The ``<Dial>``'s recording is ready: its ``recordingStatusCallback`` is posted."""
        assert self.recording_callback, "no <Dial> recorded this call"
        return self._post(
            self.recording_callback,
            {
                "RecordingSid": recording_sid,
                "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
                f"/Recordings/{recording_sid}",
                "RecordingStatus": "completed",
                "RecordingDuration": str(duration),
                "RecordingChannels": "2",
                "RecordingSource": "DialVerb",
            },
        )

    def _status(self, status: str, **extra: str) -> None:
        url = self.status_callback or self.provider.status_callback
        if url:
            self._post(url, {"CallStatus": status, **extra})

    # --- the provider's side ----------------------------------------------------------------

    def _post(self, url: str, extra: dict[str, str]) -> Exchange:
        params = {
            "CallSid": self.sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.from_number,
            "To": self.to_number,
            "Caller": self.from_number,
            "Called": self.to_number,
            "Direction": self.direction,
            "ApiVersion": "2010-04-01",
            **extra,
        }
        exchange = self.provider.post(url, params)
        self.exchanges.append(exchange)
        return exchange

    def _play_response(self, exchange: Exchange) -> None:
        if exchange.status != 200:
            # Twilio speaks an application error and ends the call.
            self.heard.append(f"<application error {exchange.status}>")
            self._end()
            return
        root = ElementTree.fromstring(exchange.body)  # noqa: S314 (our own answer)
        assert root.tag == "Response", exchange.body
        self.gather = {}
        self.state = "in-progress"
        self._run(list(root))

    def _run(self, verbs: list[ElementTree.Element]) -> None:
        for index, verb in enumerate(verbs):
            if verb.tag in ("Say", "Play"):
                self._hear(verb)
            elif verb.tag == "Pause":
                self._seconds += int(verb.get("length", "1"))
            elif verb.tag == "Start":
                continue  # recording/streaming starts on the side; nothing is heard
            elif verb.tag == "Gather":
                for child in verb:
                    if child.tag in ("Say", "Play"):
                        self._hear(child)
                self.gather = dict(verb.attrib)
                self._rest = verbs[index + 1 :]
                self.state = "gather"
                return
            elif verb.tag == "Redirect":
                url = (verb.text or "").strip() or self.exchanges[-1].url
                self._play_response(self._post(url, {"CallStatus": "in-progress"}))
                return
            elif verb.tag == "Enqueue":
                self.queue = (verb.text or "").strip()
                self._enqueue_action = verb.get("action", "")
                self.state = "queued"
                wait_url = verb.get("waitUrl")
                if wait_url:
                    wait = self._post(
                        wait_url,
                        {
                            "QueuePosition": "1",
                            "QueueSid": "QU" + "2" * 32,
                            "QueueTime": "0",
                            "AvgQueueTime": "0",
                            "CurrentQueueSize": "1",
                            "CallStatus": "in-progress",
                        },
                    )
                    if wait.status == 200:
                        for heard in ElementTree.fromstring(wait.body):  # noqa: S314
                            if heard.tag in ("Say", "Play"):
                                self._hear(heard)
                return
            elif verb.tag == "Dial":
                self.dial = dict(verb.attrib)
                self.dialed = [(child.text or "").strip() for child in verb]
                self.dialed_attrs = [dict(child.attrib) for child in verb]
                self.recording_callback = verb.get("recordingStatusCallback", "")
                self._rest = verbs[index + 1 :]
                self.state = "dialing"
                return
            elif verb.tag == "Hangup":
                self._end()
                return
            else:
                raise AssertionError(f"the fake provider does not know <{verb.tag}>")
        self._end()  # the end of the document ends the call

    def _hear(self, verb: ElementTree.Element) -> None:
        text = (verb.text or "").strip()
        self.heard.append(text if verb.tag == "Say" else f"<play {text}>")

    def _end(self) -> None:
        if self.state == "ended":
            return
        self.state = "ended"
        self._status("completed", CallDuration=str(self._seconds))

    # --- helpers for assertions -------------------------------------------------------------

    @property
    def last_heard(self) -> str:
        return self.heard[-1] if self.heard else ""

    @property
    def answers(self) -> list[str]:
        """Our TwiML answers, in order (what the provider received)."""
        return [e.body for e in self.exchanges]


class FakeProvider:
    """The telephony provider, with the number configured to call our webhooks."""

    _sids = itertools.count(1)

    def __init__(
        self,
        transport,
        *,
        base_url: str | None = None,
        auth_token: str | None = None,
        voice_path: str = "/ivr/voice/",
        status_path: str | None = "/ivr/status/",
    ):
        self.transport = transport
        self.base_url = base_url or settings.PUBLIC_BASE_URL
        self.validator = RequestValidator(auth_token or settings.TELEPHONY_AUTH_TOKEN)
        self.voice_url = self.base_url + voice_path
        self.status_callback = self.base_url + status_path if status_path else None

    def sign(self, url: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(url, params)

    def post(self, url: str, params: dict[str, str], *, signature: str | None = None) -> Exchange:
        headers = {"X-Twilio-Signature": signature or self.sign(url, params)}
        status, body = self.transport(url, urlencode(params), headers)
        return Exchange(url=url, params=dict(params), status=status, body=body)

    def call(
        self,
        *,
        from_number: str = "+36301234567",
        to_number: str = "+3614623800",
        sid: str | None = None,
        voice_url: str | None = None,
    ) -> FakeCall:
        """Ring our number: POST the entry webhook and play its answer."""
        call = FakeCall(
            provider=self,
            sid=sid or f"CA{next(self._sids):04d}{secrets.token_hex(14)}",
            from_number=from_number,
            to_number=to_number,
        )
        call._play_response(call._post(voice_url or self.voice_url, {"CallStatus": "ringing"}))
        return call

    def place(self, created: dict) -> FakeCall:
        """Play a call our server placed through the REST API (``created``: the form of the
        ``Calls`` create and its ``call_sid``): it rings ``To`` until the test says more."""
        return FakeCall(
            provider=self,
            sid=created["call_sid"],
            from_number=created["From"],
            to_number=created["To"],
            status_callback=created.get("StatusCallback") or None,
            direction="outbound-api",
        )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
