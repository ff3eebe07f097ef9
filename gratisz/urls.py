from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_otp.admin import OTPAdminSite

import boundary.converters  # noqa: F401 - registers <id:…> and <grid:…> before the includes

from . import health, views

# The admin asks for the second factor too.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "GrATISZ"
admin.site.site_title = "GrATISZ"

handler500 = "gratisz.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", views.otp_verify, name="otp-verify"),
    path("accounts/otp/enrol/", views.otp_enrol, name="otp-enrol"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/live/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("partner/", include("gratisz.portal.urls")),
    path("api/", include("gratisz.api.urls")),
    path("", include("certificates.urls")),
    path("", include("calls.urls")),
    path("desk/", include("calls.desk.urls")),
    path("review/", include("calls.review.urls")),
]
