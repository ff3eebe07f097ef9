from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """The outbox: e-mails waiting to be sent, sent, or failed for good."""

    name = "outbox"
    verbose_name = _("Outgoing e-mail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import services, sweeps

        sweeps.sweep_register("emails", services.emails_sweep)
