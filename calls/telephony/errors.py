"""How a telephony backend says that the provider did not do what it was asked."""


class TelephonyError(Exception):
    """The provider did not do it."""


class TransientTelephonyError(TelephonyError):
    """The provider failed for now (timeout, 5xx, rate limit); try again soon."""


class PermanentTelephonyError(TelephonyError):
    """The provider refused for good (bad credentials, bad request, not configured)."""


class TelephonyNotConfigured(PermanentTelephonyError):
    """The backend lacks its settings (account, SIP domain); nothing was sent."""


class CallGone(TelephonyError):
    """The call is no longer in progress: the caller hung up while waiting."""


class RecordingNotFound(TelephonyError):
    """The provider has no such recording (not yet, right after it completed, or no longer)."""
