from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secrets(app_configs, **kwargs):
    """Refuse to call a production configuration clean while it runs on the demo secrets."""
    errors = []
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY:
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is the demo value published with the source code.",
                hint="Set DJANGO_SECRET_KEY to a long random secret of this installation.",
                id="gratisz.E006",
            )
        )
    if settings.DIREKT_CODE_PEPPER == settings.DEMO_DIREKT_CODE_PEPPER:
        errors.append(
            Error(
                "DIREKT_CODE_PEPPER is the demo value.",
                hint="Set DIREKT_CODE_PEPPER to a long random secret kept outside the database.",
                id="gratisz.E001",
            )
        )
    elif settings.DIREKT_CODE_PEPPER == settings.SECRET_KEY:
        errors.append(
            Error(
                "DIREKT_CODE_PEPPER equals DJANGO_SECRET_KEY.",
                hint="Use a separate secret, so that rotating one does not void the other.",
                id="gratisz.E002",
            )
        )
    if len(settings.DIREKT_CODE_PEPPER) < 32:
        errors.append(
            Error(
                "DIREKT_CODE_PEPPER is shorter than 32 characters.",
                id="gratisz.E003",
            )
        )
    if settings.TELEPHONY_AUTH_TOKEN == settings.DEMO_TELEPHONY_AUTH_TOKEN:
        errors.append(
            Error(
                "TELEPHONY_AUTH_TOKEN is the demo value.",
                hint="Set it to the telephony provider's auth token.",
                id="gratisz.E004",
            )
        )
    return errors


DEMO_TELEPHONY_BACKEND = "calls.telephony.backends.demo.DemoBackend"
TWILIO_TELEPHONY_BACKEND = "calls.telephony.backends.twilio.TwilioBackend"


@register(Tags.security, deploy=True)
def check_telephony(app_configs, **kwargs):
    """Refuse a production that would put no caller through: the demo backend only writes
    files; Twilio needs the account and the agents' SIP domain."""
    if settings.TELEPHONY_BACKEND == DEMO_TELEPHONY_BACKEND:
        return [
            Error(
                "TELEPHONY_BACKEND is the demo backend: no caller is put through to an agent.",
                hint=f"Set TELEPHONY_BACKEND={TWILIO_TELEPHONY_BACKEND} (or another backend).",
                id="gratisz.E005",
            )
        ]
    if settings.TELEPHONY_BACKEND == TWILIO_TELEPHONY_BACKEND and not (
        settings.TELEPHONY_ACCOUNT_SID and settings.TELEPHONY_SIP_DOMAIN
    ):
        return [
            Warning(
                "TELEPHONY_ACCOUNT_SID or TELEPHONY_SIP_DOMAIN is not set: taken calls cannot be "
                "put through to the agents' phones.",
                hint="Set the provider's account SID and the SIP domain the agents' phones are on.",
                id="gratisz.W001",
            )
        ]
    return []


@register()
def check_desk_socket(app_configs, **kwargs):
    """The desk's push address is a path on this site or a websocket URL (``DESK_SOCKET_URL``):
    anything else leaves every desk polling."""
    url = urlsplit(settings.DESK_SOCKET_URL)
    if url.scheme == "ws" and url.netloc and settings.SECURE_SSL_REDIRECT:
        return [
            Warning(
                "DESK_SOCKET_URL is a ws:// URL, but the pages are served over https: browsers "
                "refuse it (mixed content) and every desk falls back to polling.",
                hint="Give the push server's wss:// URL, or /ws/desk/ behind the TLS proxy.",
                id="gratisz.W002",
            )
        ]
    if (url.scheme in ("ws", "wss") and url.netloc) or (
        not url.scheme and not url.netloc and url.path.startswith("/")
    ):
        return []
    return [
        Error(
            f"DESK_SOCKET_URL is neither a path nor a websocket URL: {settings.DESK_SOCKET_URL!r}.",
            hint="Leave it at /ws/desk/, or give the push server's ws:// or wss:// URL.",
            id="gratisz.E007",
        )
    ]
