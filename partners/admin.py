"""The back office of partner firms.

Referents read their own firms here and nothing else (lists, change pages, inlines,
autocomplete, history); they write in the partner portal's referent pages. Only administrators
write here, and every write goes through the audited service the portal uses.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .access import CARE_FOR_PARTNERS, is_administrator
from .audit import ViewOnlyAdmin
from .client_ip import client_ip
from .models import (
    BonusMalusEntry,
    Contract,
    ContractVehicle,
    DirectDebitMandate,
    DirektCode,
    FirmAuditEntry,
    Invoice,
    ManagerInvitation,
    Offer,
    OfferMissingItem,
    PartnerFirm,
    PartnerManager,
    Payment,
    Policyholder,
    Vehicle,
)


class ReadOnlyInline(ViewOnlyAdmin, admin.TabularInline):
    extra = 0
    show_change_link = True


def sees_only_own_firms(user) -> bool:
    """A referent (who is not an administrator) sees only the firms assigned to them."""
    return not is_administrator(user) and user.has_perm(CARE_FOR_PARTNERS)


class ReferentScopedAdmin:
    """Limit every read of the admin (list, change page, history, autocomplete, actions) to the
    firms whose referent the user is, unless they are an administrator. ``firm_path`` leads
    from the model to its firm ("" for the firm itself)."""

    firm_path = "firm"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_only_own_firms(request.user):
            lookup = f"{self.firm_path}__referent" if self.firm_path else "referent"
            queryset = queryset.filter(**{lookup: request.user})
        return queryset


class AdministratorWrites:
    """Writes are for administrators only; everyone else with the view permission reads."""

    def has_add_permission(self, request, obj=None):
        return is_administrator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class DirektCodeInline(ReadOnlyInline):
    model = DirektCode
    readonly_fields = ("role", "created_at", "created_by", "retired_at")
    fields = readonly_fields
    ordering = ["-created_at"]


class PartnerManagerInline(ReadOnlyInline):
    """The firm's managers, to read: grants and revocations are on the managers' page."""

    model = PartnerManager
    fk_name = "firm"
    readonly_fields = ("user", "is_leader", "authorised_by", "created_at", "revoked_at")
    fields = readonly_fields


class FirmForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Written to the firm's audit; the firm's managers and referent are told."),
    )

    class Meta:
        model = PartnerFirm
        fields = list(services.ADMINISTRATOR_FIRM_FIELDS)


@admin.register(PartnerFirm)
class PartnerFirmAdmin(ReferentScopedAdmin, AdministratorWrites, admin.ModelAdmin):
    """Firms come from the core systems' import: no add or delete here. An administrator
    changes a firm's data through ``services.firm_update``."""

    firm_path = ""
    form = FirmForm
    list_display = ["grid", "name", "kind", "status", "referent", "registered_at"]
    list_filter = ["kind", "status", ("registered_at", admin.EmptyFieldListFilter), "referent"]
    search_fields = ["=grid", "name", "mnb_register_number"]
    readonly_fields = ["grid", "registered_at", "registered_by"]
    autocomplete_fields = ["referent"]
    inlines = [PartnerManagerInline, DirektCodeInline]

    def get_fields(self, request, obj=None):
        fields = ["grid", *services.ADMINISTRATOR_FIRM_FIELDS, "registered_at", "registered_by"]
        if self.has_change_permission(request, obj):
            fields.append("reason")
        return fields

    def get_list_filter(self, request):
        if sees_only_own_firms(request.user):
            return [f for f in self.list_filter if f != "referent"]
        return self.list_filter

    def save_model(self, request, obj, form, change):
        if not change:
            raise PermissionDenied
        stored = PartnerFirm.objects.get(pk=obj.pk)
        services.firm_update(
            firm=stored,
            by=request.user,
            reason=form.cleaned_data["reason"],
            changes={f: form.cleaned_data[f] for f in form.changed_data if f != "reason"},
            ip=client_ip(request),
        )


class ManagerGrantForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Written to the firm's audit; the firm's managers and referent are told."),
    )

    class Meta:
        model = PartnerManager
        fields = ["firm", "user", "is_leader"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.groups.filter(name="partner_manager").exists():
            raise forms.ValidationError(_("Only a partner manager's login can manage a firm."))
        return user


@admin.register(PartnerManager)
class PartnerManagerAdmin(ReferentScopedAdmin, AdministratorWrites, admin.ModelAdmin):
    """An administrator authorises an existing partner manager's login for a firm
    (``services.manager_grant``) and revokes managers (``services.manager_revoke``), each with
    a reason; a row is never edited or deleted."""

    form = ManagerGrantForm
    action_form = ReasonActionForm
    actions = ["revoke"]
    list_display = ["user", "firm", "is_leader", "created_at", "revoked_at"]
    list_filter = ["is_leader", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__last_name", "=firm__grid", "firm__name"]
    autocomplete_fields = ["firm", "user"]
    list_select_related = ["user", "firm"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["firm", "user", "is_leader", "reason"]
        return ["firm", "user", "is_leader", "authorised_by", "created_at", "revoked_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return is_administrator(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            manager = services.manager_grant(
                firm=form.cleaned_data["firm"],
                user=form.cleaned_data["user"],
                is_leader=form.cleaned_data["is_leader"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            # Shown instead of a success: the page cannot go back to the form from here.
            raise PermissionDenied(" ".join(error.messages)) from error
        obj.pk, obj._state.adding = manager.pk, False

    @admin.action(description=_("Revoke the selected managers' authority"), permissions=["revoke"])
    def revoke(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give the reason."), messages.ERROR)
            return
        done = 0
        for manager in queryset.filter(revoked_at__isnull=True).select_related("firm", "user"):
            services.manager_revoke(
                manager=manager, by=request.user, reason=reason, ip=client_ip(request)
            )
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d manager's authority revoked.",
                "%(count)d managers' authority revoked.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )


@admin.register(DirektCode)
class DirektCodeAdmin(ReferentScopedAdmin, ViewOnlyAdmin, admin.ModelAdmin):
    """Only the metadata: a code's digits are never stored, and its hash is not worth showing."""

    list_display = ["firm", "role", "created_at", "created_by", "retired_at"]
    list_filter = ["role", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["=firm__grid", "firm__name"]
    exclude = ["salt", "code_hash"]
    list_select_related = ["firm", "created_by"]


@admin.register(Policyholder)
class PolicyholderAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "birth_date", "postal_code", "city"]
    list_filter = ["kind"]
    search_fields = ["name", "=external_id", "=tax_number", "=postal_code"]


@admin.register(Vehicle)
class VehicleAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["plate", "make", "model", "category", "chassis_number"]
    list_filter = ["category"]
    search_fields = ["=plate", "=chassis_number", "make"]


class ContractVehicleInline(ReadOnlyInline):
    model = ContractVehicle
    fields = ["vehicle", "insured_from", "insured_to"]


class BonusMalusInline(ReadOnlyInline):
    model = BonusMalusEntry


class InvoiceInline(ReadOnlyInline):
    model = Invoice


class PaymentInline(ReadOnlyInline):
    model = Payment


class MandateInline(ReadOnlyInline):
    model = DirectDebitMandate


@admin.register(Contract)
class ContractAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["policy_number", "product", "status", "firm", "policyholder", "start_date"]
    list_filter = ["product", "status", "payment_method", "payment_frequency"]
    search_fields = ["=policy_number", "policyholder__name", "=firm__grid", "=vehicles__plate"]
    list_select_related = ["firm", "policyholder"]
    inlines = [ContractVehicleInline, BonusMalusInline, InvoiceInline, PaymentInline, MandateInline]


class OfferMissingItemInline(ReadOnlyInline):
    model = OfferMissingItem


@admin.register(Offer)
class OfferAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["offer_number", "product", "status", "firm", "policyholder", "submitted_on"]
    list_filter = ["product", "status"]
    search_fields = ["=offer_number", "policyholder__name", "=firm__grid"]
    list_select_related = ["firm", "policyholder"]
    inlines = [OfferMissingItemInline]


@admin.register(Invoice)
class InvoiceAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["number", "contract", "issued_on", "due_on", "amount"]
    search_fields = ["=number", "=contract__policy_number"]
    date_hierarchy = "due_on"


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["contract", "paid_on", "amount", "method"]
    list_filter = ["method"]
    search_fields = ["=contract__policy_number"]
    date_hierarchy = "paid_on"


@admin.register(DirectDebitMandate)
class DirectDebitMandateAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["contract", "identifier", "status", "problem", "start_date"]
    list_filter = ["status", "problem"]
    search_fields = ["=contract__policy_number", "=identifier"]
    list_select_related = ["contract"]

    @admin.display(description=_("account number"))
    def masked_account(self, obj):
        return f"…{obj.account_number[-4:]}"

    exclude = ["account_number"]
    readonly_fields = ["masked_account"]


@admin.register(FirmAuditEntry)
class FirmAuditEntryAdmin(ReferentScopedAdmin, ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "firm", "action", "by", "ip_address", "roles"]
    list_filter = ["action"]
    search_fields = ["=firm__grid", "firm__name", "by__username"]
    list_select_related = ["firm", "by"]
    date_hierarchy = "at"


@admin.register(ManagerInvitation)
class ManagerInvitationAdmin(ReferentScopedAdmin, ViewOnlyAdmin, admin.ModelAdmin):
    """Invitations are sent from the referent's pages; here they are only looked at."""

    list_display = ["email", "firm", "is_leader", "created_at", "expires_at", "accepted_at"]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "=firm__grid", "firm__name"]
    exclude = ["token_hash"]
    list_select_related = ["firm"]
