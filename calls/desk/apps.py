from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The agent desk: taking verified calls, answering from the partner's portfolio only,
    and recording every request, disclosure and outcome on the call's ticket."""

    name = "calls.desk"
    label = "desk"
    verbose_name = _("Agent desk")
    default_auto_field = "django.db.models.BigAutoField"
