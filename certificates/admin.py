from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from partners.audit import ViewOnlyAdmin

from . import services
from .models import (
    CertificateRequest,
    Delivery,
    DeliveryAttempt,
    IssuedCertificate,
    LibraryDocument,
    LibraryDocumentVersion,
    PrintBatch,
)


class LibraryDocumentVersionInline(admin.TabularInline):
    """New versions are added; published ones are never changed (they may have been sent)."""

    model = LibraryDocumentVersion
    extra = 1
    fields = ["version", "file", "sha256", "published_at", "uploaded_by"]
    readonly_fields = ["version", "sha256", "published_at", "uploaded_by"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LibraryDocument)
class LibraryDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["title", "code"]
    prepopulated_fields = {"code": ["title"]}
    inlines = [LibraryDocumentVersionInline]

    def save_formset(self, request, form, formset, change):
        # A new upload becomes the next version through the service (number, hash, uploader);
        # published versions are never changed.
        formset.save(commit=False)  # validates and sets the lists the change message reads
        published = []
        for version in formset.new_objects:
            try:
                published.append(
                    services.library_version_publish(
                        document=form.instance, file=version.file, by=request.user
                    )
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
        formset.new_objects = published


class DeliveryAttemptInline(ViewOnlyAdmin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    readonly_fields = ("started_at", "finished_at", "outcome", "detail")
    fields = readonly_fields


class DeliveryInline(ViewOnlyAdmin, admin.TabularInline):
    model = Delivery
    extra = 0
    show_change_link = True
    readonly_fields = (
        "channel",
        "destination",
        "on_file",
        "state",
        "attempts",
        "sent_at",
        "last_error",
    )
    fields = readonly_fields


@admin.register(CertificateRequest)
class CertificateRequestAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "document_type", "contract", "requested_by", "source"]
    list_filter = ["document_type"]
    search_fields = ["contract__policy_number", "source", "certificate__number"]
    inlines = [DeliveryInline]


@admin.register(IssuedCertificate)
class IssuedCertificateAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["number", "document_type", "issued_at", "issued_by", "valid_until"]
    list_filter = ["document_type"]
    search_fields = ["number", "request__contract__policy_number"]
    date_hierarchy = "issued_at"


@admin.action(description=_("Resend the selected failed deliveries"))
def resend(modeladmin, request, queryset):
    done = 0
    for delivery in queryset:
        try:
            services.delivery_resend(delivery=delivery, by=request.user)
            done += 1
        except ValidationError as exc:
            modeladmin.message_user(request, f"{delivery}: {exc.messages[0]}", messages.WARNING)
    modeladmin.message_user(request, _("%(n)d deliveries queued again.") % {"n": done})


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "request", "channel", "destination", "on_file", "state"]
    list_filter = ["state", "channel", "on_file"]
    search_fields = ["destination", "request__contract__policy_number"]
    inlines = [DeliveryAttemptInline]
    actions = [resend]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("certificates.resend_delivery"):
            actions.pop("resend", None)
        return actions


@admin.register(PrintBatch)
class PrintBatchAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "letters", "pdf", "posted_at", "posted_by"]
