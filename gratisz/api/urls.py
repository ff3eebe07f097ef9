from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from boundary.lanes import long_request

from . import views

app_name = "api"

urlpatterns = [
    path("v1/client/", views.ClientView.as_view(), name="client"),
    # A batch of records may take seconds: on threads of its own (boundary.lanes).
    path("v1/sync/", long_request(views.SyncView.as_view()), name="sync"),
    path(
        "v1/certificate-requests/",
        views.CertificateRequestListView.as_view(),
        name="certificate-requests",
    ),
    path(
        "v1/certificate-requests/<id:pk>/",
        views.CertificateRequestDetailView.as_view(),
        name="certificate-request",
    ),
    path("v1/calls/", views.CallLogView.as_view(), name="calls"),
    path("v1/cti/events/", views.CtiEventView.as_view(), name="cti-events"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page runs under the CSP; the
    # Swagger UI assets come from the drf-spectacular-sidecar package, not a CDN.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
