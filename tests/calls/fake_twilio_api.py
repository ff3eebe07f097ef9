"""A faithful local stand-in for Twilio's REST API: the Calls resource's update (redirect).

``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`` with a form-encoded body
(``Twiml=...`` or ``Url=...``), HTTP Basic auth ``AccountSid:AuthToken``. Answers as Twilio
does: 200 with the call's JSON; 401 with error 20003 for bad credentials; 404 with error 20404
for an unknown call; 400 with error 21220 for a call no longer in progress.
"""

import base64
import re
from urllib.parse import parse_qs

from tests.loopback import LoopbackServer, QuietJsonHandler

CALL_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Calls/(?P<call>[^/]+)\.json$")


class FakeTwilioAPI(LoopbackServer):
    """Keep each accepted redirect in ``redirects``; ``calls`` maps call SIDs to their status
    (an unknown SID is a 404). ``fail_next`` answers the next requests with those statuses
    (e.g. ``[503, 503]``) before behaving again. ``while_handling``, if set, is called (in the
    server's thread) with each redirect's form before it is answered: what happens elsewhere
    while the provider is being asked."""

    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.calls: dict[str, str] = {}
        self.redirects: list[dict] = []
        self.requests = 0
        self.fail_next: list[int] = []
        self.while_handling = None
        api = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                api.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self._authorised():
                    return self._error(401, 20003, "Authenticate")
                match = CALL_PATH.match(self.path)
                if match is None or match["account"] != api.account_sid:
                    return self._error(404, 20404, "The requested resource was not found")
                if api.fail_next:
                    return self._error(api.fail_next.pop(0), 20500, "Internal Server Error")
                if self.headers.get("Content-Type", "").split(";")[0] != (
                    "application/x-www-form-urlencoded"
                ):
                    return self._error(400, 20001, "Invalid content type")
                form = {k: v[0] for k, v in parse_qs(body.decode(), strict_parsing=True).items()}
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
