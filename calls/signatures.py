"""Authenticate the telephony provider's webhook requests by their signature.

The validator is chosen by ``TELEPHONY_SIGNATURE_VALIDATOR`` (a class path, like
``EMAIL_BACKEND``). The signed URL is the public one (``PUBLIC_BASE_URL`` + path and query):
behind a TLS-terminating proxy the URL Django sees is not the one the provider signed.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string
from twilio.request_validator import RequestValidator


def public_url(request: HttpRequest) -> str:
    """Return the URL the provider requested, as it is known outside."""
    return settings.PUBLIC_BASE_URL + request.get_full_path()


class SignatureValidator:
    """Tell whether a webhook request really comes from the provider."""

    def is_valid(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def sign(self, url: str, params: dict[str, str]) -> dict[str, str]:
        """Return the headers (as ``HTTP_*`` META keys) that sign a request, for the demo phone."""
        raise NotImplementedError


class TwilioSignatureValidator(SignatureValidator):
    """Twilio and SignalWire: ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, URL + each
    POST parameter's name and value, sorted by name)), checked by twilio's ``RequestValidator``."""

    header = "HTTP_X_TWILIO_SIGNATURE"

    def __init__(self) -> None:
        self._validator = RequestValidator(settings.TELEPHONY_AUTH_TOKEN)

    def is_valid(self, request: HttpRequest) -> bool:
        signature = request.META.get(self.header, "")
        if not signature or request.content_type != "application/x-www-form-urlencoded":
            return False
        return self._validator.validate(public_url(request), request.POST, signature)

    def sign(self, url: str, params: dict[str, str]) -> dict[str, str]:
        return {self.header: self._validator.compute_signature(url, params)}


def get_validator() -> SignatureValidator:
    return import_string(settings.TELEPHONY_SIGNATURE_VALIDATOR)()
