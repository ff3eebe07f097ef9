"""The authentication backend: Django's ``ModelBackend``, with a user's permissions read in one
query instead of two."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import Q


class OneQueryModelBackend(ModelBackend):
    """The same logins and the same permissions as Django's ``ModelBackend``. Every page checks
    a permission (``desk_view``, the menu's ``perms``): the user's own permissions and those of
    their groups (the roles, ``gratisz.roles``) come in one query, once a request, as Django's
    two did. Nothing is kept beyond the request: a role taken away holds from the next one."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                own = type(user_obj).user_permissions.through.objects.filter(user=user_obj)
                of_groups = Group.permissions.through.objects.filter(group__user=user_obj)
                permissions = permissions.filter(
                    Q(pk__in=own.values("permission_id"))
                    | Q(pk__in=of_groups.values("permission_id"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                )
            }
        return user_obj._perm_cache
