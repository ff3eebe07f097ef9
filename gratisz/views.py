"""Login with a second factor (TOTP), first-login enrolment, and the role-aware home page."""

import logging
import sys
from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.middleware import is_verified
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import TokenForm

logger = logging.getLogger(__name__)


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    # A path of ours only: redirect() would take "382393008" for a view name (a 500).
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("home")


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?next={_next_url(request)}"


class LoginView(auth_views.LoginView):
    """Check the password, then send the user to the second factor (or to enrol one)."""

    template_name = "gratisz/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form):
        super().form_valid(form)
        user = form.get_user()
        step = (
            "otp-verify"
            if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
            else "otp-enrol"
        )
        return redirect(_with_next(step, self.request))


def _second_factor_passed(request: HttpRequest, device: TOTPDevice) -> None:
    """Mark the session verified under a new session key.

    The key the browser held before the second factor (the password step's) is voided: a
    session cookie planted or read before this point is worth nothing afterwards.
    """
    otp_login(request, device)
    request.session.cycle_key()


def login_locked_out(request: HttpRequest, original_response=None, credentials=None):
    """Answer a login while its username or address is locked (django-axes' lockout page).

    The same page for every such try: an unknown or a known username, a wrong or the right
    password (which is not even checked, and never leads to the second factor). 429 with
    Retry-After; the form stays, so that the user sees where to come back.
    """
    minutes = settings.LOGIN_COOLOFF_MINUTES
    message = ngettext(
        "Too many failed logins. Try again in %(minutes)s minute, or ask an administrator to "
        "lift the lock.",
        "Too many failed logins. Try again in %(minutes)s minutes, or ask an administrator to "
        "lift the lock.",
        minutes,
    ) % {"minutes": minutes}
    response = render(
        request,
        "gratisz/login.html",
        {"form": AuthenticationForm(request), "next": _next_url(request), "locked_out": message},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code of the user's confirmed authenticator."""
    if is_verified(request.user):
        return redirect(_next_url(request))
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).first()
    if device is None:
        return redirect(_with_next("otp-enrol", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            form.add_error(None, _("Too many wrong codes. Wait a little and try again."))
        elif device.verify_token(form.cleaned_data["token"]):
            _second_factor_passed(request, device)
            return redirect(_next_url(request))
        else:
            form.add_error("token", _("The code is wrong or has expired."))
    return render(request, "gratisz/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol the first authenticator of a user who has none, by QR code.

    A user who already has a confirmed device cannot enrol another here: knowing the password
    alone must never be enough to add a second factor.
    """
    if TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists():
        return redirect(_with_next("otp-verify", request))
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "GrATISZ"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _second_factor_passed(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is wrong or has expired."))
    svg = BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(svg)
    context = {
        "form": form,
        "next": _next_url(request),
        # The SVG is generated here from our own data; it carries no user input but the URL.
        "qr_svg": mark_safe(svg.getvalue().decode()),  # noqa: S308
        "secret": b32encode(device.bin_key).decode(),
    }
    return render(request, "gratisz/otp_enrol.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the areas this user's roles open; a partner manager goes straight to the portal."""
    user = request.user
    if user.has_perm("gratisz.manage_own_firm") and not user.is_staff:
        return redirect("partner-portal:home")
    return render(request, "gratisz/home.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer an uncaught error: 503 while the database is unreachable, otherwise 500.

    Renders without the request context (no session, no user), so that it works when the
    database is down; Django reconnects by itself once it is back (CONN_HEALTH_CHECKS).
    """
    error = sys.exc_info()[1]
    # The driver's own errors too: psycopg raises them unwrapped from a server-side cursor's
    # close when PostgreSQL shuts down mid-iteration (bench/faults.py postgres saw one 500).
    # Every backend's wrapper has its driver module; the stubs declare none of them.
    driver = connection.Database  # type: ignore[attr-defined]
    if isinstance(
        error, OperationalError | InterfaceError | driver.OperationalError | driver.InterfaceError
    ):
        logger.error("database unavailable: %s", type(error).__name__)
        html = render_to_string("503.html")
        return HttpResponse(html, status=503, headers={"Retry-After": "30"})
    return HttpResponse(render_to_string("500.html"), status=500)
