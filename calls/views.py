"""Screens of the calls app: the demo phone (a dial pad that calls the IVR without a provider)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from boundary.sessions import mark_passive

from .desk import callback_demo
from .desk.models import CallHandling
from .ivr import demo_phone as provider
from .ivr import flow
from .models import CallTicket
from .review.labels import choice_label
from .selectors import ticket_by_call_sid
from .telephony.backends.demo import DemoBackend

SESSION_KEY = "demo_call"
DEMO_ACCOUNT_SID = "AC" + "0" * 32


def _demo_only(view):
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DEMO_PHONE_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _ticket_json(call_sid: str) -> dict | None:
    ticket = ticket_by_call_sid(call_sid=call_sid)
    if ticket is None:
        return None
    return {
        "state": ticket.get_state_display(),
        "menu": ticket.get_menu_display() if ticket.menu else "",
        "grid": ticket.grid_entered,
        "firm": str(ticket.firm) if ticket.firm else "",
        "queue": _menu_of_queue(ticket.queue_name),
        "connected": _connected_to(ticket),
    }


def _menu_of_queue(queue: str) -> str:
    """Name a queue by the menu it serves ("1 – contracts and certificates"), not its code."""
    by_queue = {name: digit for digit, name in settings.IVR_QUEUES.items()}
    return choice_label(CallTicket.Menu, by_queue[queue]) if queue in by_queue else queue


def _connected_to(ticket) -> str:
    """Name the agent the caller was put through to, from the demo backend's record."""
    record = DemoBackend.recorded(ticket.call_sid)
    handling = CallHandling.objects.filter(ticket=ticket).select_related("agent").first()
    if record is None or handling is None:
        return ""
    agent = handling.agent
    return f"{agent.get_full_name() or agent.get_username()} ({record['address']})"


@require_GET
@_demo_only
@login_required
@permission_required("gratisz.use_demo_phone", raise_exception=True)
def demo_phone(request: HttpRequest) -> HttpResponse:
    """Show the dial pad."""
    return render(
        request,
        "calls/demo_phone.html",
        {"hint": settings.DEMO_PHONE_HINT, "line_number": settings.GRATISZ_PHONE},
    )


@require_POST
@_demo_only
@login_required
@permission_required("gratisz.use_demo_phone", raise_exception=True)
def demo_phone_act(request: HttpRequest) -> JsonResponse:
    """Dial, key digits, stay silent or hang up; answer with what the IVR said."""
    action = request.POST.get("action", "")
    call = request.session.get(SESSION_KEY)
    host = request.get_host()
    if action == "dial":
        call, answer = _demo_dial(request, host)
    elif call is None or call.get("ended"):
        return JsonResponse({"error": "no call"}, status=409)
    elif action in ("keys", "silence"):
        keyed = _demo_keys(request, call, action, host)
        if keyed is None:
            return JsonResponse({"error": "the IVR is not waiting for keys"}, status=409)
        answer = keyed
    elif action == "hangup":
        answer = _demo_hang_up(call, host)
    else:
        return JsonResponse({"error": "unknown action"}, status=400)
    return _demo_answered(request, call, answer, host)


def _demo_dial(request: HttpRequest, host: str) -> tuple[dict, provider.Answer]:
    """Start a new call: the provider's first request to the IVR."""
    call = {
        "sid": flow.new_call_sid(),
        "from": request.POST.get("from", "").strip()[:40] or "+36301234567",
    }
    url = settings.PUBLIC_BASE_URL + reverse("ivr-voice")
    if request.POST.get("ignore_hours") == "1":
        url += "?demo_open=1"
    return call, _send(call, url, {"CallStatus": "ringing"}, host)


def _demo_keys(request: HttpRequest, call: dict, action: str, host: str) -> provider.Answer | None:
    """Send the keyed digits (or the silence) to what the IVR waits on; None if it waits for
    nothing."""
    digits = "".join(c for c in request.POST.get("digits", "") if c in "0123456789*#")[:20]
    if action == "keys" and digits and call.get("gather"):
        return _send(call, call["gather"], {"CallStatus": "in-progress", "Digits": digits}, host)
    if call.get("fallback"):
        return _send(call, call["fallback"], {"CallStatus": "in-progress"}, host)
    return None


def _demo_hang_up(call: dict, host: str) -> provider.Answer:
    """Hang up: the queue hears of it (if the caller waited in one), then the call's status."""
    if call.get("queue"):
        _send(
            call,
            settings.PUBLIC_BASE_URL + reverse("ivr-queue-result"),
            {"CallStatus": "in-progress", "QueueResult": "hangup"},
            host,
        )
    _send(
        call,
        settings.PUBLIC_BASE_URL + reverse("ivr-status"),
        {"CallStatus": "completed"},
        host,
    )
    return provider.Answer(hangup=True)


def _demo_answered(
    request: HttpRequest, call: dict, answer: provider.Answer, host: str
) -> JsonResponse:
    """Keep the call's state in the session and tell the phone what the IVR said."""
    said = list(answer.said)
    if answer.queue and answer.wait_url:
        said += _send(call, answer.wait_url, {"CallStatus": "in-progress"}, host).said
    call.update(
        gather=answer.gather_action,
        fallback=answer.fallback,
        queue=answer.queue or call.get("queue", ""),
        ended=answer.hangup or answer.status != 200,
    )
    request.session[SESSION_KEY] = call
    state = "ended" if call["ended"] else "queued" if answer.queue else "gather"
    return JsonResponse(
        {
            "said": said,
            "state": state,
            "queue": _menu_of_queue(answer.queue),
            "http_status": answer.status,
            "ticket": _ticket_json(call["sid"]),
        }
    )


@require_GET
@_demo_only
@login_required
@permission_required("gratisz.use_demo_phone", raise_exception=True)
def demo_phone_state(request: HttpRequest) -> JsonResponse:
    """Answer the call ticket as it is now (polled while the caller waits in the queue)."""
    call = request.session.get(SESSION_KEY)
    if call is None:
        return JsonResponse({"error": "no call"}, status=409)
    return JsonResponse({"ticket": _ticket_json(call["sid"]), "ended": bool(call.get("ended"))})


def _send(call: dict, url: str, extra: dict, host: str) -> provider.Answer:
    params = {
        "CallSid": call["sid"],
        "AccountSid": DEMO_ACCOUNT_SID,
        "From": call["from"],
        "To": settings.GRATISZ_PHONE.replace(" ", ""),
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    status, body = provider.post(url, params, host)
    return provider.read(body, status)


@require_GET
@_demo_only
@login_required
@permission_required("gratisz.use_demo_phone", raise_exception=True)
def demo_phone_callbacks(request: HttpRequest) -> JsonResponse:
    """The callbacks the demo backend was asked to place: the demo phone rings with them."""
    mark_passive(request)
    return JsonResponse({"callbacks": callback_demo.demo_callbacks()})


@require_POST
@_demo_only
@login_required
@permission_required("gratisz.use_demo_phone", raise_exception=True)
def demo_phone_callback_act(request: HttpRequest) -> JsonResponse:
    """Answer a callback as the broker (or not answer, be busy, hang up)."""
    result = callback_demo.demo_callback_act(
        sid=request.POST.get("sid", "")[:64],
        action=request.POST.get("action", ""),
        host=request.get_host(),
    )
    if result is None:
        return JsonResponse({"error": "no such callback ringing"}, status=409)
    return JsonResponse(result)
