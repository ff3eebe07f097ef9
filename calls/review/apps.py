from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """Supervisor review: the call log, timelines, recordings, quality scores, the live board,
    reports and exports."""

    name = "calls.review"
    label = "review"
    verbose_name = _("Call review")
    default_auto_field = "django.db.models.BigAutoField"
