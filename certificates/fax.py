"""Fax transports, chosen by ``CERTIFICATES_FAX_BACKEND`` like Django's ``EMAIL_BACKEND``.

- ``EmailGatewayFaxBackend``: an e-mail-to-fax gateway (``<number>@<gateway domain>``, the PDF
  attached), through Django's e-mail backend.
- ``FileFaxBackend``: the demo; each fax is a PDF and a JSON envelope in a folder.
- ``HttpFaxBackend``: a fax API (multipart POST of the PDF with the number, bearer token and an
  ``Idempotency-Key`` header, the convention of Documo, InterFAX and Sinch-like APIs); 5xx and
  network errors are temporary, other 4xx are permanent.

``send`` returns the transport's reference and raises ``TransientDeliveryError`` or
``PermanentDeliveryError``.
"""

import json
import smtplib
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from outbox.services import smtp_failure


class TransientDeliveryError(Exception):
    """The transport failed for now; try again later."""

    retry_in: int = 0


class PermanentDeliveryError(Exception):
    """The transport refused for good (bad number, rejected recipient)."""


def smtp_delivery_error(exc: Exception, *, via: str = "") -> Exception:
    """Return the delivery error a mail server's error means (the outbox's classification:
    a 5xx refusal is permanent, anything else temporary)."""
    failure = smtp_failure(exc)
    error = PermanentDeliveryError if failure.permanent else TransientDeliveryError
    return error(f"{via}{failure.detail}")


class BaseFaxBackend:
    def send(
        self,
        *,
        number: str,
        recipient_name: str,
        filename: str,
        content: bytes,
        idempotency_key: str,
    ) -> str:
        raise NotImplementedError


class FileFaxBackend(BaseFaxBackend):
    """Write each fax to ``CERTIFICATES_FAX_FILE_PATH`` (the same key overwrites, not adds)."""

    def send(self, *, number, recipient_name, filename, content, idempotency_key) -> str:
        folder = Path(settings.CERTIFICATES_FAX_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        stem = "".join(ch if ch.isalnum() else "_" for ch in idempotency_key).strip("_")
        (folder / f"{stem}.pdf").write_bytes(content)
        envelope = {
            "to": number,
            "recipient": recipient_name,
            "filename": filename,
            "idempotency_key": idempotency_key,
            "written_at": timezone.now().isoformat(),
        }
        (folder / f"{stem}.json").write_text(json.dumps(envelope, ensure_ascii=False, indent=2))
        return f"file:{stem}"


class EmailGatewayFaxBackend(BaseFaxBackend):
    """Send the PDF to ``<digits>@CERTIFICATES_FAX_GATEWAY_DOMAIN``."""

    def send(self, *, number, recipient_name, filename, content, idempotency_key) -> str:
        digits = "".join(ch for ch in number if ch in "0123456789")
        message = EmailMessage(
            subject=recipient_name or digits,
            body="",
            to=[f"{digits}@{settings.CERTIFICATES_FAX_GATEWAY_DOMAIN}"],
            headers={"Message-ID": idempotency_key},
            attachments=[(filename, content, "application/pdf")],
        )
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_delivery_error(exc, via="fax gateway: ") from exc
        return idempotency_key


class HttpFaxBackend(BaseFaxBackend):
    """POST the PDF to ``CERTIFICATES_FAX_API_URL`` (multipart: ``to``, ``recipient``, ``file``)."""

    def send(self, *, number, recipient_name, filename, content, idempotency_key) -> str:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (("to", number), ("recipient", recipient_name)):
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is our own setting)
            settings.CERTIFICATES_FAX_API_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Authorization": f"Bearer {settings.CERTIFICATES_FAX_API_TOKEN}",
                "Idempotency-Key": idempotency_key,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.CERTIFICATES_SEND_TIMEOUT
            ) as response:
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode(errors="replace")
            if exc.code >= 500 or exc.code in (408, 409, 425, 429):
                raise TransientDeliveryError(f"fax API {exc.code}: {detail}") from exc
            raise PermanentDeliveryError(f"fax API {exc.code}: {detail}") from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise TransientDeliveryError(f"fax API unreachable: {exc}") from exc
        return str(payload.get("id", ""))
