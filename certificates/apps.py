from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from outbox.sweeps import sweep_register

        from . import (
            checks,  # noqa: F401  (registers the deployment checks)
            tasks,
        )

        sweep_register("certificates", tasks.sweep_deliveries)
