from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_filter = [*BaseUserAdmin.list_filter, "groups"]
    list_display = [*BaseUserAdmin.list_display, "extension"]
    fieldsets = [*BaseUserAdmin.fieldsets, (_("Telephony"), {"fields": ["extension"]})]
