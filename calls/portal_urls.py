"""The partner portal's pages on calls, mounted at ``/partner/`` beside the portal's own."""

from django.urls import re_path

from . import portal_views

app_name = "partner-calls"
GRID = r"(?P<grid>[0-9]{9})"

urlpatterns = [
    re_path(rf"^{GRID}/calls/$", portal_views.firm_calls, name="calls"),
    re_path(rf"^{GRID}/security/$", portal_views.firm_failures, name="failures"),
    re_path(rf"^referent/{GRID}/calls/$", portal_views.referent_calls, name="referent-calls"),
    re_path(
        rf"^referent/{GRID}/security/$", portal_views.referent_failures, name="referent-failures"
    ),
]
