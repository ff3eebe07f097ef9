"""The telephony backends, one per provider; ``get_backend`` returns the configured one."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import BaseTelephonyBackend


def get_backend() -> BaseTelephonyBackend:
    """Return an instance of the ``TELEPHONY_BACKEND`` class."""
    return import_string(settings.TELEPHONY_BACKEND)()
