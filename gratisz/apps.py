from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GratiszConfig(AppConfig):
    name = "gratisz"
    verbose_name = _("Users and roles")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the deploy checks)
        from .locale import require_hungarian_catalog
        from .roles import sync_role_groups

        # Hungarian is the default language: refuse to run (web, worker, command) without it.
        require_hungarian_catalog()
        post_migrate.connect(sync_role_groups, sender=self)
