"""Twilio's REST API (and the compatible ones, e.g. SignalWire's LaML API at its own
``TELEPHONY_API_BASE_URL``), through Twilio's SDK (``twilio.rest.Client``).

The SDK's client is pointed at ``TELEPHONY_API_BASE_URL`` (its ``api`` domain's base URL), with
HTTP Basic auth ``TELEPHONY_ACCOUNT_SID:TELEPHONY_AUTH_TOKEN`` (a subaccount's call is reached
with the main account's credentials) and ``TELEPHONY_TIMEOUT`` per request. The SDK does not
retry: the Celery tasks decide when to try again, from the errors raised here.
"""

import contextlib
import urllib.parse
from collections.abc import Iterator

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from boundary.fields import is_ascii_digits

from ..errors import (
    CallGone,
    PermanentTelephonyError,
    RecordingNotFound,
    TelephonyError,
    TelephonyNotConfigured,
    TransientTelephonyError,
)
from .base import BaseTelephonyBackend

# Twilio's "Call is not in-progress. Cannot redirect." (the caller hung up meanwhile).
CALL_NOT_IN_PROGRESS = 21220
# Twilio's media URL redirects once, to its storage host; a few more are tolerated.
MEDIA_REDIRECTS = 3
RECORDING_CONTENT_TYPE = "audio/mpeg"


class TwilioBackend(BaseTelephonyBackend):
    """Redirect the in-progress call to new TwiML (``Calls/{CallSid}`` update); place a new
    call (``Calls`` create, for a callback); download a
    recording's MP3 and delete the recording (``Recordings/{RecordingSid}``).

    404 means the call ended or the recording is not there; 400 with code 21220 that the call
    ended; 5xx, 408, 429 and network errors are temporary; other answers are permanent.
    """

    fetches_recordings = True

    def connect(self, *, account_sid, call_sid, twiml, address) -> None:
        if not settings.TELEPHONY_SIP_DOMAIN:
            raise TelephonyNotConfigured("TELEPHONY_SIP_DOMAIN unset")
        call = self._account(account_sid).calls(call_sid)
        with _provider_errors(not_found=CallGone):
            call.update(twiml=twiml)

    def dial(self, *, to, from_, twiml, status_callback, timeout) -> str:
        """``POST …/Calls.json`` (the SDK's ``calls.create``): the provider rings ``to`` and
        runs ``twiml`` when it answers; every status of the call (initiated, ringing, answered,
        completed, or how it failed) is posted to ``status_callback``."""
        if not settings.TELEPHONY_SIP_DOMAIN:
            raise TelephonyNotConfigured("TELEPHONY_SIP_DOMAIN unset")
        account = self._account("")
        with _provider_errors(not_found=PermanentTelephonyError):
            call = account.calls.create(
                to=to,
                from_=from_,
                twiml=twiml,
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                timeout=timeout,
            )
        return call.sid

    def recording_download(self, *, account_sid, recording_sid) -> tuple[bytes, str]:
        """``GET …/Recordings/{RecordingSid}.mp3`` (the SDK has no media download: its
        responses hold text, so the audio comes through ``requests``, as the SDK's own
        transport).

        The URL is built from ``TELEPHONY_API_BASE_URL`` and the SIDs, never taken from the
        callback's ``RecordingUrl``, so nothing but the configured provider is ever asked with
        our credentials. Twilio answers the media URL with a redirect to its storage host: up
        to ``MEDIA_REDIRECTS`` redirects are followed, to https only (or to the API base URL's
        own scheme), and the credentials go only to the API's origin (scheme, host and port).
        MP3, as browsers play it and it is a tenth of the WAV. Raises ``RecordingNotFound``
        (404), ``TransientTelephonyError`` (5xx, 408, 429, network errors, a cut-off body) or
        ``PermanentTelephonyError`` (other answers, a redirect elsewhere, not audio, larger
        than ``TELEPHONY_RECORDING_MAX_BYTES``).
        """
        self._account(account_sid)  # the settings are checked before anything is asked
        url = _api_url(account_sid, recording_sid, "mp3")
        api_origin = _origin(url)
        schemes = {"https", urllib.parse.urlsplit(url).scheme}
        credentials = (settings.TELEPHONY_ACCOUNT_SID, settings.TELEPHONY_AUTH_TOKEN)
        with requests.Session() as session, _provider_errors(not_found=RecordingNotFound):
            for _hop in range(MEDIA_REDIRECTS + 1):
                with session.get(
                    url,
                    auth=credentials if _origin(url) == api_origin else None,
                    headers={"Accept": RECORDING_CONTENT_TYPE},
                    allow_redirects=False,
                    stream=True,
                    timeout=settings.TELEPHONY_TIMEOUT,
                ) as response:
                    if not response.is_redirect:
                        _raise_for_status(response)
                        return _media_read(response), RECORDING_CONTENT_TYPE
                    url = urllib.parse.urljoin(url, response.headers["Location"])
                if urllib.parse.urlsplit(url).scheme not in schemes:
                    raise PermanentTelephonyError(f"redirect to {url[:80]} refused")
        raise PermanentTelephonyError(f"more than {MEDIA_REDIRECTS} redirects")

    def recording_delete(self, *, account_sid, recording_sid) -> None:
        """``DELETE …/Recordings/{RecordingSid}.json`` (204). Raises ``RecordingNotFound`` for
        a recording already deleted, otherwise as ``recording_download``."""
        recording = self._account(account_sid).recordings(recording_sid)
        with _provider_errors(not_found=RecordingNotFound):
            recording.delete()

    @staticmethod
    def _account(account_sid: str):
        """Return the SDK's handle on the call's account (the main account without one)."""
        if not settings.TELEPHONY_ACCOUNT_SID:
            raise TelephonyNotConfigured("TELEPHONY_ACCOUNT_SID unset")
        client = Client(
            settings.TELEPHONY_ACCOUNT_SID,
            settings.TELEPHONY_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TELEPHONY_TIMEOUT),
        )
        client.api.base_url = settings.TELEPHONY_API_BASE_URL
        return client.api.v2010.accounts(account_sid or settings.TELEPHONY_ACCOUNT_SID)


def _api_url(account_sid: str, recording_sid: str, extension: str) -> str:
    path = "/2010-04-01/Accounts/{}/Recordings/{}.{}".format(
        urllib.parse.quote(account_sid or settings.TELEPHONY_ACCOUNT_SID, safe=""),
        urllib.parse.quote(recording_sid, safe=""),
        extension,
    )
    return settings.TELEPHONY_API_BASE_URL.rstrip("/") + path


@contextlib.contextmanager
def _provider_errors(*, not_found: type[TelephonyError]) -> Iterator[None]:
    """Turn the SDK's and the transport's exceptions into the backend's errors; a 404 (and
    Twilio's "call not in progress") becomes ``not_found``."""
    try:
        yield
    except TwilioRestException as exc:
        detail = f"{exc.status} {exc.code or ''} {exc.msg}".strip()
        if exc.status == 404 or (not_found is CallGone and exc.code == CALL_NOT_IN_PROGRESS):
            raise not_found(detail) from exc
        if exc.status >= 500 or exc.status in (408, 429):
            raise TransientTelephonyError(detail) from exc
        raise PermanentTelephonyError(detail) from exc
    except requests.exceptions.ChunkedEncodingError as exc:  # the body was cut off
        raise TransientTelephonyError(f"download broken off: {exc!r}") from exc
    except requests.RequestException as exc:
        raise TransientTelephonyError(f"provider unreachable: {exc}") from exc


def _raise_for_status(response: requests.Response) -> None:
    """Raise an error answer of the REST API as the SDK would (``TwilioRestException``)."""
    if response.status_code < 400:
        return
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    raise TwilioRestException(
        response.status_code,
        response.url,
        msg=str(payload.get("message", "")),
        code=payload.get("code"),
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _media_read(response: requests.Response) -> bytes:
    """Read the whole audio, refusing what is not audio or too large for the setting."""
    most = settings.TELEPHONY_RECORDING_MAX_BYTES
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not content_type.startswith("audio/"):
        raise PermanentTelephonyError(f"not audio: {content_type or 'no content type'}")
    length = response.headers.get("Content-Length", "")
    if is_ascii_digits(length) and int(length) > most:
        raise PermanentTelephonyError(f"recording of {length} bytes is over {most}")
    content = bytearray()
    for chunk in response.iter_content(chunk_size=64 * 1024):
        content += chunk
        if len(content) > most:
            raise PermanentTelephonyError(f"recording is over {most} bytes")
    if is_ascii_digits(length) and len(content) != int(length):
        raise TransientTelephonyError(f"download broken off at {len(content)} of {length} bytes")
    if not content:
        raise TransientTelephonyError("empty recording")
    return bytes(content)
