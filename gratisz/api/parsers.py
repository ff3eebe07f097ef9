"""The API's JSON parser: a bounded body and a bounded depth, refused in the API's format.

DRF's own JSONParser reads ``request.body``, which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE
(2.5 MiB) with an exception DRF does not map: a sync batch of the documented size was a 500.
This parser reads the stream itself, up to the view's ``max_body_bytes()`` (the sync endpoint
allows its documented 5,000 records), answers a larger body 413 ``body_too_large``, and a JSON
document nested too deep for the decoder 400 ``parse_error`` instead of a RecursionError.
"""

import codecs
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from . import exceptions


def body_limit(view) -> int:
    limit = getattr(view, "max_body_bytes", None)
    return limit() if callable(limit) else settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BoundedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        limit = body_limit(context.get("view"))
        request = context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise exceptions.BodyTooLarge(details={"max_bytes": limit})
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise exceptions.BodyTooLarge(details={"max_bytes": limit})
        encoding = context.get("encoding") or settings.DEFAULT_CHARSET
        try:
            if codecs.lookup(encoding).name not in ("utf-8", "utf-16", "utf-32"):
                raise LookupError(encoding)
            return json.loads(body.decode(encoding), parse_constant=_no_constants)
        except (LookupError, ValueError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deep") from None


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")
