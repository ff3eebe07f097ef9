from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partners import services as partner_services
from partners.admin import ReasonActionForm, ReferentScopedAdmin, client_ip
from partners.audit import ViewOnlyAdmin
from partners.models import DirektLockEvent, DirektThrottle, PartnerFirm
from partners.verification import direkt_unlock_allowed

from .ivr.flow import ivr_prompts_forget
from .models import (
    CallRecording,
    CallTicket,
    CtiEvent,
    IvrPrompt,
    IvrStep,
    OpeningHours,
    SpecialDay,
    VerificationAttempt,
)


class IvrStepInline(ViewOnlyAdmin, admin.TabularInline):
    model = IvrStep
    extra = 0
    readonly_fields = ("number", "at", "stage", "input_summary", "event")
    fields = readonly_fields


class VerificationAttemptInline(ViewOnlyAdmin, admin.TabularInline):
    model = VerificationAttempt
    extra = 0
    readonly_fields = ("number", "at", "menu", "grid_entered", "firm", "role", "outcome")
    fields = readonly_fields


class CallRecordingInline(ViewOnlyAdmin, admin.TabularInline):
    model = CallRecording
    extra = 0
    readonly_fields = ("recording_sid", "url", "duration_seconds", "status", "updated_at")
    fields = readonly_fields


class CtiEventInline(ViewOnlyAdmin, admin.TabularInline):
    model = CtiEvent
    extra = 0
    readonly_fields = ("kind", "attempt", "occurred_at", "received_at", "extension", "result")
    fields = readonly_fields


@admin.register(CallTicket)
class CallTicketAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "from_number",
        "menu",
        "grid_entered",
        "firm",
        "state",
        "queue_name",
        "duration_seconds",
    ]
    list_filter = ["state", "menu", "queue_name", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["=call_sid", "from_number", "=grid_entered", "firm__name"]
    date_hierarchy = "started_at"
    list_select_related = ["firm"]
    exclude = ["pending_code_salt", "pending_code_hash"]
    inlines = [IvrStepInline, CtiEventInline, VerificationAttemptInline, CallRecordingInline]


@admin.register(IvrPrompt)
class IvrPromptAdmin(admin.ModelAdmin):
    list_display = ["key", "text_hu", "audio_url", "updated_at"]
    readonly_fields = ["key", "updated_at"]
    fields = ["key", "text_hu", "text_en", "audio_url", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return False  # the flow knows its keys; a new key would never be spoken

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ivr_prompts_forget()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "opens", "closes"]


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_open", "opens", "closes", "note"]
    date_hierarchy = "date"


def _sees_every_grid(request) -> bool:
    return request.user.is_superuser or request.user.has_perm("partners.delete_direktthrottle")


@admin.register(DirektThrottle)
class DirektThrottleAdmin(admin.ModelAdmin):
    """Locked GRIDs and their counters; a referent sees the GRIDs of their own firms."""

    list_display = ["grid", "firm_name", "failure_count", "last_failure_at", "locked_at"]
    list_filter = [("locked_at", admin.EmptyFieldListFilter)]
    search_fields = ["=grid"]
    readonly_fields = [
        "grid",
        "failure_count",
        "last_failure_at",
        "locked_at",
        "unlocked_at",
        "unlocked_by",
    ]
    actions = ["unlock"]
    action_form = ReasonActionForm

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _sees_every_grid(request):
            return queryset
        grids = PartnerFirm.objects.filter(referent=request.user).values("grid")
        return queryset.filter(grid__in=grids)

    @admin.display(description=_("firm"))
    def firm_name(self, obj):
        firm = PartnerFirm.objects.filter(grid=obj.grid).only("name").first()
        return firm.name if firm else "–"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the counters are the verifier's; a person only unlocks (the action)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_unlock_permission(self, request):
        # Referents unlock their firms' GRIDs in the partner portal, not here.
        return _sees_every_grid(request)

    @admin.action(description=_("Unlock the selected GRIDs"), permissions=["unlock"])
    def unlock(self, request, queryset):
        """Unlock through the audited service (lock event, firm audit with the reason and
        address, the firm's managers and referent e-mailed)."""
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give the reason."), messages.ERROR)
            return
        done = 0
        for throttle in queryset:
            if not direkt_unlock_allowed(user=request.user, grid=throttle.grid):
                continue
            try:
                partner_services.grid_unlock(
                    grid=throttle.grid, by=request.user, reason=reason, ip=client_ip(request)
                )
            except PermissionDenied:
                continue
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d GRID unlocked.", "%(count)d GRIDs unlocked.", done)
            % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )


@admin.register(DirektLockEvent)
class DirektLockEventAdmin(ReferentScopedAdmin, ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "grid", "firm", "kind", "by", "failure_count"]
    list_filter = ["kind"]
    search_fields = ["=grid", "firm__name"]
    list_select_related = ["firm", "by"]
