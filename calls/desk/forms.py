from django import forms
from django.utils.translation import gettext_lazy as _

from calls.models import CallTicket
from certificates.models import Delivery, DocumentType

from .models import CallHandling, DeskRequest, WrittenRequestType


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Policy, offer or claim number, plate, chassis number or name"),
        max_length=100,
        required=False,
    )


class ManualVerifyForm(forms.Form):
    phone_number = forms.CharField(label=_("Number called back"), max_length=40)
    grid = forms.RegexField(
        label=_("GRID"), regex=r"^[0-9]{9}$", error_messages={"invalid": _("9 digits.")}
    )
    # The code is never shown again: the field is not re-rendered with its value on error.
    code = forms.RegexField(
        label=_("Direkt code"),
        regex=r"^[0-9]{4}$",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"invalid": _("4 digits.")},
    )
    menu = forms.ChoiceField(
        label=_("Subject"),
        choices=[
            (CallTicket.Menu.CONTRACTS, _("contracts and certificates")),
            (CallTicket.Menu.CLAIMS, _("claims")),
        ],
    )


class IdentifyForm(forms.Form):
    name = forms.CharField(label=_("Policyholder's name"), max_length=200, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    tax_number = forms.CharField(label=_("Tax number"), max_length=20, required=False)
    mothers_name = forms.CharField(label=_("Mother's name"), max_length=200, required=False)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)

    def clean(self):
        data = super().clean()
        if sum(1 for v in data.values() if v not in (None, "")) < 2:
            raise forms.ValidationError(_("Give at least two identifying facts."))
        return data


class CertificateForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Document"),
        choices=[
            (t.value, t.label)
            for t in DocumentType
            if t not in (DocumentType.LIBRARY, DocumentType.INVOICE_COPY)
        ],
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        required=False,
        choices=[("", _("post to the policyholder (default)")), *Delivery.Channel.choices],
    )
    destination = forms.CharField(
        label=_("Address, e-mail or fax number"),
        max_length=250,
        required=False,
        help_text=_("Empty: the one on file."),
    )
    read_back = forms.BooleanField(
        label=_("I read the destination back to the caller"), required=False
    )


class PromiseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Promise"),
        choices=[(k.value, k.label) for k in DeskRequest.PROMISES],
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    contact = forms.CharField(label=_("Phone number or e-mail"), max_length=200)
    subject = forms.CharField(label=_("What about"), max_length=300)


class GuidanceForm(forms.Form):
    request_type = forms.ModelChoiceField(
        label=_("Change wanted"), queryset=WrittenRequestType.objects.filter(is_active=True)
    )
    email = forms.EmailField(label=_("Send to e-mail"))


class CloseForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *CallHandling.Outcome.choices], required=False
    )


class RemarkForm(forms.Form):
    text = forms.CharField(label=_("Remark"), widget=forms.Textarea(attrs={"rows": 2}))
