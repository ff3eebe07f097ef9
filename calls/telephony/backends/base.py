"""What every telephony backend offers."""


class BaseTelephonyBackend:
    # Whether the provider keeps the calls' recordings for us to download (and then delete).
    fetches_recordings = False

    def connect(self, *, account_sid: str, call_sid: str, twiml: str, address: str) -> None:
        """Have the provider run ``twiml`` on the call (ringing ``address``). Raises
        ``CallGone``, ``TransientTelephonyError`` or ``PermanentTelephonyError``."""
        raise NotImplementedError

    def recording_download(self, *, account_sid: str, recording_sid: str) -> tuple[bytes, str]:
        """Return the recording's audio and its content type."""
        raise NotImplementedError

    def recording_delete(self, *, account_sid: str, recording_sid: str) -> None:
        """Delete the provider's copy of the recording."""
        raise NotImplementedError
