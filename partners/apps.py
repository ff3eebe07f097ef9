from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners and portfolio")

    def ready(self):
        from django.db.backends.signals import connection_created

        from .search import register_sqlite_functions

        # The search functions of partners.search, on every SQLite connection.
        connection_created.connect(register_sqlite_functions, dispatch_uid="gratisz_search")
