"""The one-command demo's backend: no provider, each connection is a file the demo phone shows."""

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import BaseTelephonyBackend


class DemoBackend(BaseTelephonyBackend):
    """Write each connection to ``TELEPHONY_DEMO_FILE_PATH/<call sid>.json`` (the TwiML the
    provider would have received); the same call again overwrites, never adds. Keeps no
    recordings."""

    def connect(self, *, account_sid, call_sid, twiml, address) -> None:
        folder = Path(settings.TELEPHONY_DEMO_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "account_sid": account_sid,
            "call_sid": call_sid,
            "twiml": twiml,
            "address": address,
            "at": timezone.now().isoformat(),
        }
        _demo_file(call_sid).write_text(json.dumps(record, indent=2))

    @staticmethod
    def recorded(call_sid: str) -> dict | None:
        """Return the connection recorded for ``call_sid``, if any."""
        try:
            return json.loads(_demo_file(call_sid).read_text())
        except (OSError, ValueError):
            return None


def _demo_file(call_sid: str) -> Path:
    stem = "".join(ch if ch.isalnum() else "_" for ch in call_sid)[:80]
    return Path(settings.TELEPHONY_DEMO_FILE_PATH) / f"{stem}.json"
