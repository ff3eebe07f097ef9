from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "gratisz.api"
    label = "api"
    verbose_name = _("REST API and integrations")

    def ready(self) -> None:
        from outbox.sweeps import sweep_register

        # signals connects the outgoing webhooks' event sources.
        from . import signals, tasks  # noqa: F401

        sweep_register("webhooks", tasks.sweep_webhooks)
