from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verify_lookup, name="verify-lookup"),
    path("verify/<ref:number>/", views.verify, name="verify"),
    path("certificates/deliveries/", views.delivery_list, name="deliveries"),
    path("certificates/deliveries/<id:pk>/resend/", views.delivery_resend, name="delivery-resend"),
    path("certificates/print-batches/", views.print_batch_list, name="print-batches"),
    path("certificates/print-batches/build/", views.print_batch_build, name="print-batch-build"),
    path("certificates/print-batches/<id:pk>/pdf/", views.print_batch_pdf, name="print-batch-pdf"),
    path(
        "certificates/print-batches/<id:pk>/posted/",
        views.print_batch_posted,
        name="print-batch-posted",
    ),
    path(
        "certificates/print-batches/<id:pk>/undo/",
        views.print_batch_undo,
        name="print-batch-undo",
    ),
    path("certificates/<ref:number>/pdf/", views.certificate_pdf, name="pdf"),
]
