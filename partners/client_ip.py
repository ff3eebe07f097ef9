"""The address a request came from, as every audit record and limit counts it.

Behind a TLS-terminating proxy ``REMOTE_ADDR`` is the proxy's own address; the client's is in
``X-Forwarded-For``, to which each proxy appends the address it received the request from. Only
the entries our own proxies appended can be trusted (a client can send the header with anything
in it), so with ``TRUSTED_PROXY_COUNT`` = N the client is the N-th address from the right of the
chain ``X-Forwarded-For + REMOTE_ADDR``. N = 0 (the default, no proxy) uses ``REMOTE_ADDR`` and
ignores the header. A request with fewer entries than proxies (one that bypassed them) or an
entry that is not an address falls back to ``REMOTE_ADDR``.

Lives in the lowest layer (partners) so that every app can use this one function; nothing else
reads ``REMOTE_ADDR``.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's IP address (``None`` when the request carries none)."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    chain = [*forwarded, request.META.get("REMOTE_ADDR") or ""]
    if len(chain) <= proxies:
        return remote
    return _address(chain[-(proxies + 1)]) or remote
