from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp import admin as otp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from boundary.fields import int_or_none

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # Django's filters already include the groups.
    list_filter = BaseUserAdmin.list_filter
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "extension")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Telephony"), {"fields": ["extension"]}))


class TOTPDeviceAdmin(otp_admin.TOTPDeviceAdmin):
    """django-otp's configuration and QR code pages look the device up with ``.get()``: a
    missing (or beyond 64-bit) id was a 500. Here it is a 404 like every other admin page."""

    def _device_or_404(self, pk) -> None:
        if int_or_none(pk, min_value=1) is None or not TOTPDevice.objects.filter(pk=pk).exists():
            raise Http404

    def config_view(self, request, pk):
        self._device_or_404(pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        self._device_or_404(pk)
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
