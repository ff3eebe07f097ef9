"""Faithful local stand-ins for the outside world: an SMTP server and a fax API over HTTP."""

import asyncio
import email
import email.policy
import socket
import threading
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from tests.loopback import LoopbackServer, QuietJsonHandler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Keep each accepted message; optionally hold the first DATA until released (then 451)."""

    def __init__(self, hold_first: bool = False):
        self.messages: list[email.message.EmailMessage] = []
        self.hold_first = hold_first
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold_first:
            self.hold_first = False
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Connection lost, message not accepted"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 2.0.0 Message accepted for delivery"

    def pdf_attachments(self, message) -> list[bytes]:
        return [
            part.get_content()
            for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"
        ]


class SMTPServer:
    """A real SMTP server (aiosmtpd) on a fixed port that tests can start and stop."""

    def __init__(self, port: int, handler: RecordingHandler | None = None):
        self.port = port
        self.handler = handler or RecordingHandler()
        self.controller: Controller | None = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages


class FakeFaxAPI(LoopbackServer):
    """A fax API: POST multipart (to, recipient, file) with a bearer token and Idempotency-Key.

    Answers 201 {"id": ...}; the same Idempotency-Key returns the first fax's id without a
    second transmission. ``fail_with`` makes it answer that status instead.
    """

    def __init__(self, token: str = "fax-secret"):  # noqa: S107 (a test double)
        self.token = token
        self.faxes: list[dict] = []
        self.by_key: dict[str, str] = {}
        self.fail_with: int | None = None
        api = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._answer(401, {"error": "unauthorised"})
                if api.fail_with:
                    return self._answer(api.fail_with, {"error": "failing as told"})
                body = self.rfile.read(int(self.headers["Content-Length"]))
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                form = BytesParser(policy=email.policy.default).parsebytes(head + body)
                fields = {
                    part.get_param("name", header="content-disposition"): part
                    for part in form.iter_parts()
                }
                key = self.headers.get("Idempotency-Key", "")
                if key and key in api.by_key:
                    return self._answer(200, {"id": api.by_key[key], "status": "queued"})
                fax_id = f"fx_{len(api.faxes) + 1}"
                api.faxes.append(
                    {
                        "id": fax_id,
                        "to": fields["to"].get_content().strip(),
                        "pdf": fields["file"].get_content(),
                        "key": key,
                    }
                )
                if key:
                    api.by_key[key] = fax_id
                return self._answer(201, {"id": fax_id, "status": "queued"})

        super().__init__(Handler, path="/v1/faxes")
