"""The telephony provider's webhooks. Authenticated by the provider's signature only: no session,
no CSRF token (the provider has neither), no OTP (``/ivr/`` is open in the OTP middleware).

The callbacks about a taken call's connection and about recordings are answered by their
owners with the same ``telephony_webhook`` guard: ``calls.desk.webhooks``,
``calls.review.webhooks``."""

import logging
from functools import wraps

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
)
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import Gather, VoiceResponse

from boundary.fields import STEP_MAX, int_or_none
from partners.client_ip import client_ip

from ..signatures import get_validator
from . import flow

security_log = logging.getLogger("gratisz.security")
outage_log = logging.getLogger(__name__)


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


# Answers the provider carries to the next request only if we send them along (a <Redirect>
# posts the call's own parameters, not the ones of the request it answers). Never ``Digits``.
_CARRIED = ("QueueResult", "DialCallStatus")


def _outage_errors() -> tuple[type[BaseException], ...]:
    # psycopg's own errors can escape Django's wrapping. Every backend's wrapper has its driver
    # module; the stubs declare none of them.
    driver = connection.Database  # type: ignore[attr-defined]
    errors: tuple[type[BaseException], ...] = (
        OperationalError,
        InterfaceError,
        driver.OperationalError,
        driver.InterfaceError,
        ConnectionError,
    )
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a pinned requirement
        return errors
    return (*errors, RedisConnectionError, RedisTimeoutError)


def _hold(request: HttpRequest) -> HttpResponse:
    """What the caller hears while our database or cache is away: a hold message, a pause and
    the same step again. Built from settings and the translation catalog only (no prompt from
    the database, no cache), so the call waits instead of being hung up on with a 503, and is
    identified once the store is back."""
    query = request.GET.copy()
    for name in _CARRIED:
        if request.POST.get(name) and name not in query:
            query[name] = request.POST[name][:40]
    url = settings.PUBLIC_BASE_URL + request.path
    if query:
        url += "?" + query.urlencode()
    answer = VoiceResponse()
    language = "en-GB" if settings.IVR_LANGUAGE == "en" else "hu-HU"
    with translation.override(settings.IVR_LANGUAGE):
        hold = gettext("Please hold the line, we will continue in a moment.")
        again = gettext("Please key your entry again.")
    answer.say(hold, language=language, voice=settings.IVR_VOICE)
    answer.pause(length=settings.IVR_OUTAGE_PAUSE_SECONDS)
    keyed = request.POST.get("Digits", "")
    if keyed:
        # What the caller keyed was not processed, and it never travels in a URL (it may be a
        # Direkt code): ask for it again, as many keys as before, at the same step.
        gather = Gather(
            input="dtmf",
            num_digits=min(len(keyed), 20),
            timeout=settings.IVR_GATHER_TIMEOUT,
            finish_on_key="#",
            action=url,
            method="POST",
        )
        gather.say(again, language=language, voice=settings.IVR_VOICE)
        answer.append(gather)
    answer.redirect(url, method="POST")
    return twiml_response(str(answer))


def telephony_webhook(view=None, *, hold_on_outage: bool = True):
    """Let only requests signed by the provider through; hide ``Digits`` from error reports.
    While the database or the cache is unreachable, a voice step answers ``_hold`` (the
    provider's callbacks, ``hold_on_outage=False``, get the usual 503 and are sent again)."""
    if view is None:
        return lambda v: telephony_webhook(v, hold_on_outage=hold_on_outage)

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
        if not hold_on_outage:
            return view(request, *args, **kwargs)
        try:
            return view(request, *args, **kwargs)
        except _outage_errors() as error:
            outage_log.error(
                "telephony webhook answered hold (store unavailable: %s): %s",
                type(error).__name__,
                request.path,
            )
            return _hold(request)

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
    number = int_or_none(request.GET.get("n", ""), max_value=STEP_MAX)
    if number is None:
        return _refuse(request, "no step number")
    twiml = flow.ivr_step(params=flow.CallParams.from_post(request.POST), step=number)
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
        queue_result=request.POST.get("QueueResult") or request.GET.get("QueueResult", ""),
    )
    return twiml_response(twiml)


@telephony_webhook(hold_on_outage=False)
def status(request: HttpRequest) -> HttpResponse:
    """The provider's call status callback."""
    flow.ivr_call_status(
        params=flow.CallParams.from_post(request.POST),
        duration=request.POST.get("CallDuration"),
    )
    return HttpResponse(status=204)
