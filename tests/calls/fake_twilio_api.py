"""A faithful local stand-in for Twilio's REST API: the Calls resource's create (a new outbound
call) and update (redirect), and the Recordings resource (media and delete).

``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` with ``To``, ``From`` and ``Twiml`` (or
``Url``), optionally ``StatusCallback``, ``StatusCallbackEvent`` (repeated), ``Timeout``:
201 with the new call's JSON (status ``queued``, direction ``outbound-api``); 400 with error
21201/21205/21213 when ``To``, ``Twiml``/``Url`` or ``From`` is missing.

``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`` with a form-encoded body
(``Twiml=...`` or ``Url=...``), HTTP Basic auth ``AccountSid:AuthToken``. Answers as Twilio
does: 200 with the call's JSON; 401 with error 20003 for bad credentials; 404 with error 20404
for an unknown call; 400 with error 21220 for a call no longer in progress.

``GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3`` (``.wav``, ``.json``)
and ``DELETE …/Recordings/{RecordingSid}.json`` (204, no body), Basic auth required, 404 with
error 20404 for an unknown recording. With ``media_storage`` the media answer is what Twilio
sends: a 302 to a pre-signed URL on a storage host of its own (another loopback server), which
refuses a request that also carries an ``Authorization`` header, as S3 does.
"""

import base64
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer, QuietJsonHandler

CALLS_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Calls\.json$")
CALL_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Calls/(?P<call>[^/]+)\.json$")
RECORDING_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Recordings/(?P<recording>[^/.]+)"
    r"\.(?P<format>mp3|wav|json)$"
)
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/x-wav"}


class FakeTwilioAPI(LoopbackServer):
    """Keep each accepted redirect in ``redirects``; ``calls`` maps call SIDs to their status
    (an unknown SID is a 404). ``fail_next`` answers the next requests with those statuses
    (e.g. ``[503, 503]``) before behaving again. ``while_handling``, if set, is called (in the
    server's thread) with each redirect's form before it is answered: what happens elsewhere
    while the provider is being asked.

    ``recordings`` maps recording SIDs to their MP3 audio (an unknown SID is a 404); each media
    request is kept in ``media_requests`` and each accepted deletion in ``deleted``.
    ``fail_next`` also answers recording requests; ``cut_media_next`` cuts off that many next
    media answers halfway (the connection drops). ``media_storage`` (a ``FakeMediaStorage``)
    has the media served as Twilio does, through a redirect to the storage host."""

    def __init__(self, account_sid: str, auth_token: str, media_storage=None):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.calls: dict[str, str] = {}
        self.redirects: list[dict] = []
        self.created: list[dict] = []  # each call placed (its form; StatusCallbackEvent a list)
        self.requests = 0
        self.fail_next: list[int] = []
        self.while_handling = None
        self.recordings: dict[str, bytes] = {}
        self.media_requests: list[str] = []
        self.deleted: list[str] = []
        self.cut_media_next = 0
        self.media_storage = media_storage
        api = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                api.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self._authorised():
                    return self._error(401, 20003, "Authenticate")
                created = CALLS_PATH.match(self.path)
                if created is not None and created["account"] == api.account_sid:
                    return self._create(body)
                match = CALL_PATH.match(self.path)
                if match is None or match["account"] != api.account_sid:
                    return self._error(404, 20404, "The requested resource was not found")
                if api.fail_next:
                    return self._error(api.fail_next.pop(0), 20500, "Internal Server Error")
                if self.headers.get("Content-Type", "").split(";")[0] != (
                    "application/x-www-form-urlencoded"
                ):
                    return self._error(400, 20001, "Invalid content type")
                lists = parse_qs(body.decode(), strict_parsing=True)
                form = {k: v[0] for k, v in lists.items()}
                call_sid = match["call"]
                status = api.calls.get(call_sid)
                if status is None:
                    return self._error(
                        404, 20404, f"The requested resource {self.path} was not found"
                    )
                if not (form.get("Twiml") or form.get("Url")):
                    return self._error(400, 21201, "No 'Twiml' or 'Url' provided")
                if status not in ("queued", "ringing", "in-progress"):
                    return self._error(400, 21220, "Call is not in-progress. Cannot redirect.")
                if api.while_handling is not None:
                    api.while_handling(form)
                api.redirects.append({"call_sid": call_sid, **form})
                return self._answer(
                    200,
                    {
                        "sid": call_sid,
                        "account_sid": api.account_sid,
                        "status": status,
                        "direction": "inbound",
                        "api_version": "2010-04-01",
                        "uri": self.path,
                    },
                )

            def _create(self, body: bytes):
                """``Calls.json``: place a new outbound call, as Twilio answers it."""
                if api.fail_next:
                    return self._error(api.fail_next.pop(0), 20500, "Internal Server Error")
                lists = parse_qs(body.decode(), strict_parsing=True)
                form = {k: v[0] for k, v in lists.items()}
                if not form.get("To"):
                    return self._error(400, 21201, "No 'To' number is specified")
                if not form.get("From"):
                    return self._error(400, 21213, "No 'From' number is specified")
                if not (form.get("Twiml") or form.get("Url")):
                    return self._error(400, 21205, "Url parameter is required")
                call_sid = "CA" + secrets.token_hex(16)
                api.calls[call_sid] = "queued"
                api.created.append(
                    {
                        "call_sid": call_sid,
                        **form,
                        "StatusCallbackEvent": lists.get("StatusCallbackEvent", []),
                    }
                )
                return self._answer(
                    201,
                    {
                        "sid": call_sid,
                        "account_sid": api.account_sid,
                        "to": form["To"],
                        "from": form["From"],
                        "status": "queued",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": self.path.replace(".json", f"/{call_sid}.json"),
                    },
                )

            def do_GET(self):
                recording_sid, fmt = self._recording()
                if recording_sid is None:
                    return None
                if fmt == "json":
                    return self._answer(
                        200,
                        {
                            "sid": recording_sid,
                            "account_sid": api.account_sid,
                            "status": "completed",
                            "api_version": "2010-04-01",
                            "uri": self.path,
                        },
                    )
                api.media_requests.append(recording_sid)
                audio = api.recordings[recording_sid]
                if api.media_storage is not None:
                    self.send_response(302)
                    self.send_header("Location", api.media_storage.sign(audio, MEDIA_TYPES[fmt]))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return _send_media(self, audio, MEDIA_TYPES[fmt], api)

            def do_DELETE(self):
                recording_sid, fmt = self._recording()
                if recording_sid is None:
                    return None
                if fmt != "json":
                    return self._error(405, 20004, "Method not allowed")
                del api.recordings[recording_sid]
                api.deleted.append(recording_sid)
                return self._answer(204)

            def _recording(self) -> tuple[str | None, str]:
                """Check the request as Twilio does; answer the error and return ``None``, or
                return the recording's SID and the asked format."""
                api.requests += 1
                if not self._authorised():
                    self._error(401, 20003, "Authenticate")
                    return None, ""
                match = RECORDING_PATH.match(urlsplit(self.path).path)
                if match is None or match["account"] != api.account_sid:
                    self._error(404, 20404, "The requested resource was not found")
                    return None, ""
                if api.fail_next:
                    status = api.fail_next.pop(0)
                    self._error(status, 20404 if status == 404 else 20500, "Failed")
                    return None, ""
                if match["recording"] not in api.recordings:
                    self._error(404, 20404, f"The requested resource {self.path} was not found")
                    return None, ""
                return match["recording"], match["format"]

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                expected = base64.b64encode(f"{api.account_sid}:{api.auth_token}".encode()).decode()
                return header == f"Basic {expected}"

            def _error(self, status: int, code: int, message: str):
                return self._answer(
                    status,
                    {
                        "code": code,
                        "message": message,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status,
                    },
                )

        super().__init__(Handler)


def _send_media(handler, audio: bytes, content_type: str, server) -> None:
    """Send ``audio``; while ``server.cut_media_next`` is set, only half of it before the
    connection drops (the Content-Length still announces all of it)."""
    cut = server.cut_media_next > 0
    if cut:
        server.cut_media_next -= 1
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(audio)))
    handler.end_headers()
    handler.wfile.write(audio[: len(audio) // 2] if cut else audio)
    if cut:
        handler.close_connection = True


class FakeMediaStorage(LoopbackServer):
    """The storage host Twilio's media URLs redirect to: ``GET /<signature>`` serves what was
    signed, for a pre-signed URL only. A request that also carries an ``Authorization``
    header is refused with 400, as S3 does ("Only one auth mechanism allowed"); each request's
    headers are kept in ``requests``. ``cut_media_next`` as for ``FakeTwilioAPI``."""

    def __init__(self):
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.requests: list[dict] = []
        self.cut_media_next = 0
        storage = self

        class Handler(QuietJsonHandler):
            def do_GET(self):
                storage.requests.append(dict(self.headers))
                if self.headers.get("Authorization"):
                    body = b"<Error><Code>InvalidArgument</Code></Error>"
                    self.send_response(400)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                found = storage.objects.get(urlsplit(self.path).path.lstrip("/"))
                if found is None:
                    self._answer(403, {"error": "AccessDenied"})
                    return
                _send_media(self, found[0], found[1], storage)

        super().__init__(Handler)

    def sign(self, audio: bytes, content_type: str) -> str:
        signature = secrets.token_urlsafe(16)
        self.objects[signature] = (audio, content_type)
        return f"{self.url}/{signature}"
