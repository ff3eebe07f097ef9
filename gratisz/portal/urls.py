"""The partner portal, mounted at ``/partner/``."""

from django.urls import path, re_path

from . import views

app_name = "partner-portal"
GRID = r"(?P<grid>[0-9]{9})"

urlpatterns = [
    path("", views.home, name="home"),
    path("invitation/<ref:token>/", views.invitation_accept, name="invitation"),
    path("referent/", views.referent_home, name="referent-home"),
    re_path(rf"^referent/{GRID}/$", views.referent_firm, name="referent-firm"),
    re_path(rf"^referent/{GRID}/firm/$", views.referent_firm_edit, name="referent-firm-edit"),
    re_path(rf"^referent/{GRID}/invite/$", views.referent_invite, name="referent-invite"),
    re_path(rf"^referent/{GRID}/unlock/$", views.referent_unlock, name="referent-unlock"),
    re_path(
        rf"^referent/{GRID}/reregister/$", views.referent_reregister, name="referent-reregister"
    ),
    re_path(
        rf"^referent/{GRID}/managers/(?P<manager_id>[0-9]+)/revoke/$",
        views.referent_manager_revoke,
        name="referent-manager-revoke",
    ),
    re_path(rf"^{GRID}/$", views.firm_detail, name="firm"),
    re_path(rf"^{GRID}/register/$", views.firm_register, name="register"),
    re_path(rf"^{GRID}/codes/$", views.firm_rotate, name="rotate"),
    re_path(rf"^{GRID}/unlock/$", views.firm_unlock, name="unlock"),
    re_path(rf"^{GRID}/managers/$", views.firm_managers, name="managers"),
    re_path(
        rf"^{GRID}/managers/(?P<manager_id>[0-9]+)/revoke/$",
        views.firm_manager_revoke,
        name="manager-revoke",
    ),
    re_path(rf"^{GRID}/calls/$", views.firm_calls, name="calls"),
    re_path(rf"^{GRID}/security/$", views.firm_failures, name="failures"),
    re_path(rf"^referent/{GRID}/calls/$", views.referent_calls, name="referent-calls"),
    re_path(rf"^referent/{GRID}/security/$", views.referent_failures, name="referent-failures"),
]
