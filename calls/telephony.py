"""Put a queued caller through to the agent who took the call, through the telephony provider.

The IVR leaves a verified caller in the provider's queue (``<Enqueue>``); when an agent takes
the call on the desk, the provider must be told to connect the caller to that agent's phone.
The transport is chosen by ``TELEPHONY_BACKEND``, like Django's ``EMAIL_BACKEND``:

- ``TwilioBackend``: Twilio's REST API (and the compatible ones, e.g. SignalWire's LaML API at
  its own ``TELEPHONY_API_BASE_URL``): the in-progress call is redirected to new TwiML that
  dials the agent's SIP address, ``sip:<extension>@TELEPHONY_SIP_DOMAIN``.
- ``DemoBackend``: the one-command demo; each connection is a JSON file (the TwiML the provider
  would have received) under ``TELEPHONY_DEMO_FILE_PATH``, which the demo phone reads.

``connect`` returns nothing and raises ``CallGone`` (the caller is no longer on the line),
``TransientTelephonyError`` (try again) or ``PermanentTelephonyError``.

Calls that reached the desk without the provider's queue need no connection: a PBX's (CTI,
``pbx-`` SIDs: the PBX put the caller through itself) and a manual verification's (``desk-``
SIDs: the agent is already talking to the caller).
"""

import base64
import datetime
import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop
from twilio.twiml.voice_response import VoiceResponse

from .desk.models import CallHandling
from .models import CallRecording, CallTicket
from .review.models import RecordingFile
from .review.services import recording_store

logger = logging.getLogger(__name__)

# Calls whose caller is already on the line with the agent when the desk opens them.
LOCAL_CALL_SID_PREFIXES = ("pbx-", "desk-")
# Twilio's "Call is not in-progress. Cannot redirect." (the caller hung up meanwhile).
TWILIO_CALL_NOT_IN_PROGRESS = 21220

Connection = CallHandling.Connection


class TelephonyError(Exception):
    """The provider did not take the redirect."""


class TransientTelephonyError(TelephonyError):
    """The provider failed for now (timeout, 5xx, rate limit); try again soon."""


class PermanentTelephonyError(TelephonyError):
    """The provider refused for good (bad credentials, bad request, not configured)."""


class TelephonyNotConfigured(PermanentTelephonyError):
    """The backend lacks its settings (account, SIP domain); nothing was sent."""


class CallGone(TelephonyError):
    """The call is no longer in progress: the caller hung up while waiting."""


class RecordingNotFound(TelephonyError):
    """The provider has no such recording (not yet, right after it completed, or no longer)."""


def needs_connection(call_sid: str) -> bool:
    """Tell whether the provider must put the caller through (a call from the IVR's queue)."""
    return not call_sid.startswith(LOCAL_CALL_SID_PREFIXES)


def agent_address(extension: str) -> str:
    """Return the SIP URI the agent's phone (desk phone or softphone) is reached at."""
    return f"sip:{extension}@{settings.TELEPHONY_SIP_DOMAIN}"


def dial_twiml(address: str) -> str:
    """Return the TwiML that takes the caller out of the queue and rings ``address``.

    The phone rings ``TELEPHONY_DIAL_TIMEOUT`` seconds; when the dial ends the provider asks
    the ``<Dial>`` action (``ivr-dial-result``) what next: the caller goes back to the queue
    if the agent's phone did not answer. The recording started when the call was queued
    (``<Start><Recording>``) goes on: it belongs to the call, not to the TwiML document that
    started it.
    """
    response = VoiceResponse()
    response.dial(
        answer_on_bridge=True,
        action=settings.PUBLIC_BASE_URL + reverse("ivr-dial-result"),
        method="POST",
        timeout=settings.TELEPHONY_DIAL_TIMEOUT,
    ).sip(address)
    return str(response)


class BaseTelephonyBackend:
    # Whether the provider keeps the calls' recordings for us to download (and then delete).
    fetches_recordings = False

    def connect(self, *, account_sid: str, call_sid: str, twiml: str, address: str) -> None:
        raise NotImplementedError

    def recording_download(self, *, account_sid: str, recording_sid: str) -> tuple[bytes, str]:
        """Return the recording's audio and its content type."""
        raise NotImplementedError

    def recording_delete(self, *, account_sid: str, recording_sid: str) -> None:
        raise NotImplementedError


class TwilioBackend(BaseTelephonyBackend):
    """``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`` with ``Twiml=...``.

    HTTP Basic auth with ``TELEPHONY_ACCOUNT_SID`` and ``TELEPHONY_AUTH_TOKEN`` (a subaccount's
    call is reached with the main account's credentials). 404, or 400 with code 21220, mean the
    call has ended; 5xx, 429 and network errors are temporary; other answers are permanent.
    """

    def connect(self, *, account_sid, call_sid, twiml, address) -> None:
        account = settings.TELEPHONY_ACCOUNT_SID
        if not account or not settings.TELEPHONY_SIP_DOMAIN:
            raise TelephonyNotConfigured("TELEPHONY_ACCOUNT_SID or TELEPHONY_SIP_DOMAIN unset")
        path = "/2010-04-01/Accounts/{}/Calls/{}.json".format(
            urllib.parse.quote(account_sid or account, safe=""),
            urllib.parse.quote(call_sid, safe=""),
        )
        credentials = base64.b64encode(
            f"{account}:{settings.TELEPHONY_AUTH_TOKEN}".encode()
        ).decode()
        request = urllib.request.Request(  # noqa: S310 (the URL is our own setting)
            settings.TELEPHONY_API_BASE_URL.rstrip("/") + path,
            data=urllib.parse.urlencode({"Twiml": twiml}).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"Basic {credentials}",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.TELEPHONY_TIMEOUT
            ) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()[:500]
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {}
            detail = f"{exc.code} {payload.get('code', '')} {payload.get('message', '')}".strip()
            if exc.code == 404 or payload.get("code") == TWILIO_CALL_NOT_IN_PROGRESS:
                raise CallGone(detail) from exc
            if exc.code >= 500 or exc.code in (408, 429):
                raise TransientTelephonyError(detail) from exc
            raise PermanentTelephonyError(detail) from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise TransientTelephonyError(f"provider unreachable: {exc}") from exc

    # --- recordings: GET …/Recordings/{RecordingSid}.mp3, then DELETE …/{RecordingSid}.json ---
    fetches_recordings = True

    def recording_download(self, *, account_sid, recording_sid) -> tuple[bytes, str]:
        """``GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3``.

        The URL is built from ``TELEPHONY_API_BASE_URL`` and the SIDs, never taken from the
        callback's ``RecordingUrl`` (for Twilio they are the same URL without the extension), so
        nothing but the configured provider is ever asked with our credentials. Twilio answers
        the media URL with a redirect to its storage host: up to ``MEDIA_REDIRECTS`` redirects
        are followed, to https only (or to the API base URL's own scheme), and the
        ``Authorization`` header goes only to the API's origin (scheme, host and port), never
        across hosts, as ``requests`` does too. MP3, as browsers play it and it is a tenth of
        the WAV. Raises ``RecordingNotFound`` (404), ``TransientTelephonyError`` (5xx, 408,
        429, network errors, a cut-off body) or ``PermanentTelephonyError`` (other answers, a
        redirect elsewhere, not audio, larger than ``TELEPHONY_RECORDING_MAX_BYTES``).
        """
        url = self._recording_url(account_sid, recording_sid, "mp3")
        api_origin = _origin(url)
        schemes = {"https", urllib.parse.urlsplit(url).scheme}
        opener = urllib.request.build_opener(_NoRedirects)
        for _hop in range(MEDIA_REDIRECTS + 1):
            headers = {"Accept": RECORDING_CONTENT_TYPE}
            if _origin(url) == api_origin:
                headers["Authorization"] = self._authorization()
            request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked above)
            try:
                with opener.open(request, timeout=settings.TELEPHONY_TIMEOUT) as response:
                    return _media_read(response), RECORDING_CONTENT_TYPE
            except urllib.error.HTTPError as exc:
                location = exc.headers.get("Location") if exc.code in REDIRECTS else None
                if location is None:
                    raise _provider_error(exc) from exc
                url = urllib.parse.urljoin(url, location)
                if urllib.parse.urlsplit(url).scheme not in schemes:
                    raise PermanentTelephonyError(f"redirect to {url[:80]} refused") from exc
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                raise TransientTelephonyError(f"provider unreachable: {exc}") from exc
            except http.client.HTTPException as exc:  # the body was cut off
                raise TransientTelephonyError(f"download broken off: {exc!r}") from exc
        raise PermanentTelephonyError(f"more than {MEDIA_REDIRECTS} redirects")

    def recording_delete(self, *, account_sid, recording_sid) -> None:
        """``DELETE /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.json`` (204).
        Raises ``RecordingNotFound`` for a recording already deleted, otherwise as
        ``recording_download``."""
        request = urllib.request.Request(  # noqa: S310 (the URL is our own setting)
            self._recording_url(account_sid, recording_sid, "json"),
            method="DELETE",
            headers={"Authorization": self._authorization(), "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.TELEPHONY_TIMEOUT
            ) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise _provider_error(exc) from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise TransientTelephonyError(f"provider unreachable: {exc}") from exc

    @staticmethod
    def _recording_url(account_sid: str, recording_sid: str, extension: str) -> str:
        account = settings.TELEPHONY_ACCOUNT_SID
        if not account:
            raise TelephonyNotConfigured("TELEPHONY_ACCOUNT_SID unset")
        path = "/2010-04-01/Accounts/{}/Recordings/{}.{}".format(
            urllib.parse.quote(account_sid or account, safe=""),
            urllib.parse.quote(recording_sid, safe=""),
            extension,
        )
        return settings.TELEPHONY_API_BASE_URL.rstrip("/") + path

    @staticmethod
    def _authorization() -> str:
        credentials = f"{settings.TELEPHONY_ACCOUNT_SID}:{settings.TELEPHONY_AUTH_TOKEN}"
        return "Basic " + base64.b64encode(credentials.encode()).decode()


# Twilio's media URL redirects once, to its storage host; a few more are tolerated.
MEDIA_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
RECORDING_CONTENT_TYPE = "audio/mpeg"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand redirects back as ``HTTPError``: ``recording_download`` decides where to go and
    with which headers (urllib would send the ``Authorization`` header to any host)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _media_read(response) -> bytes:
    """Read the whole audio, refusing what is not audio or too large for the setting."""
    most = settings.TELEPHONY_RECORDING_MAX_BYTES
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not content_type.startswith("audio/"):
        raise PermanentTelephonyError(f"not audio: {content_type or 'no content type'}")
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > most:
        raise PermanentTelephonyError(f"recording of {length} bytes is over {most}")
    content = response.read(most + 1)
    if len(content) > most:
        raise PermanentTelephonyError(f"recording is over {most} bytes")
    if length and length.isdigit() and len(content) != int(length):
        # http.client returns a cut-off body without complaint when asked for a size.
        raise TransientTelephonyError(f"download broken off at {len(content)} of {length} bytes")
    if not content:
        raise TransientTelephonyError("empty recording")
    return content


def _provider_error(exc: urllib.error.HTTPError) -> TelephonyError:
    """Classify an error answer of the provider's REST API."""
    body = exc.read()[:500]
    try:
        payload = json.loads(body)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    detail = f"{exc.code} {payload.get('code', '')} {payload.get('message', '')}".strip()
    if exc.code == 404:
        return RecordingNotFound(detail)
    if exc.code >= 500 or exc.code in (408, 429):
        return TransientTelephonyError(detail)
    return PermanentTelephonyError(detail)


class DemoBackend(BaseTelephonyBackend):
    """Write each connection to ``TELEPHONY_DEMO_FILE_PATH/<call sid>.json`` (the demo phone
    shows it); the same call again overwrites, never adds."""

    def connect(self, *, account_sid, call_sid, twiml, address) -> None:
        folder = Path(settings.TELEPHONY_DEMO_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "account_sid": account_sid,
            "call_sid": call_sid,
            "twiml": twiml,
            "address": address,
            "at": timezone.now().isoformat(),
        }
        _demo_file(call_sid).write_text(json.dumps(record, indent=2))

    @staticmethod
    def recorded(call_sid: str) -> dict | None:
        """Return the connection recorded for ``call_sid``, if any."""
        try:
            return json.loads(_demo_file(call_sid).read_text())
        except (OSError, ValueError):
            return None


def _demo_file(call_sid: str) -> Path:
    stem = "".join(ch if ch.isalnum() else "_" for ch in call_sid)[:80]
    return Path(settings.TELEPHONY_DEMO_FILE_PATH) / f"{stem}.json"


def get_backend() -> BaseTelephonyBackend:
    return import_string(settings.TELEPHONY_BACKEND)()


# --- the services the Celery task and the <Dial> action call -----------------------------------


def _agent_message(text: str) -> str:
    """Store the agent's message in the desk's language (the back office is Hungarian)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text)[:300]


CALLER_LEFT = gettext_noop("The caller hung up before being put through.")
PROVIDER_REFUSED = gettext_noop("The telephony provider refused to put the caller through.")
PROVIDER_UNREACHABLE = gettext_noop(
    "The telephony provider could not be reached: the caller was not put through."
)
NOT_CONFIGURED = gettext_noop(
    "Putting callers through to agents is not configured: the caller was not put through."
)
CLOSED_BEFORE = gettext_noop("The call was closed before the caller was put through.")
# The agent's phone rang but the caller did not get to talk (the <Dial> action's status).
DIAL_FAILURES = {
    "no-answer": gettext_noop("Your phone did not answer; the caller is waiting again."),
    "busy": gettext_noop("Your phone was busy; the caller is waiting again."),
    "failed": gettext_noop(
        "Your phone could not be called (is it signed in?); the caller is waiting again."
    ),
}
# What ``call_connect`` returns after a temporary failure, or while another worker is asking
# the provider: the task tries again later.
RETRY = "retry"


def _lease() -> datetime.timedelta:
    """Return how long a claimed request is another worker's: longer than one request can
    take, so an older claim belongs to a worker that died (its message is redelivered)."""
    return datetime.timedelta(seconds=2 * settings.TELEPHONY_TIMEOUT + 5)


def _unclaimed(now: datetime.datetime) -> Q:
    return Q(connect_started_at__isnull=True) | Q(connect_started_at__lt=now - _lease())


def call_connect(*, handling_id: int) -> str:
    """Ask the provider to put the handling's caller through to its agent's phone, once.

    Three short steps, so no row lock is held while the provider is asked (an agent saving
    notes never waits on it): a conditional UPDATE claims the attempt (``connect_started_at``,
    a lease), the request runs outside any transaction, and a second conditional UPDATE records
    the outcome only if the claim is still this one. A redelivered or parallel task finds the
    claim (``"retry"``: it looks again later) or the outcome (returned; nothing is sent), and a
    handling no longer ``pending`` is left alone. Returns the new ``connect_state``, or
    ``"retry"`` after a temporary failure (the handling stays pending). Side effects:
    ``connect_state``, ``connect_error``, ``connect_attempts``, ``connected_at`` and
    ``connect_started_at``; the provider's redirect.
    """
    started = timezone.now()
    claimed = (
        CallHandling.objects.filter(pk=handling_id, connect_state=Connection.PENDING)
        .filter(closed_at__isnull=True)
        .filter(_unclaimed(started))
        .update(connect_started_at=started, connect_attempts=F("connect_attempts") + 1)
    )
    if not claimed:
        return _not_claimed(handling_id)
    handling = CallHandling.objects.select_related("ticket", "agent").get(pk=handling_id)
    ticket, address = handling.ticket, agent_address(handling.agent.extension)
    state: str = Connection.CONNECTED
    error = ""
    try:
        get_backend().connect(
            account_sid=ticket.account_sid,
            call_sid=ticket.call_sid,
            twiml=dial_twiml(address),
            address=address,
        )
    except CallGone as exc:
        logger.info("call %s ended before it was put through: %s", ticket.pk, exc)
        state, error = Connection.FAILED, _agent_message(CALLER_LEFT)
    except PermanentTelephonyError as exc:
        logger.error("provider refused to put call %s through: %s", ticket.pk, exc)
        state = Connection.FAILED
        error = _agent_message(
            NOT_CONFIGURED if isinstance(exc, TelephonyNotConfigured) else PROVIDER_REFUSED
        )
    except TransientTelephonyError as exc:
        logger.warning("putting call %s through failed for now: %s", ticket.pk, exc)
        state = RETRY
    return _connect_record(handling_id, started=started, state=state, error=error)


def _not_claimed(handling_id: int) -> str:
    """Say why the attempt could not be claimed; a closed call still pending fails."""
    handling = CallHandling.objects.filter(pk=handling_id).only("connect_state", "closed_at")
    current = handling.first()
    if current is None:
        return Connection.FAILED
    if current.connect_state != Connection.PENDING:
        return current.connect_state
    if current.closed_at is not None:
        handling.filter(connect_state=Connection.PENDING).update(
            connect_state=Connection.FAILED,
            connect_error=_agent_message(CLOSED_BEFORE),
            connect_started_at=None,
        )
        return Connection.FAILED
    return RETRY  # another worker is asking the provider right now


def _connect_record(handling_id: int, *, started: datetime.datetime, state: str, error: str) -> str:
    """Record the outcome of the attempt claimed at ``started``, if the claim is still ours."""
    mine = CallHandling.objects.filter(
        pk=handling_id, connect_state=Connection.PENDING, connect_started_at=started
    )
    if state == RETRY:
        mine.update(connect_started_at=None)
        return RETRY
    fields: dict[str, object] = {
        "connect_state": state,
        "connect_error": error,
        "connect_started_at": None,
    }
    if state == Connection.CONNECTED:
        fields["connected_at"] = timezone.now()
    if not mine.update(**fields):  # our claim lapsed and another worker took over
        logger.warning("connection of handling %s was recorded by another worker", handling_id)
        current = CallHandling.objects.filter(pk=handling_id).values_list(
            "connect_state", flat=True
        )
        return current.first() or Connection.FAILED
    return state


def call_connect_give_up(*, handling_id: int) -> None:
    """Mark a connection still pending after the last try as failed (provider unreachable);
    one that another worker is asking the provider about right now is left to it."""
    CallHandling.objects.filter(pk=handling_id, connect_state=Connection.PENDING).filter(
        _unclaimed(timezone.now())
    ).update(
        connect_state=Connection.FAILED,
        connect_error=_agent_message(PROVIDER_UNREACHABLE),
        connect_started_at=None,
    )


def connections_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Return the ids of the connections to queue again: still pending, taken more than
    ``TELEPHONY_SWEEP_GRACE_SECONDS`` ago, nobody asking the provider (unclaimed, or the claim
    lapsed), the call open. Their task was lost (queued while the broker was down, or dropped
    with a Redis restart). One tried ``2 × TELEPHONY_CONNECT_ATTEMPTS`` times fails instead, so
    the desk shows it and the agent may connect again."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.TELEPHONY_SWEEP_GRACE_SECONDS)
    stalled = CallHandling.objects.filter(
        _unclaimed(now),
        connect_state=Connection.PENDING,
        closed_at__isnull=True,
        ticket__ended_at__isnull=True,
        taken_at__lt=now - grace,
    )
    most = 2 * settings.TELEPHONY_CONNECT_ATTEMPTS
    for handling_id in stalled.filter(connect_attempts__gte=most).values_list("pk", flat=True):
        call_connect_give_up(handling_id=handling_id)
    return list(stalled.filter(connect_attempts__lt=most).values_list("pk", flat=True)[:500])


def call_dial_ended(*, call_sid: str, dial_status: str) -> bool:
    """Note how the ring to the agent's phone ended (the ``<Dial>`` action's status) and tell
    whether the caller goes back on hold in the queue.

    ``busy``, ``no-answer`` or ``failed`` (the SIP leg): the connection fails with a message
    for the agent and, while the call is open and the caller on the line, the caller waits
    again; the ticket stays with the agent (one handling per ticket), so only this agent's call
    screen offers it again. ``canceled`` (the caller hung up while it rang): the connection
    fails as the caller left. ``completed``/``answered``: nothing to note (the conversation
    took place; the status callback ends the ticket). A repeated request gets the same answer.
    Side effects: the handling's ``connect_state`` and ``connect_error``.
    """
    handling = CallHandling.objects.filter(
        ticket__call_sid=call_sid,
        closed_at__isnull=True,
        ticket__ended_at__isnull=True,
        ticket__state=CallTicket.State.WITH_AGENT,
    ).exclude(connect_state=Connection.NOT_NEEDED)
    if dial_status in DIAL_FAILURES:
        message = DIAL_FAILURES[dial_status]
    elif dial_status == "canceled":
        message = CALLER_LEFT
    else:
        return False
    noted = handling.filter(connect_state=Connection.CONNECTED).update(
        connect_state=Connection.FAILED, connect_error=_agent_message(message)
    )
    logger.info("call %s: the agent's phone ended with %s", call_sid, dial_status)
    return dial_status in DIAL_FAILURES and (bool(noted) or handling.exists())


# --- recordings: download the audio into our storage, then delete the provider's copy ---------

RECORDING_COMPLETED = "completed"
# What ``recording_fetch`` returns besides ``RETRY``.
STORED = "stored"
STORED_BEFORE = "stored before"
NOT_COMPLETED = "not completed"
NO_PROVIDER = "no provider"
BUSY = "busy"
FAILED = "failed"
# Twilio may answer 404 for a moment right after the recording completed: that many tries.
RECORDING_NOT_FOUND_TRIES = 3
_GAVE_UP = "gave up"


def _fetch_mark(recording: CallRecording) -> str:
    return f"calls:recording-fetch:{recording.recording_sid}"


def _fetch_lease() -> int:
    """Return the seconds a fetch is one task's: past its longest wait between two tries, so
    that only a task lost with the broker leaves the recording to the sweep."""
    return settings.TELEPHONY_RECORDING_RETRY_MAX_SECONDS + 2 * settings.TELEPHONY_TIMEOUT + 60


def _fetch_claim(recording: CallRecording, owner: str) -> bool:
    """Claim the fetch of ``recording`` for the task ``owner`` (its retries keep the id), in
    the cache. Without a cache the claim is granted: a second download is only waste."""
    key = _fetch_mark(recording)
    try:
        if cache.add(key, owner, timeout=_fetch_lease()) or cache.get(key) == owner:
            cache.set(key, owner, timeout=_fetch_lease())
            return True
        return False
    except Exception:
        logger.warning("cache unavailable: fetching recording %s unclaimed", recording.pk)
        return True


def _fetch_mark_set(recording: CallRecording, value: str | None, timeout: int = 0) -> None:
    try:
        if value is None:
            cache.delete(_fetch_mark(recording))
        else:
            cache.set(_fetch_mark(recording), value, timeout=timeout)
    except Exception:
        logger.warning("cache unavailable: the fetch mark of recording %s", recording.pk)


def recording_fetch(*, recording_id: int, owner: str, attempt: int = 0) -> str:
    """Download the audio of a completed recording from the provider and keep it with
    ``review.services.recording_store``, once.

    Nothing is asked when the audio is already stored (also once purged: the provider's copy
    was deleted then), when the recording has not completed, with a backend that keeps no
    recordings (the demo), or while another task (``owner`` is the task's id) is fetching it.
    Nothing is stored unless the whole audio arrived. Returns ``STORED``, ``RETRY`` after a
    temporary failure (a 404 too during the first ``RECORDING_NOT_FOUND_TRIES`` tries: the
    provider may not have the file yet), ``FAILED`` after a permanent one (logged as an error;
    the sweep leaves it alone), or why nothing was done. Side effects: the ``RecordingFile``
    and its file; a mark in the cache while a task is responsible for the fetch.
    """
    recording = CallRecording.objects.select_related("ticket").filter(pk=recording_id).first()
    if recording is None or recording.status != RECORDING_COMPLETED:
        return NOT_COMPLETED
    if RecordingFile.objects.filter(recording=recording).exists():
        return STORED_BEFORE
    backend = get_backend()
    if not backend.fetches_recordings:
        return NO_PROVIDER
    if not _fetch_claim(recording, owner):
        return BUSY
    if RecordingFile.objects.filter(recording=recording).exists():  # stored as we claimed
        _fetch_mark_set(recording, None)
        return STORED_BEFORE
    try:
        content, content_type = backend.recording_download(
            account_sid=recording.ticket.account_sid, recording_sid=recording.recording_sid
        )
    except RecordingNotFound as exc:
        if attempt + 1 >= RECORDING_NOT_FOUND_TRIES:
            recording_fetch_give_up(recording_id=recording.pk, reason=str(exc))
            return FAILED
        logger.warning("recording %s not at the provider yet: %s", recording.pk, exc)
        return RETRY
    except TransientTelephonyError as exc:
        logger.warning("downloading recording %s failed for now: %s", recording.pk, exc)
        return RETRY
    except PermanentTelephonyError as exc:
        recording_fetch_give_up(recording_id=recording.pk, reason=str(exc))
        return FAILED
    recording_store(recording=recording, content=content, content_type=content_type)
    _fetch_mark_set(recording, None)
    logger.info("recording %s stored (%s bytes)", recording.pk, len(content))
    return STORED


def recording_fetch_give_up(*, recording_id: int, reason: str) -> None:
    """Log that the audio of a recording could not be downloaded, and keep the sweep from
    trying it again (the provider keeps its copy: nothing deletes it)."""
    recording = CallRecording.objects.filter(pk=recording_id).first()
    if recording is None:
        return
    logger.error(
        "recording %s (%s) of call %s could not be downloaded: %s",
        recording.pk,
        recording.recording_sid,
        recording.ticket_id,
        reason,
    )
    _fetch_mark_set(recording, _GAVE_UP, timeout=settings.TELEPHONY_RECORDING_SWEEP_HOURS * 3600)


def recording_provider_delete(*, recording_id: int) -> str:
    """Delete the provider's copy of a recording whose audio we keep, so that it is not kept
    past our retention. Never without our copy. Returns ``"deleted"`` (also when the provider
    no longer has it), ``RETRY`` after a temporary failure, ``FAILED`` (logged) or why nothing
    was done."""
    recording = CallRecording.objects.select_related("ticket").filter(pk=recording_id).first()
    if recording is None or not RecordingFile.objects.filter(recording=recording).exists():
        return NOT_COMPLETED
    backend = get_backend()
    if not backend.fetches_recordings:
        return NO_PROVIDER
    try:
        backend.recording_delete(
            account_sid=recording.ticket.account_sid, recording_sid=recording.recording_sid
        )
    except RecordingNotFound:
        pass  # deleted already (a repeated task)
    except TransientTelephonyError as exc:
        logger.warning(
            "deleting recording %s at the provider failed for now: %s", recording_id, exc
        )
        return RETRY
    except PermanentTelephonyError as exc:
        logger.error("the provider refused to delete recording %s: %s", recording_id, exc)
        return FAILED
    logger.info("recording %s deleted at the provider", recording_id)
    return "deleted"


def recordings_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Return the ids of the completed recordings whose audio to fetch again: not stored,
    their callback more than ``TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS`` and less than
    ``TELEPHONY_RECORDING_SWEEP_HOURS`` ago, and no task responsible for them (their task was
    lost: queued while the broker was down, or dropped with a Redis restart). Ones given up
    on stay given up on."""
    if not get_backend().fetches_recordings:
        return []
    now = now or timezone.now()
    due = CallRecording.objects.filter(
        status=RECORDING_COMPLETED,
        stored_file__isnull=True,
        updated_at__lt=now
        - datetime.timedelta(seconds=settings.TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS),
        updated_at__gte=now - datetime.timedelta(hours=settings.TELEPHONY_RECORDING_SWEEP_HOURS),
    ).order_by("updated_at")[:200]
    candidates = list(due)
    try:
        marked = cache.get_many([_fetch_mark(r) for r in candidates])
    except Exception:
        logger.warning("cache unavailable: sweeping recordings without their marks")
        marked = {}
    return [r.pk for r in candidates if _fetch_mark(r) not in marked]
