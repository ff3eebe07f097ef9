from django.contrib import admin

from partners.admin import ReadOnlyInline
from partners.audit import ViewOnlyAdmin

from .models import Adjuster, Claim, ClaimPayment, ClaimStatusChange, MissingDocument


class StatusInline(ReadOnlyInline):
    model = ClaimStatusChange


class MissingDocumentInline(ReadOnlyInline):
    model = MissingDocument


class PaymentInline(ReadOnlyInline):
    model = ClaimPayment


@admin.register(Claim)
class ClaimAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["claim_number", "contract", "cover", "status", "event_date", "adjuster"]
    list_filter = ["status", "cover", "origin"]
    search_fields = ["=claim_number", "=contract__policy_number", "=vehicle__plate"]
    list_select_related = ["contract", "adjuster"]
    date_hierarchy = "event_date"
    inlines = [StatusInline, MissingDocumentInline, PaymentInline]


@admin.register(Adjuster)
class AdjusterAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "phone", "email"]
    search_fields = ["name", "email"]
