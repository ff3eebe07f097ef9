"""Request limits per API client (not per IP: many clients may share a NAT, one client may
run several workers)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiClient


class ClientRateThrottle(SimpleRateThrottle):
    cache_format = "api-throttle:%(scope)s:%(ident)s"
    scope = "client"

    def get_rate(self):
        # Resolved per request in allow_request, from the client's own limit.
        return None

    def allow_request(self, request, view):
        client = request.user
        if not isinstance(client, ApiClient):
            return True  # refused later by the permission check
        self.rate = client.throttle_rate or settings.API_DEFAULT_THROTTLE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
