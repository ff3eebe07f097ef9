from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

app_name = "api"

urlpatterns = [
    path("v1/client/", views.ClientView.as_view(), name="client"),
    path("v1/sync/", views.SyncView.as_view(), name="sync"),
    path(
        "v1/certificate-requests/",
        views.CertificateRequestListView.as_view(),
        name="certificate-requests",
    ),
    path(
        "v1/certificate-requests/<int:pk>/",
        views.CertificateRequestDetailView.as_view(),
        name="certificate-request",
    ),
    path("v1/calls/", views.CallLogView.as_view(), name="calls"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
