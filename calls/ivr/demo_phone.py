"""A telephony provider stand-in for the demo phone: it "calls" our own webhooks in-process,
signed like the real provider, and reads the TwiML answers as a provider would (what is said,
what is gathered, where the call goes)."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.test import RequestFactory  # builds a real HttpRequest; no test machinery involved
from django.urls import resolve

from ..signatures import get_validator


@dataclass
class Answer:
    """What the caller hears and what happens next, read from one TwiML answer."""

    said: list[str] = field(default_factory=list)
    gather_action: str = ""  # where keys go (a <Gather>)
    fallback: str = ""  # where the call goes when nothing is keyed (a <Redirect>)
    queue: str = ""  # the call waits in this queue (an <Enqueue>)
    wait_url: str = ""
    hangup: bool = False
    status: int = 200


def post(url: str, params: dict[str, str], host: str) -> tuple[int, str]:
    """POST ``params`` to our webhook at absolute ``url``, signed, and return status and body."""
    path = url.removeprefix(settings.PUBLIC_BASE_URL)
    # WSGI environ entries (HTTP_*): typed as Any so that none is taken for generic()'s keywords.
    meta: dict[str, Any] = {"HTTP_HOST": host, **get_validator().sign(url, params)}
    # Form-encoded, as the provider sends it (RequestFactory.post would send multipart).
    request = RequestFactory().generic(
        "POST",
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        **meta,
    )
    match = resolve(urlsplit(path).path)
    response = match.func(request, *match.args, **match.kwargs)
    return response.status_code, response.content.decode()


def _heard(verb: ElementTree.Element) -> str:
    text = (verb.text or "").strip()
    return text if verb.tag == "Say" else f"♪ {text}"


def read(twiml: str, status: int = 200) -> Answer:
    """Read a TwiML answer the way the provider plays it."""
    answer = Answer(status=status)
    if status != 200 or not twiml.strip():
        return answer
    root = ElementTree.fromstring(twiml)  # noqa: S314 (our own answer, from our own server)
    for verb in root:
        if verb.tag in ("Say", "Play"):
            answer.said.append(_heard(verb))
        elif verb.tag == "Gather":
            answer.gather_action = verb.get("action", "")
            answer.said.extend(_heard(child) for child in verb if child.tag in ("Say", "Play"))
        elif verb.tag == "Redirect":
            answer.fallback = (verb.text or "").strip()
            break
        elif verb.tag == "Enqueue":
            answer.queue = (verb.text or "").strip()
            answer.wait_url = verb.get("waitUrl", "")
            break
        elif verb.tag == "Hangup":
            answer.hangup = True
            break
    return answer
