"""The dialling service: have the provider call the agent's phone and, once it answers, the
broker's number (a callback of a promise, click-to-call).

The provider places the call to the agent's SIP address; when the agent answers it runs the
TwiML of ``callback_twiml``: a ``<Dial>`` of the broker's number, recorded from the answer,
whose ``<Number url>`` is asked when the broker answers (the recording notice is played to the
broker before the two are bridged). The callbacks' URLs carry the callback ticket's id and are
signed by the provider, like every webhook.
"""

import logging

from django.conf import settings
from twilio.twiml.voice_response import Dial, VoiceResponse

from .backends import get_backend
from .connection import agent_address

logger = logging.getLogger(__name__)


def callback_twiml(
    *, broker_number: str, answered_url: str, dial_action_url: str, recording_url: str
) -> str:
    """Return the TwiML run on the agent's phone once it answers: ring the broker for
    ``TELEPHONY_DIAL_TIMEOUT`` seconds showing the line's number, record from the broker's
    answer (when ``IVR_RECORD_CALLS``), ask ``answered_url`` what the broker hears first, and
    report how the ring ended to ``dial_action_url``."""
    response = VoiceResponse()
    options = {
        "action": dial_action_url,
        "method": "POST",
        "timeout": settings.TELEPHONY_DIAL_TIMEOUT,
        "caller_id": settings.GRATISZ_PHONE.replace(" ", ""),
        "answer_on_bridge": True,
    }
    if settings.IVR_RECORD_CALLS:
        options.update(
            record="record-from-answer-dual",
            recording_status_callback=recording_url,
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
    dial = Dial(**options)
    dial.number(broker_number, url=answered_url, method="POST")
    response.append(dial)
    return str(response)


def callback_dial(*, extension: str, twiml: str, status_callback: str) -> str:
    """Ask the provider, once, to ring the agent's phone (``sip:<extension>@…``) and run
    ``twiml`` when it answers. Returns the provider's call id; raises ``TelephonyError``."""
    call_sid = get_backend().dial(
        to=agent_address(extension),
        from_=settings.GRATISZ_PHONE.replace(" ", ""),
        twiml=twiml,
        status_callback=status_callback,
        timeout=settings.TELEPHONY_DIAL_TIMEOUT,
    )
    logger.info("callback placed: %s", call_sid)
    return call_sid
