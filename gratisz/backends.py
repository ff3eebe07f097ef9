"""The authentication backend: Django's ``ModelBackend``, with a user's permissions read in one
query instead of two, written once per process instead of compiled on every request."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


class OneQueryModelBackend(ModelBackend):
    """The same logins and the same permissions as Django's ``ModelBackend``. Every page checks
    a permission (``desk_view``, the menu's ``perms``): the user's own permissions and those of
    their groups (the roles, ``gratisz.roles``) come in one query, once a request, as Django's
    two did. Nothing is kept beyond the request: a role taken away holds from the next one.

    The query is SQL written once (``_permissions_sql``): built by the ORM, compiling it cost
    more CPU on every page than running it (a twelfth of a desk page's, bench/load.py)."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as cursor:
                if user_obj.is_superuser:
                    cursor.execute(_permissions_sql(everything=True))
                else:
                    cursor.execute(_permissions_sql(everything=False), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor.fetchall()}
        return user_obj._perm_cache


@cache
def _permissions_sql(*, everything: bool) -> str:
    """``app_label, codename`` of every permission, or (two parameters: the user's key twice)
    of the user's own and those of the user's groups; the tables and columns the models name."""
    # Names from the models' metadata, quoted; the user's key goes as a parameter.
    q = connection.ops.quote_name
    permission, content_type = Permission._meta, ContentType._meta
    user = get_user_model()._meta
    own, member = user.get_field("user_permissions"), user.get_field("groups")
    granted = Group._meta.get_field("permissions")
    sql = (
        f"SELECT ct.{q('app_label')}, p.{q('codename')} FROM {q(permission.db_table)} p "  # noqa: S608
        f"JOIN {q(content_type.db_table)} ct ON ct.{q(content_type.pk.column)} = "
        f"p.{q(permission.get_field('content_type').column)}"
    )
    if everything:
        return sql
    return (
        f"{sql} WHERE p.{q(permission.pk.column)} IN ("  # noqa: S608
        f"SELECT o.{q(own.m2m_reverse_name())} FROM {q(own.m2m_db_table())} o "
        f"WHERE o.{q(own.m2m_column_name())} = %s"
        f") OR p.{q(permission.pk.column)} IN ("
        f"SELECT g.{q(granted.m2m_reverse_name())} FROM {q(granted.m2m_db_table())} g "
        f"JOIN {q(member.m2m_db_table())} m "
        f"ON m.{q(member.m2m_reverse_name())} = g.{q(granted.m2m_column_name())} "
        f"WHERE m.{q(member.m2m_column_name())} = %s)"
    )
