"""Append-only audit records: written once by the services, never changed or deleted.

Here, in the lowest layer of the apps, so that every app's models and admin can use it.

``AppendOnly`` guards a model's rows at the ORM level: saving a row that is already stored, or
deleting one, raises ``AppendOnlyError`` for everyone, superusers included (the admin offers
neither; this catches any code path that would). Bulk ``QuerySet.update``/``delete`` and the
deletion of a firm's or call's rows by cascade are not instance operations and stay possible for
the data-retention jobs; no service uses them on these models.

``ViewOnlyAdmin`` is the admin of such a model: lists and change pages to read, no add, change
or delete, for the superuser too.
"""


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete a stored audit record."""


class AppendOnly:
    """Mixin for a ``models.Model``: its stored rows are never saved again nor deleted."""

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label}: audit records are never changed")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label}: audit records are never deleted")


class ViewOnlyAdmin:
    """Mixin for a ``ModelAdmin`` or inline: look, never add, change or delete (superusers too)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
