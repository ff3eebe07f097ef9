from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verify_lookup, name="verify-lookup"),
    path("verify/<str:number>/", views.verify, name="verify"),
    path("certificates/deliveries/", views.delivery_list, name="deliveries"),
    path("certificates/deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery-resend"),
    path("certificates/<str:number>/pdf/", views.certificate_pdf, name="pdf"),
]
