"""The telephony provider's callback about the ring to the agent's phone (signed, as the IVR's
webhooks: ``calls.ivr.views.telephony_webhook``)."""

from django.http import HttpRequest, HttpResponse

from boundary.fields import int_or_none
from calls.ivr.views import telephony_webhook, twiml_response

from . import callbacks
from .connection import dial_ended_answer

# The callback ticket's id in the (signed) callback URLs.
_TICKET_MAX = 2**63 - 1


def _callback_ticket(request: HttpRequest) -> int | None:
    return int_or_none(request.GET.get("t", ""), max_value=_TICKET_MAX)


@telephony_webhook
def dial_result(request: HttpRequest) -> HttpResponse:
    """The ring to the agent's phone ended (the ``<Dial>`` action)."""
    return twiml_response(
        dial_ended_answer(
            call_sid=request.POST["CallSid"][:64],
            dial_status=(
                request.POST.get("DialCallStatus") or request.GET.get("DialCallStatus", "")
            )[:20],
        )
    )


@telephony_webhook
def callback_answered(request: HttpRequest) -> HttpResponse:
    """The broker answered a callback (the ``<Number url>``): the recording notice."""
    return twiml_response(callbacks.callback_answered(ticket_id=_callback_ticket(request)))


@telephony_webhook
def callback_dial_result(request: HttpRequest) -> HttpResponse:
    """The ring to the broker ended (the callback's ``<Dial>`` action)."""
    return twiml_response(
        callbacks.callback_dial_ended(
            ticket_id=_callback_ticket(request),
            call_sid=request.POST["CallSid"][:64],
            dial_status=request.POST.get("DialCallStatus", "")[:20],
        )
    )


@telephony_webhook(hold_on_outage=False)
def callback_status(request: HttpRequest) -> HttpResponse:
    """The status callback of the call to the agent's phone (a callback)."""
    callbacks.callback_status(
        ticket_id=_callback_ticket(request),
        call_sid=request.POST["CallSid"][:64],
        call_status=request.POST.get("CallStatus", "")[:20],
        duration=request.POST.get("CallDuration"),
    )
    return HttpResponse(status=204)
