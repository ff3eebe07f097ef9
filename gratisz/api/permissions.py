"""Scope checks: each view names the scope its client must hold."""

from rest_framework.permissions import BasePermission

from . import exceptions
from .models import ApiClient


class HasScope(BasePermission):
    """Let through an authenticated API client that holds the view's ``required_scope``."""

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated()
        if not client.has_scope(view.required_scope):
            raise exceptions.ScopeMissing(view.required_scope)
        return True
