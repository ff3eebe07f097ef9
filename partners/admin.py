from django.contrib import admin
from django.utils.translation import gettext_lazy as _

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
    PartnerFirm,
    PartnerManager,
    Payment,
    Policyholder,
    Vehicle,
)


class ReadOnlyAdminMixin:
    """The portfolio and claims come from the core systems: the admin shows them, never edits."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class DirektCodeInline(ReadOnlyInline):
    model = DirektCode
    fields = ["role", "created_at", "created_by", "retired_at"]
    readonly_fields = fields
    ordering = ["-created_at"]


class PartnerManagerInline(admin.TabularInline):
    model = PartnerManager
    fk_name = "firm"
    extra = 0
    fields = ["user", "is_leader", "authorised_by", "revoked_at"]
    autocomplete_fields = ["user", "authorised_by"]


@admin.register(PartnerFirm)
class PartnerFirmAdmin(admin.ModelAdmin):
    list_display = ["grid", "name", "kind", "status", "referent", "registered_at"]
    list_filter = ["kind", "status", ("registered_at", admin.EmptyFieldListFilter), "referent"]
    search_fields = ["=grid", "name", "mnb_register_number"]
    readonly_fields = ["registered_at", "registered_by"]
    autocomplete_fields = ["referent"]
    inlines = [PartnerManagerInline, DirektCodeInline]


@admin.register(PartnerManager)
class PartnerManagerAdmin(admin.ModelAdmin):
    list_display = ["user", "firm", "is_leader", "created_at", "revoked_at"]
    list_filter = ["is_leader", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__last_name", "=firm__grid", "firm__name"]
    autocomplete_fields = ["firm", "user", "authorised_by"]
    list_select_related = ["user", "firm"]


@admin.register(DirektCode)
class DirektCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Only the metadata: a code's digits are never stored, and its hash is not worth showing."""

    list_display = ["firm", "role", "created_at", "created_by", "retired_at"]
    list_filter = ["role", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["=firm__grid", "firm__name"]
    exclude = ["salt", "code_hash"]
    list_select_related = ["firm", "created_by"]


@admin.register(Policyholder)
class PolicyholderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "birth_date", "postal_code", "city"]
    list_filter = ["kind"]
    search_fields = ["name", "=external_id", "=tax_number", "=postal_code"]


@admin.register(Vehicle)
class VehicleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
class ContractAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["policy_number", "product", "status", "firm", "policyholder", "start_date"]
    list_filter = ["product", "status", "payment_method", "payment_frequency"]
    search_fields = ["=policy_number", "policyholder__name", "=firm__grid", "=vehicles__plate"]
    list_select_related = ["firm", "policyholder"]
    inlines = [ContractVehicleInline, BonusMalusInline, InvoiceInline, PaymentInline, MandateInline]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["offer_number", "product", "status", "firm", "policyholder", "submitted_on"]
    list_filter = ["product", "status"]
    search_fields = ["=offer_number", "policyholder__name", "=firm__grid"]
    list_select_related = ["firm", "policyholder"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "contract", "issued_on", "due_on", "amount"]
    search_fields = ["=number", "=contract__policy_number"]
    date_hierarchy = "due_on"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["contract", "paid_on", "amount", "method"]
    list_filter = ["method"]
    search_fields = ["=contract__policy_number"]
    date_hierarchy = "paid_on"


@admin.register(DirectDebitMandate)
class DirectDebitMandateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
class FirmAuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "firm", "action", "by", "ip_address", "roles"]
    list_filter = ["action"]
    search_fields = ["=firm__grid", "firm__name", "by__username"]
    list_select_related = ["firm", "by"]
    date_hierarchy = "at"


@admin.register(ManagerInvitation)
class ManagerInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Invitations are sent from the referent's pages; here they are only looked at."""

    list_display = ["email", "firm", "is_leader", "created_at", "expires_at", "accepted_at"]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "=firm__grid", "firm__name"]
    exclude = ["token_hash"]
    list_select_related = ["firm"]
