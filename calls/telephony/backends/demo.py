"""The one-command demo's backend: no provider, each connection is a file the demo phone shows."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import BaseTelephonyBackend

DIAL_FOLDER = "dial"  # the calls placed (callbacks), one file each


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

    def dial(self, *, to, from_, twiml, status_callback, timeout) -> str:
        """Write the new call to ``TELEPHONY_DEMO_FILE_PATH/dial/<call sid>.json``: the demo
        phone rings with it and plays the provider (it answers as the broker)."""
        call_sid = "CA" + secrets.token_hex(16)
        folder = Path(settings.TELEPHONY_DEMO_FILE_PATH) / DIAL_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "call_sid": call_sid,
            "to": to,
            "from": from_,
            "twiml": twiml,
            "status_callback": status_callback,
            "timeout": timeout,
            "at": timezone.now().isoformat(),
        }
        (folder / f"{call_sid}.json").write_text(json.dumps(record, indent=2))
        return call_sid

    @staticmethod
    def dialled() -> list[dict]:
        """Return the calls placed and not yet played by the demo phone, oldest first."""
        folder = Path(settings.TELEPHONY_DEMO_FILE_PATH) / DIAL_FOLDER
        calls = []
        for path in sorted(folder.glob("CA*.json")) if folder.is_dir() else []:
            try:
                calls.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
        return sorted(calls, key=lambda c: c.get("at", ""))

    @staticmethod
    def dialled_done(call_sid: str) -> None:
        """Forget a placed call the demo phone has played to its end."""
        stem = "".join(ch for ch in call_sid if ch.isalnum())[:80]
        (Path(settings.TELEPHONY_DEMO_FILE_PATH) / DIAL_FOLDER / f"{stem}.json").unlink(
            missing_ok=True
        )

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
