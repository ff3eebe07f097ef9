"""Bearer-token authentication of integration clients.

The client sends ``Authorization: Bearer <token>``. The token is hashed and the digest looked up
by its unique index; the stored digest is then compared with ``hmac.compare_digest`` so that no
step depends on how much of a secret matched. The token itself is never logged nor stored.
"""

import datetime
import hmac

from django.utils import timezone
from rest_framework import authentication

from . import exceptions
from .models import ApiClient
from .tokens import token_digest

# last_used_at is a hint for the administrator, not an audit trail: write it at most this often
# so that a busy client does not turn every read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ClientTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.TokenInvalid()
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.TokenInvalid() from None
        digest = token_digest(token)
        client = ApiClient.objects.filter(token_hash=digest).first()
        if client is None or not hmac.compare_digest(client.token_hash, digest):
            raise exceptions.TokenInvalid()
        if not client.is_active:
            raise exceptions.TokenRevoked()
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        return client, None

    def authenticate_header(self, request):
        # A 401 (not a 403) with the scheme, as RFC 6750 asks.
        return f'{self.keyword} realm="api"'
