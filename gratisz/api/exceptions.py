"""One error format for the whole API.

Every refusal is ``{"code": ..., "message": ..., "details": ...}``: ``code`` is stable and meant
for programs, ``message`` is for people (Hungarian unless the request's Accept-Language asks for
English), ``details`` carries what is specific (the invalid fields, the missing scope, the seconds
to wait). Unexpected errors are logged and answered in the same shape with code ``server_error``.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response

from .serializers import ErrorSerializer

logger = logging.getLogger(__name__)


class ApiError(drf.APIException):
    """An API refusal with a stable code and a human message."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "error"
    message = _("The request cannot be served.")

    def __init__(self, details=None):
        self.details = details or {}
        super().__init__(detail=self.message, code=self.code)


class NotAuthenticated(ApiError, drf.NotAuthenticated):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    message = _("Send your API token in the Authorization header: Bearer <token>.")


class TokenInvalid(ApiError, drf.AuthenticationFailed):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "token_invalid"
    message = _("The API token is not valid.")


class TokenRevoked(ApiError, drf.AuthenticationFailed):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "token_revoked"
    message = _("The API token has been revoked.")


class ScopeMissing(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "scope_missing"
    message = _("This API client may not use this endpoint.")

    def __init__(self, scope: str):
        super().__init__(details={"required_scope": scope})


class DestinationNotOnFile(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "destination_not_on_file"
    message = _(
        "This API client may deliver only to the policyholder's or the firm's destinations on file."
    )


class BatchTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "batch_too_large"
    message = _("Too many records in one request.")


class BodyTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "body_too_large"
    message = _("The request body is too large.")


class Conflict(ApiError):
    """The request does not fit the current state of what it is about (``code`` says how)."""

    status_code = status.HTTP_409_CONFLICT

    def __init__(self, code: str, message, details=None):
        self.code, self.message = code, message
        super().__init__(details=details)


# DRF's and Django's own exceptions, mapped to our codes and messages.
_BUILTIN = [
    (drf.NotAuthenticated, "not_authenticated", NotAuthenticated.message),
    (drf.AuthenticationFailed, "token_invalid", TokenInvalid.message),
    (drf.PermissionDenied, "permission_denied", _("You may not do this.")),
    (drf.NotFound, "not_found", _("Not found.")),
    (drf.MethodNotAllowed, "method_not_allowed", _("This method is not allowed here.")),
    (drf.NotAcceptable, "not_acceptable", _("The requested response format is not offered.")),
    (
        drf.UnsupportedMediaType,
        "unsupported_media_type",
        _("Send the request body as JSON (Content-Type: application/json)."),
    ),
    (drf.ParseError, "parse_error", _("The request body is not valid JSON.")),
    (drf.Throttled, "throttled", _("Too many requests; try again later.")),
    (drf.ValidationError, "invalid", _("The request is not valid; see the details.")),
]


def _body(code: str, message, details) -> dict:
    return ErrorSerializer({"code": code, "message": str(message), "details": details}).data


def api_exception_handler(exc, context):
    """Render every exception raised in an API view in the one error format."""
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # a form body over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = BodyTooLarge(details={"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    headers = {}
    if isinstance(exc, drf.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)

    if isinstance(exc, ApiError):
        return Response(
            _body(exc.code, exc.message, exc.details), status=exc.status_code, headers=headers
        )
    for cls, code, message in _BUILTIN:
        if isinstance(exc, cls):
            if isinstance(exc, drf.ValidationError):
                details = exc.detail if isinstance(exc.detail, dict) else {"errors": exc.detail}
            elif isinstance(exc, drf.Throttled):
                details = {"retry_after": int(exc.wait) + 1 if exc.wait is not None else None}
            else:
                details = {}
            return Response(_body(code, message, details), status=exc.status_code, headers=headers)
    if isinstance(exc, drf.APIException):
        return Response(
            _body("error", str(exc.detail), {}), status=exc.status_code, headers=headers
        )
    logger.exception("API view failed", exc_info=exc)
    return Response(
        _body("server_error", _("Something went wrong on our side; the error is logged."), {}),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
