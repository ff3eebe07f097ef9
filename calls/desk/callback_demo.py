"""The demo phone's side of a callback: without a provider, the demo backend writes each call
it was asked to place (``DemoBackend.dial``); the demo phone rings with it and plays the
provider, signed as the provider would: the agent's phone answers at once, then the broker
(the demo phone's user) answers and hears the recording notice, or does not answer, or is
busy; hanging up ends the call. Every step goes through the same webhooks as the real
provider's callbacks."""

import secrets
from xml.etree import ElementTree

from calls.ivr import demo_phone as provider
from calls.telephony.backends.demo import DemoBackend

from .models import CallbackAttempt

ACTIONS = ("answer", "no-answer", "busy", "hangup", "agent-no-answer")
_DEMO_ACCOUNT_SID = "AC" + "0" * 32


def _dial(record: dict) -> tuple[dict, dict]:
    """Return the ``<Dial>``'s and its ``<Number>``'s attributes (and number) of the TwiML."""
    root = ElementTree.fromstring(record["twiml"])  # noqa: S314 (our own TwiML)
    dial = root.find("Dial")
    number = dial.find("Number") if dial is not None else None
    if dial is None or number is None:
        return {}, {}
    return dict(dial.attrib), {**number.attrib, "number": (number.text or "").strip()}


def demo_callbacks() -> list[dict]:
    """Return the callbacks ringing the demo phone: their call id and the number called."""
    return [
        {"sid": r["call_sid"], "number": _dial(r)[1].get("number", "")}
        for r in DemoBackend.dialled()
    ]


def _params(record: dict, **extra) -> dict[str, str]:
    return {
        "CallSid": record["call_sid"],
        "AccountSid": _DEMO_ACCOUNT_SID,
        "From": record["from"],
        "To": record["to"],
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _end(record: dict, dial: dict, dial_status: str, host: str, duration: int = 0) -> None:
    if dial.get("action"):
        provider.post(
            dial["action"],
            _params(
                record,
                CallStatus="in-progress",
                DialCallStatus=dial_status,
                DialCallDuration=str(duration),
            ),
            host,
        )
    provider.post(
        record["status_callback"],
        _params(record, CallStatus="completed", CallDuration=str(duration)),
        host,
    )
    DemoBackend.dialled_done(record["call_sid"])


def demo_callback_act(*, sid: str, action: str, host: str) -> dict | None:
    """Play ``action`` on the callback ``sid``; return what the broker heard and the callback's
    outcome, or None for a callback not ringing (any more)."""
    record = next((r for r in DemoBackend.dialled() if r["call_sid"] == sid), None)
    if record is None or action not in ACTIONS:
        return None
    dial, number = _dial(record)
    said: list[str] = []
    if action == "agent-no-answer":
        provider.post(record["status_callback"], _params(record, CallStatus="no-answer"), host)
        DemoBackend.dialled_done(sid)
    elif action == "answer" and number.get("url"):
        provider.post(record["status_callback"], _params(record, CallStatus="in-progress"), host)
        child = _params(
            record,
            CallSid="CA" + secrets.token_hex(16),
            ParentCallSid=sid,
            To=number["number"],
            CallStatus="in-progress",
        )
        status, body = provider.post(number["url"], child, host)
        said = provider.read(body, status).said
    elif action == "hangup":
        _end(record, dial, "completed", host, duration=60)
    else:
        _end(record, dial, action, host)
    attempt = CallbackAttempt.objects.filter(ticket__call_sid=sid).first()
    return {"said": said, "outcome": attempt.get_outcome_display() if attempt else ""}
