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
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop
from twilio.twiml.voice_response import VoiceResponse

from .desk.models import CallHandling

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


def needs_connection(call_sid: str) -> bool:
    """Tell whether the provider must put the caller through (a call from the IVR's queue)."""
    return not call_sid.startswith(LOCAL_CALL_SID_PREFIXES)


def agent_address(extension: str) -> str:
    """Return the SIP URI the agent's phone (desk phone or softphone) is reached at."""
    return f"sip:{extension}@{settings.TELEPHONY_SIP_DOMAIN}"


def dial_twiml(address: str) -> str:
    """Return the TwiML that takes the caller out of the queue and rings ``address``.

    The recording started when the call was queued (``<Start><Recording>``) goes on: it belongs
    to the call, not to the TwiML document that started it.
    """
    response = VoiceResponse()
    response.dial(answer_on_bridge=True).sip(address)
    return str(response)


class BaseTelephonyBackend:
    def connect(self, *, account_sid: str, call_sid: str, twiml: str, address: str) -> None:
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


# --- the service the Celery task calls ----------------------------------------------------------


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
# What ``call_connect`` returns after a temporary failure: the task tries again later.
RETRY = "retry"


def call_connect(*, handling_id: int) -> str:
    """Ask the provider to put the handling's caller through to its agent's phone, once.

    The handling's row stays locked while the provider is asked, so a redelivered or parallel
    task waits and then finds the outcome (or skips a row another worker holds); a handling no
    longer ``pending`` is left alone. Returns the new ``connect_state``, or ``"retry"`` after a
    temporary failure (the handling stays pending). Side effects: ``connect_state``,
    ``connect_error``, ``connect_attempts`` and ``connected_at``; the provider's redirect.
    """
    with transaction.atomic():
        handling = (
            CallHandling.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("ticket", "agent")
            .filter(pk=handling_id)
            .first()
        )
        if handling is None:  # another worker is asking the provider right now
            return RETRY
        if handling.connect_state != Connection.PENDING:
            return handling.connect_state
        fields = ["connect_state", "connect_error", "connect_attempts", "connected_at"]
        if handling.closed_at is not None:
            handling.connect_state = Connection.FAILED
            handling.connect_error = _agent_message(CLOSED_BEFORE)
            handling.save(update_fields=fields)
            return handling.connect_state
        ticket, address = handling.ticket, agent_address(handling.agent.extension)
        handling.connect_attempts += 1
        try:
            get_backend().connect(
                account_sid=ticket.account_sid,
                call_sid=ticket.call_sid,
                twiml=dial_twiml(address),
                address=address,
            )
        except CallGone as exc:
            logger.info("call %s ended before it was put through: %s", ticket.pk, exc)
            handling.connect_state = Connection.FAILED
            handling.connect_error = _agent_message(CALLER_LEFT)
        except PermanentTelephonyError as exc:
            logger.error("provider refused to put call %s through: %s", ticket.pk, exc)
            handling.connect_state = Connection.FAILED
            handling.connect_error = _agent_message(
                NOT_CONFIGURED if isinstance(exc, TelephonyNotConfigured) else PROVIDER_REFUSED
            )
        except TransientTelephonyError as exc:
            logger.warning("putting call %s through failed for now: %s", ticket.pk, exc)
            handling.save(update_fields=["connect_attempts"])
            return RETRY
        else:
            handling.connect_state = Connection.CONNECTED
            handling.connected_at = timezone.now()
        handling.save(update_fields=fields)
        return handling.connect_state


def call_connect_give_up(*, handling_id: int) -> None:
    """Mark a connection still pending after the last try as failed (provider unreachable)."""
    CallHandling.objects.filter(pk=handling_id, connect_state=Connection.PENDING).update(
        connect_state=Connection.FAILED, connect_error=_agent_message(PROVIDER_UNREACHABLE)
    )
