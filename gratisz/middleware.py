import functools
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from boundary.sessions import is_passive


class IdleSessionMiddleware:
    """End a session ``SESSION_COOKIE_AGE`` seconds after the user's last own request.

    A view that answers a page's own poll calls ``boundary.sessions.mark_passive``: it is not
    the user's activity, so a desk left open with nobody at it is still logged out. Every other
    request moves the expiry, by saving the session; a poll only reads it. (Django's
    ``SESSION_SAVE_EVERY_REQUEST`` would count the polls too.) The save writes the session's
    row, so it happens once the expiry last saved (kept in the session) has fallen a thirtieth
    of the idle time behind: an agent's busy day writes the row once a minute, not on every
    click, and an idle session ends 29 to 30 minutes after the user's last request. Goes after
    ``SessionMiddleware``.
    """

    ACTIVE_UNTIL = "_active_until"  # when the session saved last runs out (Unix time)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        # An empty session (nobody logged in) is not saved: it would only start a session row.
        if not is_passive(request) and not session.is_empty():
            idle = settings.SESSION_COOKIE_AGE
            until = time.time() + idle
            if session.get(self.ACTIVE_UNTIL, 0) < until - idle / 30:
                session[self.ACTIVE_UNTIL] = round(until)
        return response


# Pages an authenticated but not yet OTP-verified session may reach: the second-factor steps,
# logging out, switching the language, static files, and the machine-to-machine endpoints that
# authenticate by their own means (telephony signature, API token) or are public by design.
_OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/ivr/", "/api/", "/verify/", "/health/")


class WebhooksOnlyMiddleware:
    """On the telephony webhooks' own server (``gratisz.settings_ivr``), answer the webhooks
    and the health checks only: any other path is a 404, never a page served without the
    site's session, authentication and second-factor middleware. The provider's requests name
    no language: everything there answers in the site's (a thread keeps the language a request
    before it activated)."""

    PREFIXES = ("/ivr/", "/health/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(settings.LANGUAGE_CODE)
        if not request.path_info.startswith(self.PREFIXES):
            raise Http404
        return self.get_response(request)


class RequireOTPMiddleware:
    """Send a session that passed the password but not the second factor to the OTP step.

    Runs after django-otp's ``OTPMiddleware``, which sets ``request.user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path_info.startswith(_OPEN_PREFIXES)
        ):
            return redirect(f"{reverse('otp-verify')}?next={request.get_full_path()}")
        return self.get_response(request)


@functools.cache
def content_security_policy(desk_socket_url: str) -> str:
    """The policy of every page: connections go to this site, and to the desk's push server
    where it listens apart (``DESK_SOCKET_URL``, a ws(s):// URL)."""
    socket = urlsplit(desk_socket_url)
    connect = f"'self' {socket.scheme}://{socket.netloc}" if socket.netloc else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "media-src 'self'",
            "font-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy that allows no inline or foreign script.

    Scripts, styles, images and fonts come from this site only; inline style attributes are
    tolerated (they cannot run code). Pages are never framed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(settings.DESK_SOCKET_URL)
        )
        return response


class NoStoreMiddleware:
    """Forbid every cache (the browser's, a shared proxy's) to keep what a logged-in user saw.

    Every response to an authenticated request, and every API response, carries personal data
    or may: ``Cache-Control: no-store`` (with Django's ``never_cache`` set: ``max-age=0,
    no-cache, no-store, must-revalidate, private``), so that the back button after logging out
    or the next user of a shared computer finds nothing. Public pages (the login page, the
    certificate verification) keep their own headers. Goes after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path_info.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
