from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from boundary import fields as boundary
from calls.models import CallTicket
from certificates.models import Delivery, DocumentType, LibraryDocument
from certificates.selectors import eligibility_overview
from certificates.services import destinations_on_file
from claims.selectors import covers_for_product
from partners.models import Contract
from partners.verification import Outcome

from .masking import mask
from .models import CallHandling, DeskRequest, WrittenRequestType

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Policy, offer or claim number, plate, chassis number or name"),
        max_length=100,
        required=False,
    )


class ManualVerifyForm(forms.Form):
    phone_number = forms.CharField(label=_("Number called back"), max_length=40)
    grid = forms.RegexField(
        label=_("GRID"), regex=r"^[0-9]{9}\Z", error_messages={"invalid": _("9 digits.")}
    )
    # The code is never shown again: the field is not re-rendered with its value on error.
    code = forms.RegexField(
        label=_("Direkt code"),
        regex=r"^[0-9]{4}\Z",
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
    birth_date = boundary.DateField(
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


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        due_on = date_format(obj.due_on, "SHORT_DATE_FORMAT")
        return f"{obj.number} · {due_on} · {number_format(obj.amount, force_grouping=True)}\u00a0Ft"


class SelectSomeDisabled(forms.Select):
    """A select whose options in ``disabled`` cannot be chosen (they stay visible)."""

    def __init__(self, *args, disabled=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled = set(disabled)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


@dataclass(frozen=True)
class DefaultDestination:
    """Where a document sent by ``channel`` goes when the agent gives no destination: the
    first on file (the policyholder's own, else the partner firm's), as the guide says.
    ``masked``: the same, as the desk shows it before the client is identified."""

    channel: str
    label: "str | StrPromise"
    destination: str
    masked: str
    recipient: str
    recipient_masked: str
    is_default: bool


def default_destinations(contract: Contract) -> list[DefaultDestination]:
    """Return, for post (the default without other request), e-mail and fax, where the
    document would go; an empty ``destination`` means none is on file (the agent must give
    one, read back to the caller)."""
    holder = contract.policyholder
    rows = []
    for channel in (Delivery.Channel.POST, Delivery.Channel.EMAIL, Delivery.Channel.FAX):
        on_file = destinations_on_file(contract=contract, channel=channel)
        destination, recipient = next(iter(on_file.items()), ("", ""))
        mine = recipient == holder.name and destination in (holder.email, holder.postal_address)
        rows.append(
            DefaultDestination(
                channel=channel,
                label=Delivery.Channel(channel).label,
                destination=destination,
                masked=mask(destination) if mine else destination,
                recipient=recipient,
                recipient_masked=mask(recipient) if mine else recipient,
                is_default=channel == Delivery.Channel.POST,
            )
        )
    return rows


class CertificateForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Document"),
        choices=[(t.value, t.label) for t in DocumentType if t != DocumentType.LIBRARY],
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
    period_start = boundary.DateField(
        label=_("Valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Coverage certificate and green card only. Empty: today."),
    )
    period_end = boundary.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Empty: the same day for a coverage certificate, the contract's end for a green card."
        ),
    )

    def __init__(self, *args, contract=None, premium=None, **kwargs):
        """``contract``: its invoices are offered for an invoice copy, and each document it
        may not get today says why in its choice, before the agent sends (``premium``: its
        premium status, if the page has read it already)."""
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.eligibility = eligibility_overview(
                contract=contract, today=timezone.localdate(), premium=premium
            )
            refused = {str(e.document_type): e.reason for e in self.eligibility if not e.allowed}
            field = self.fields["document_type"]
            field.choices = [
                (value, f"{label} – {refused[value]}" if value in refused else label)
                for value, label in field.choices
            ]
            # Only the documents the contract may have can be chosen; the others stay listed,
            # greyed out, with the reason.
            field.widget = SelectSomeDisabled(choices=field.choices, disabled=set(refused))
            field.initial = next((v for v, _label in field.choices if v not in refused), None)
            self.destinations = default_destinations(contract)
            self.fields["invoice"] = InvoiceChoiceField(
                label=_("Invoice (for an invoice copy)"),
                queryset=contract.invoices.order_by("-due_on"),
                required=False,
            )


class PromiseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Promise"),
        choices=[(k.value, k.label) for k in DeskRequest.PROMISES],
    )
    due_at = boundary.DateTimeField(
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


class LibrarySendForm(forms.Form):
    """Send the partner a form, conditions, a tariff… from the document library ("SOS")."""

    document = forms.ModelChoiceField(
        label=_("Document"),
        queryset=LibraryDocument.objects.filter(is_active=True, versions__isnull=False).distinct(),
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=[(Delivery.Channel.EMAIL, _("e-mail")), (Delivery.Channel.FAX, _("fax"))],
    )
    destination = forms.CharField(
        label=_("E-mail or fax number"),
        max_length=250,
        required=False,
        help_text=_("Empty: the partner firm's, on file."),
    )
    read_back = forms.BooleanField(
        label=_("I read the destination back to the caller"), required=False
    )


class CloseForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *CallHandling.Outcome.choices], required=False
    )

    def __init__(self, *args, unsubmitted_report: bool = False, **kwargs):
        """``unsubmitted_report``: the call has a claim report started and not submitted; the
        agent must submit it or tick that it is to be discarded."""
        super().__init__(*args, **kwargs)
        if unsubmitted_report:
            self.fields["discard_drafts"] = forms.BooleanField(
                label=_("Discard the claim report that was started and not submitted"),
                required=False,
            )


class RemarkForm(forms.Form):
    text = forms.CharField(label=_("Remark"), widget=forms.Textarea(attrs={"rows": 2}))


def _datetime_field(label: "StrPromise") -> boundary.DateTimeField:
    """A date and time as the browser's datetime-local input sends it."""
    return boundary.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class _ReportForm(forms.Form):
    """Fields common to motor and property reports; the time checks."""

    def __init__(self, *args, contract=None, **kwargs):
        """``contract``: the covers offered follow its product."""
        super().__init__(*args, **kwargs)
        if contract is not None and "cover" in self.fields:
            allowed = covers_for_product(contract.product)
            labels = dict(self.fields["cover"].choices)
            if contract.product == Contract.Product.GFB:
                labels["liability"] = _("liability claim against the insured (GFB)")
            self.fields["cover"].choices = [(c, labels.get(c, c)) for c in allowed]

    event_at = _datetime_field(_("Time of the event"))
    noticed_at = _datetime_field(_("Time noticed"))
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def clean(self):
        from django.utils import timezone

        data = super().clean()
        event, noticed = data.get("event_at"), data.get("noticed_at")
        if event and event > timezone.now():
            self.add_error("event_at", _("The event cannot be in the future."))
        if event and noticed and noticed < event:
            self.add_error("noticed_at", _("It cannot have been noticed before it happened."))
        return data


class MotorReportForm(_ReportForm):
    cover = forms.ChoiceField(
        label=_("Cover"),
        choices=[
            ("liability", _("third-party liability")),
            ("own_damage", _("own damage")),
            ("glass", _("glass breakage")),
            ("theft", _("theft")),
        ],
    )
    place = forms.CharField(label=_("Place of the event"), max_length=250)
    damaged_plate = forms.CharField(label=_("Damaged vehicle's plate"), max_length=20)
    damaged_vehicle_type = forms.CharField(
        label=_("Damaged vehicle's make and type"), max_length=120
    )
    owner_name = forms.CharField(label=_("Owner's name"), max_length=200)
    owner_address = forms.CharField(label=_("Owner's address"), max_length=250)
    owner_phone = forms.CharField(label=_("Owner's phone"), max_length=40)
    at_fault_plate = forms.CharField(
        label=_("At-fault vehicle's plate"), max_length=20, required=False
    )
    police_involved = forms.BooleanField(label=_("Police involved"), required=False)
    inspection_place = forms.CharField(
        label=_("Where the vehicle can be inspected"), max_length=250
    )


class PropertyReportForm(_ReportForm):
    event_type = forms.ChoiceField(
        label=_("Type of event"),
        choices=[
            ("fire", _("fire")),
            ("water", _("water damage")),
            ("storm", _("storm")),
            ("burglary", _("burglary")),
            ("other", _("other")),
        ],
    )
    insured_name = forms.CharField(label=_("Insured's name"), max_length=200)
    insured_birth_date = boundary.DateField(
        label=_("Insured's birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    insured_mothers_name = forms.CharField(label=_("Insured's mother's name"), max_length=200)
    risk_address = forms.CharField(label=_("Risk address"), max_length=250)
    contact = forms.CharField(label=_("Contact (phone or e-mail)"), max_length=200)
    estimated_amount = boundary.IntegerField(label=_("Estimated damage (HUF)"), min_value=0)
    authorities_involved = forms.BooleanField(
        label=_("Police or fire brigade involved"), required=False
    )


REPORT_FORMS = {"motor": MotorReportForm, "property": PropertyReportForm}


class OfferIdentifyForm(IdentifyForm):
    """The client identification on an offer: the contract's facts but the plate (an offer
    names no vehicle)."""

    plate = None  # type: ignore[assignment]  # Django drops a declared field set to None


class ComplaintForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject of the complaint"),
        max_length=200,
        help_text=_("A few words: what the caller complains about."),
    )


class ComplaintUnmarkForm(forms.Form):
    reason = forms.CharField(label=_("Why the call is not a complaint"), max_length=300)


# Keyed by Outcome, a str: the refusal carries the outcome as stored.
_VERIFY_REFUSALS: "dict[str, StrPromise]" = {
    Outcome.THROTTLED: _("Too many recent failures for this GRID: wait a little and try again."),
    Outcome.LOCKED: _("This GRID is locked after repeated failures; the referent can unlock it."),
    Outcome.NUMBER_CAPPED: _("Too many failures from this number today."),
}


def verification_refusal(outcome: str) -> "str | StrPromise":
    """What the agent reads when a caller's GRID and Direkt code were refused (the manual
    verification and the callback's): the limit that stopped it, or the plain mismatch."""
    return _VERIFY_REFUSALS.get(
        outcome, _("The GRID and the Direkt code do not match our records.")
    )
