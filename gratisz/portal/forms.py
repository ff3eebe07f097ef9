"""Forms of the partner portal. They parse input; the rules live in ``partners.services``."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from boundary import fields as boundary
from partners import direkt
from partners.models import DirektCode, PartnerFirm
from partners.services import REFERENT_FIRM_FIELDS

RANDOM, OWN = "random", "own"
CODE_MODES = [
    (RANDOM, _("Generate a random code (recommended)")),
    (OWN, _("I choose the code")),
]


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    # Family name first, as Hungarians write their names.
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def clean_username(self):
        username = get_user_model().normalize_username(self.cleaned_data["username"])
        username_field = get_user_model()._meta.get_field("username")
        for validator in username_field.validators:
            validator(username)
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken; choose another."))
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = get_user_model()(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


def _code_field(label):
    return forms.CharField(
        label=label,
        required=False,
        min_length=4,
        max_length=4,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}
        ),
    )


class CodesForm(forms.Form):
    """Random codes by default, or codes the manager types (checked by the policy)."""

    mode = forms.ChoiceField(
        label=_("New codes"), choices=CODE_MODES, initial=RANDOM, widget=forms.RadioSelect
    )
    staff_code = _code_field(_("Staff Direkt code (for every colleague who calls)"))
    manager_code = _code_field(_("Manager Direkt code (for the firm's managers only)"))

    def roles(self) -> list[str]:
        return [DirektCode.Role.STAFF, DirektCode.Role.MANAGER]

    def clean(self):
        data = super().clean()
        if data.get("mode") == OWN:
            for role in self.roles():
                code = data.get(f"{role}_code") or ""
                if not direkt.CODE_RE.match(code):
                    self.add_error(f"{role}_code", direkt.POLICY_MESSAGES["format"])
        return data

    def codes(self) -> dict[str, str | None]:
        """Return the code per role, None where a random one is to be generated."""
        own = self.cleaned_data["mode"] == OWN
        return {
            role: (self.cleaned_data.get(f"{role}_code") if own else None) for role in self.roles()
        }

    def add_service_errors(self, error: forms.ValidationError) -> None:
        """Put the service's errors (keyed by role) on the form's fields."""
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                field = f"{key}_code" if f"{key}_code" in self.fields else None
                if key == "terms" and "terms" in self.fields:
                    field = "terms"
                for e in errors:
                    self.add_error(field, e)
        else:
            self.add_error(None, error)


class RegisterForm(CodesForm):
    terms = forms.BooleanField(
        label=_(
            "I accept the terms: the firm keeps its Direkt codes to its own staff, and the "
            "insurer is not liable for damage from misuse of a code."
        ),
        required=False,
    )

    field_order = ["terms", "mode", "staff_code", "manager_code"]


class RotateForm(CodesForm):
    ROLES = [
        ("staff", _("the staff code")),
        ("manager", _("the manager code")),
        ("both", _("both codes")),
    ]
    which = forms.ChoiceField(
        label=_("Change"), choices=ROLES, initial="staff", widget=forms.RadioSelect
    )
    field_order = ["which", "mode", "staff_code", "manager_code"]

    def roles(self) -> list[str]:
        which = self.cleaned_data.get("which") if hasattr(self, "cleaned_data") else None
        if which in (DirektCode.Role.STAFF, DirektCode.Role.MANAGER):
            return [which]
        return [DirektCode.Role.STAFF, DirektCode.Role.MANAGER]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the new manager"))


class ReferentInviteForm(InviteForm):
    is_leader = forms.BooleanField(
        label=_("Firm leader (may authorise other managers and revoke their authorisation)"),
        required=False,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)


class FirmDataForm(forms.ModelForm):
    """The firm's contact data a referent keeps up to date, and why it changes."""

    reason = forms.CharField(label=_("Reason"), max_length=200)

    class Meta:
        model = PartnerFirm
        fields = list(REFERENT_FIRM_FIELDS)


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
