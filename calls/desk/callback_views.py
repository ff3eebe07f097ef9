"""The desk's screens of a callback dialled through the provider (``callbacks``): choose the
number, confirm one typed by hand, follow the call, verify the broker. Thin, as ``views``."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from boundary.sessions import mark_passive
from partners.verification import Outcome, e164

from . import callbacks
from .forms import ManualVerifyForm, verification_refusal
from .views import desk_view

OTHER = "other"


class CallbackForm(forms.Form):
    """The number to call back: one on file, or another typed (read back before dialling)."""

    choice = forms.ChoiceField(label=gettext_lazy("Number to call"), widget=forms.RadioSelect)
    other = forms.CharField(label=gettext_lazy("Other number"), max_length=40, required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [(n.number, f"{n.number} ({n.label})") for n in numbers] + [
            (OTHER, _("another number (read it back to the broker)"))
        ]
        if numbers:
            self.fields["choice"].initial = numbers[0].number

    def clean(self):
        data = super().clean()
        if data.get("choice") == OTHER and not data.get("other", "").strip():
            self.add_error("other", _("Type the number to call."))
        return data

    @property
    def number(self) -> str:
        data = self.cleaned_data
        return data["other"].strip() if data["choice"] == OTHER else data["choice"]


class CallbackVerifyForm(ManualVerifyForm):
    """The GRID and Direkt code the broker says on the callback (the number is the one called,
    the subject the promise's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["phone_number"]
        del self.fields["menu"]


def _promise(request: HttpRequest, request_id: int):
    promise = callbacks.callback_promise_for(agent=request.user, request_id=request_id)
    if promise is None:
        raise Http404
    return promise


def _attempt(request: HttpRequest, attempt_id: int):
    attempt = callbacks.callback_attempt_for(agent=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    return attempt


@desk_view
def callback_new(request: HttpRequest, request_id: int) -> HttpResponse:
    """Choose the number and dial; a number not on file is read back and confirmed first."""
    promise = _promise(request, request_id)
    numbers = callbacks.callback_numbers(promise)
    form = CallbackForm(request.POST or None, numbers=numbers)
    read_back = None
    if request.method == "POST" and form.is_valid():
        try:
            attempt = callbacks.callback_start(
                agent=request.user,
                promise=promise,
                number=form.number,
                confirmed=form.cleaned_data["confirmed"],
            )
        except callbacks.CallbackRefused as refusal:
            if refusal.message == callbacks.NOT_ON_FILE:
                read_back = e164(form.number)
            else:
                form.add_error(None, refusal.message)
        else:
            return redirect("desk:callback", attempt_id=attempt.pk)
    return render(
        request,
        "desk/callback_new.html",
        {
            "promise": promise,
            "form": form,
            "read_back": read_back,
            "attempts": callbacks.promise_attempts([promise.pk]).get(promise.pk, []),
        },
    )


@desk_view
@require_GET
def callback(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _attempt(request, attempt_id)
    return render(
        request,
        "desk/callback.html",
        {
            "attempt": attempt,
            "promise": attempt.promise,
            "verify_form": CallbackVerifyForm(),
            "poll_seconds": min(settings.DESK_POLL_SECONDS, 2),
        },
    )


@desk_view
@require_GET
def callback_state(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The callback's live part, fetched again until it is over or the broker answered."""
    mark_passive(request)
    attempt = _attempt(request, attempt_id)
    return render(
        request,
        "desk/_callback_state.html",
        {"attempt": attempt, "verify_form": CallbackVerifyForm()},
    )


_REFUSALS = {
    callbacks.OTHER_FIRM: gettext_lazy(
        "These codes are not of the firm the promise was made to: give no data on this call."
    ),
    callbacks.NOT_REACHED: gettext_lazy(
        "The broker is not on the line of this callback (any more), or was not verified twice."
    ),
    callbacks.AGENT_BUSY: gettext_lazy("Close your current call before taking another."),
}


@desk_view
@require_POST
def callback_verify(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Verify the broker on the callback; the call screen opens once verified."""
    attempt = _attempt(request, attempt_id)
    form = CallbackVerifyForm(request.POST)
    if form.is_valid():
        try:
            handling = callbacks.callback_verify(
                attempt=attempt, grid=form.cleaned_data["grid"], code=form.cleaned_data["code"]
            )
        except callbacks.VerificationRefused as refusal:
            outcome = refusal.outcome
            message = _REFUSALS.get(outcome) or verification_refusal(outcome)
            if outcome not in (Outcome.THROTTLED, Outcome.LOCKED, Outcome.NUMBER_CAPPED):
                attempt.refresh_from_db()
            form.add_error(None, message)
        else:
            messages.success(request, _("The broker is verified; the promise is kept."))
            return redirect("desk:call", ticket_id=handling.ticket_id)
    return render(
        request,
        "desk/callback.html",
        {"attempt": attempt, "promise": attempt.promise, "verify_form": form, "poll_seconds": 2},
    )


@desk_view
@require_POST
def callback_finish(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """End a callback the provider has not reported the end of (it frees the agent)."""
    attempt = _attempt(request, attempt_id)
    callbacks.callback_finish(attempt=attempt)
    return redirect("desk:home")
