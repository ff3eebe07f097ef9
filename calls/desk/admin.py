from django.contrib import admin

from .models import CallHandling, Disclosure, WrittenRequestType


@admin.register(WrittenRequestType)
class WrittenRequestTypeAdmin(admin.ModelAdmin):
    list_display = ["title", "form_name", "fax", "email", "is_active"]
    search_fields = ["title", "form_name"]


@admin.register(CallHandling)
class CallHandlingAdmin(admin.ModelAdmin):
    list_display = ["ticket", "agent", "taken_at", "connect_state", "outcome", "closed_at"]
    list_filter = ["connect_state"]
    list_select_related = ["ticket", "agent"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ["at", "agent", "record_type", "record_ref", "ticket"]
    list_select_related = ["agent", "ticket"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
