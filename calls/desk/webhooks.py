"""The telephony provider's callback about the ring to the agent's phone (signed, as the IVR's
webhooks: ``calls.ivr.views.telephony_webhook``)."""

from django.http import HttpRequest, HttpResponse

from calls.ivr.views import telephony_webhook, twiml_response

from .connection import dial_ended_answer


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
