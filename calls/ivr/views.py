"""The telephony provider's webhooks. Authenticated by the provider's signature only: no session,
no CSRF token (the provider has neither), no OTP (``/ivr/`` is open in the OTP middleware).

The callbacks about a taken call's connection and about recordings are answered by their
owners with the same ``telephony_webhook`` guard: ``calls.desk.webhooks``,
``calls.review.webhooks``."""

import logging
from functools import wraps

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from partners.client_ip import client_ip

from ..signatures import get_validator
from . import flow

security_log = logging.getLogger("gratisz.security")


def _remote(request: HttpRequest) -> str:
    return client_ip(request) or ""


def _refuse(request: HttpRequest, reason: str) -> HttpResponse:
    security_log.warning(
        "telephony webhook refused (%s): %s from %s, CallSid=%s",
        reason,
        request.path,
        _remote(request),
        request.POST.get("CallSid", "")[:64],
    )
    return HttpResponseForbidden()


def _has_nul(data) -> bool:
    return any("\x00" in key or "\x00" in value for key, values in data.lists() for value in values)


def telephony_webhook(view):
    """Let only requests signed by the provider through; hide ``Digits`` from error reports."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not get_validator().is_valid(request):
            return _refuse(request, "bad or missing signature")
        if not request.POST.get("CallSid"):
            return _refuse(request, "no CallSid")
        if _has_nul(request.POST) or _has_nul(request.GET):
            # PostgreSQL text cannot hold a NUL character: refuse instead of failing (a 500).
            security_log.warning("telephony webhook with a NUL character: %s", request.path)
            return HttpResponseBadRequest()
        return view(request, *args, **kwargs)

    return csrf_exempt(require_POST(sensitive_post_parameters("Digits")(wrapped)))


def twiml_response(twiml: str) -> HttpResponse:
    return HttpResponse(twiml, content_type="text/xml; charset=utf-8")


@telephony_webhook
def voice(request: HttpRequest) -> HttpResponse:
    """A call comes in."""
    ignore_hours = settings.DEMO_PHONE_ENABLED and request.GET.get("demo_open") == "1"
    twiml = flow.ivr_call_incoming(
        params=flow.CallParams.from_post(request.POST), ignore_hours=ignore_hours
    )
    return twiml_response(twiml) if twiml is not None else _refuse(request, "stale")


@telephony_webhook
def step(request: HttpRequest) -> HttpResponse:
    """The caller keyed something (or nothing) at a ``<Gather>``."""
    number = request.GET.get("n", "")
    if not number.isdigit():
        return _refuse(request, "no step number")
    twiml = flow.ivr_step(params=flow.CallParams.from_post(request.POST), step=int(number))
    return twiml_response(twiml) if twiml is not None else _refuse(request, "stale")


@telephony_webhook
def wait(request: HttpRequest) -> HttpResponse:
    """What a caller in the queue hears."""
    return twiml_response(flow.ivr_wait_answer())


@telephony_webhook
def queue_result(request: HttpRequest) -> HttpResponse:
    """The caller left the queue."""
    twiml = flow.ivr_queue_left(
        params=flow.CallParams.from_post(request.POST),
        queue_result=request.POST.get("QueueResult", ""),
    )
    return twiml_response(twiml)


@telephony_webhook
def status(request: HttpRequest) -> HttpResponse:
    """The provider's call status callback."""
    flow.ivr_call_status(
        params=flow.CallParams.from_post(request.POST),
        duration=request.POST.get("CallDuration"),
    )
    return HttpResponse(status=204)
