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
    except CallGone as exc:
        logger.info("call %s ended before it was put through: %s", ticket.pk, exc)
        return ConnectResult.CALLER_GONE
    except TelephonyNotConfigured as exc:
        logger.error("cannot put call %s through: %s", ticket.pk, exc)
        return ConnectResult.NOT_CONFIGURED
    except PermanentTelephonyError as exc:
        logger.error("provider refused to put call %s through: %s", ticket.pk, exc)
        return ConnectResult.REFUSED
    except TransientTelephonyError as exc:
        logger.warning("putting call %s through failed for now: %s", ticket.pk, exc)
        return ConnectResult.RETRY
    return ConnectResult.CONNECTED
