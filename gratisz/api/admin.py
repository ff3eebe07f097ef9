"""Back office for integration clients (create, see, revoke) and webhooks (endpoints, log)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from boundary.fields import int_or_none
from partners.audit import ViewOnlyAdmin

from . import services
from .models import (
    ApiClient,
    OutgoingEvent,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "throttle_rate", "firms"]

    def clean_throttle_rate(self):
        rate = self.cleaned_data["throttle_rate"].strip()
        if rate:
            number, _sep, period = rate.partition("/")
            if int_or_none(number, min_value=1) is None or not period or period[0] not in "smhd":
                raise forms.ValidationError(_("Write it like 600/min or 10/s."))
        return rate


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "scopes", "token_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "token_prefix"]
    readonly_fields = [
        "token_prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]
    autocomplete_fields = ["firms"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = services.api_client_create(
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            by=request.user,
            throttle_rate=obj.throttle_rate,
        )
        obj.pk, obj._state.adding = client.pk, False
        # The only time the token is shown: it is stored as a hash and cannot be recovered.
        self.message_user(
            request,
            _("The token of %(name)s, shown only now — copy it into the integration: %(token)s")
            % {"name": client.name, "token": token},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected clients' tokens"))
    def revoke(self, request, queryset):
        for client in queryset:
            services.api_client_revoke(client=client, by=request.user)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "events", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "events", "is_active"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["started_at", "duration_ms", "status_code", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["event", "endpoint", "state", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["state", "endpoint"]
    readonly_fields = [
        "event",
        "endpoint",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    inlines = [WebhookAttemptInline]


@admin.register(OutgoingEvent)
class OutgoingEventAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["type", "event_id", "created_at"]
    list_filter = ["type"]
    readonly_fields = ["event_id", "type", "payload", "created_at"]
