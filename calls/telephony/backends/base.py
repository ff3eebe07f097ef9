"""What every telephony backend offers."""


class BaseTelephonyBackend:
    # Whether the provider keeps the calls' recordings for us to download (and then delete).
    fetches_recordings = False

    def connect(self, *, account_sid: str, call_sid: str, twiml: str, address: str) -> None:
        """Have the provider run ``twiml`` on the call (ringing ``address``). Raises
        ``CallGone``, ``TransientTelephonyError`` or ``PermanentTelephonyError``."""
        raise NotImplementedError

    def dial(self, *, to: str, from_: str, twiml: str, status_callback: str, timeout: int) -> str:
        """Have the provider place a new call to ``to`` (the agent's phone) showing ``from_``,
        run ``twiml`` once it answers, and report the call's status to ``status_callback``.
        Returns the provider's id of the call. Raises ``TransientTelephonyError`` or
        ``PermanentTelephonyError``."""
        raise NotImplementedError

    def recording_download(self, *, account_sid: str, recording_sid: str) -> tuple[bytes, str]:
        """Return the recording's audio and its content type."""
        raise NotImplementedError

    def recording_delete(self, *, account_sid: str, recording_sid: str) -> None:
        """Delete the provider's copy of the recording."""
        raise NotImplementedError
