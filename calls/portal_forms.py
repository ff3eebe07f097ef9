"""Filters of the partner portal's call pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from boundary import fields as boundary


class CallHistoryFilterForm(forms.Form):
    """The call history's date range (optional; an invalid date is ignored, not an error)."""

    date_from = boundary.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = boundary.DateField(
        label=_("To"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def range(self) -> dict:
        """Return the valid bounds as ``since``/``until`` (a field with an error is dropped)."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return {"since": data.get("date_from"), "until": data.get("date_to")}
