from django import forms
from django.utils.translation import gettext_lazy as _

from boundary import fields as boundary
from calls.desk.models import CallHandling
from calls.models import CallTicket

from .models import CallLogEntry
from .selectors import DEFAULT_SORT, SORTS


def _blank(choices):
    return [("", "—"), *choices]


class CallLogFilterForm(forms.Form):
    """The call log's filters (all optional; an invalid value is ignored, not an error page)."""

    date_from = boundary.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = boundary.DateField(
        label=_("To"), required=False, widget=forms.DateInput({"type": "date"})
    )
    grid = forms.RegexField(label=_("GRID"), regex=r"^[0-9]{9}\Z", required=False, max_length=9)
    firm = boundary.IntegerField(
        label=_("Firm"), min_value=1, required=False, widget=forms.HiddenInput
    )
    agent = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int, empty_value=None)
    menu = forms.ChoiceField(
        label=_("Menu"), required=False, choices=_blank(CallTicket.Menu.choices)
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=_blank(CallTicket.Source.choices)
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=_blank(CallTicket.State.choices)
    )
    verification = forms.ChoiceField(
        label=_("Verification"), required=False, choices=_blank(CallLogEntry.Verification.choices)
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=_blank(CallHandling.Outcome.choices)
    )
    overdue = forms.BooleanField(label=_("Overdue promise"), required=False)
    documents_sent = forms.BooleanField(label=_("Documents sent"), required=False)
    failed_delivery = forms.BooleanField(label=_("Failed delivery"), required=False)
    complaint = forms.BooleanField(label=_("Complaint"), required=False)
    sort = forms.ChoiceField(
        required=False, choices=[(k, k) for k in SORTS], widget=forms.HiddenInput
    )

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = _blank(
            [(a.pk, a.get_full_name() or a.username) for a in agents]
        )

    def filters(self) -> dict:
        """Return the valid filters (fields with errors dropped)."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        data["sort"] = data.get("sort") or DEFAULT_SORT
        return data


class ScoreCardForm(forms.Form):
    """One points field and one comment per active criterion, and an overall comment."""

    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for c in self.criteria:
            self.fields[f"points_{c.pk}"] = boundary.IntegerField(
                label=c.label,
                min_value=0,
                max_value=c.max_points,
                help_text=c.hint,
                widget=forms.NumberInput({"aria-describedby": f"id_points_{c.pk}_hint"}),
            )
            self.fields[f"note_{c.pk}"] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": c.label},
                required=False,
                max_length=500,
            )

    def rows(self):
        return [(c, self[f"points_{c.pk}"], self[f"note_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, tuple[int, str]]:
        return {
            c.pk: (self.cleaned_data[f"points_{c.pk}"], self.cleaned_data[f"note_{c.pk}"])
            for c in self.criteria
        }


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Reason of the legal hold"), max_length=300)
