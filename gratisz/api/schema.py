"""OpenAPI schema helpers (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def only_api_v1(endpoints):
    """Keep only the versioned integration API in the schema (not the desk's own JSON views)."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class ClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = "gratisz.api.authentication.ClientTokenAuthentication"
    name = "clientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration client's token (shown once when the client is made).",
        }
