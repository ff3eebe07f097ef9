from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "gratisz.api"
    label = "api"
    verbose_name = _("REST API and integrations")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the outgoing webhooks' event sources)
