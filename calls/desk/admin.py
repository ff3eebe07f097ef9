from django.contrib import admin

from partners.audit import ViewOnlyAdmin

from .models import CallbackAttempt, CallHandling, Disclosure, WrittenRequestType


@admin.register(WrittenRequestType)
class WrittenRequestTypeAdmin(admin.ModelAdmin):
    list_display = ["title", "form_name", "fax", "email", "is_active"]
    search_fields = ["title", "form_name"]


@admin.register(CallHandling)
class CallHandlingAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """Call history: written by the desk's services only; here it is read."""

    list_display = ["ticket", "agent", "taken_at", "connect_state", "outcome", "closed_at"]
    list_filter = ["connect_state"]
    list_select_related = ["ticket", "agent"]


@admin.register(Disclosure)
class DisclosureAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """The log of who saw what: appended by the desk when a record is shown, never by hand."""

    list_display = ["at", "agent", "record_type", "record_ref", "ticket"]
    list_select_related = ["agent", "ticket"]


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """Callbacks dialled from promises: written by ``callbacks`` and the provider's callbacks."""

    list_display = ["started_at", "agent", "number", "number_source", "outcome", "ended_at"]
    list_filter = ["outcome", "number_source"]
    list_select_related = ["agent"]
