"""The connection service: put a caller waiting in the provider's queue through to an agent.

The IVR leaves a verified caller in the provider's queue (``<Enqueue>``); when an agent takes
the call, the provider is told to run new TwiML on the call that dials the agent's SIP
address, ``sip:<extension>@TELEPHONY_SIP_DOMAIN``. ``caller_connect`` asks once and says how it
went; the desk keeps the handling's connection state and decides when to ask again.
"""

import enum
import logging

from django.conf import settings
from django.urls import reverse
from twilio.twiml.voice_response import VoiceResponse

from calls.models import CallTicket

from .backends import get_backend
from .errors import (
    CallGone,
    PermanentTelephonyError,
    TelephonyError,
    TelephonyNotConfigured,
    TransientTelephonyError,
)

logger = logging.getLogger(__name__)


class ConnectResult(enum.StrEnum):
    """How one request to put a caller through went."""

    CONNECTED = "connected"  # the provider rings the agent's phone
    CALLER_GONE = "caller gone"  # the caller hung up while waiting
    REFUSED = "refused"  # the provider refused for good
    NOT_CONFIGURED = "not configured"  # the backend lacks its settings; nothing was sent
    RETRY = "retry"  # the provider failed for now: ask again later


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


# Each error's result and how loud it is logged (the first class that matches wins).
_FAILURES: tuple[tuple[type[TelephonyError], ConnectResult, int], ...] = (
    (CallGone, ConnectResult.CALLER_GONE, logging.INFO),
    (TelephonyNotConfigured, ConnectResult.NOT_CONFIGURED, logging.ERROR),
    (PermanentTelephonyError, ConnectResult.REFUSED, logging.ERROR),
    (TransientTelephonyError, ConnectResult.RETRY, logging.WARNING),
)


def caller_connect(*, ticket: CallTicket, extension: str) -> ConnectResult:
    """Ask the provider, once, to put the caller of ``ticket`` through to the phone with
    ``extension``; errors are logged and told apart in the result. Side effect: the
    provider's redirect of the call."""
    address = agent_address(extension)
    try:
        get_backend().connect(
            account_sid=ticket.account_sid,
            call_sid=ticket.call_sid,
            twiml=dial_twiml(address),
            address=address,
        )
    except TelephonyError as exc:
        result, level = next((r, lvl) for kind, r, lvl in _FAILURES if isinstance(exc, kind))
        logger.log(level, "call %s not put through (%s): %s", ticket.pk, result, exc)
        return result
    return ConnectResult.CONNECTED
