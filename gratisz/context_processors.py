"""What every page's template may need from the settings."""

from django.conf import settings
from django.http import HttpRequest


def desk_socket(request: HttpRequest) -> dict[str, str]:
    """The address of the desk's push connection (``DESK_SOCKET_URL``), for the pages that open
    it (the desk, the supervisors' live board)."""
    return {"desk_socket_url": settings.DESK_SOCKET_URL}
