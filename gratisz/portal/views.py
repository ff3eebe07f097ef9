"""Screens of the partner portal: thin, each parses input and calls one service or selector.

Every view of a firm takes the firm through a scoped selector (``managed_firm`` for partner
managers, ``cared_firm`` for referents), so a firm outside the user's scope is a 404 whatever
the URL says. A user without the role's permission gets a 403.
"""

from copy import copy
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calls import selectors as calls_selectors
from partners import services
from partners.client_ip import client_ip

from . import selectors
from .forms import (
    AcceptInvitationForm,
    CallHistoryFilterForm,
    FirmDataForm,
    InviteForm,
    OptionalReasonForm,
    ReasonForm,
    ReferentInviteForm,
    RegisterForm,
    RotateForm,
)

MANAGE_OWN_FIRM = "gratisz.manage_own_firm"
CARE_FOR_PARTNERS = "gratisz.care_for_partners"


def _requires(perm: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager_view = _requires(MANAGE_OWN_FIRM)
referent_view = _requires(CARE_FOR_PARTNERS)


@sensitive_variables("codes")
def _show_codes(request, firm, codes, *, back: str) -> HttpResponse:
    """Show new codes, this once: the response is not cached and nothing keeps the digits."""
    response = render(
        request,
        "partners/codes_shown.html",
        {
            "firm": firm,
            "codes": sorted(codes.items(), key=lambda kv: kv[0] != "staff"),
            "back": back,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


# --- the invitation ---------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Let an invited person choose a username and password; the first login enrols TOTP."""
    invitation = services.invitation_for_token(token=token)
    if invitation is None:
        return render(request, "partners/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.manager_invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except services.PortalError:
            return render(request, "partners/invitation_invalid.html", status=404)
        if request.user.is_authenticated:
            logout(request)
        messages.success(
            request,
            _("Your login is ready. Log in, then set up your authenticator app."),
        )
        return redirect(f"{reverse('login')}?next={reverse('partner-portal:home')}")
    return render(
        request, "partners/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# --- partner managers -------------------------------------------------------------------------


@manager_view
def home(request: HttpRequest) -> HttpResponse:
    """List the user's firms; with only one, go straight to it."""
    firms = list(selectors.managed_firms(user=request.user).order_by("name"))
    if len(firms) == 1:
        return redirect("partner-portal:firm", grid=firms[0].grid)
    return render(request, "partners/portal_home.html", {"firms": firms})


@manager_view
def firm_detail(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.managed_firm(user=request.user, grid=grid)
    me = selectors.manager_row(user=request.user, firm=firm)
    context = {
        "firm": firm,
        "me": me,
        "security": selectors.firm_security(firm=firm),
        "managers": selectors.firm_managers(firm=firm),
        "audit": selectors.firm_audit(firm=firm),
        "unlock_form": OptionalReasonForm(),
    }
    return render(request, "partners/portal_firm.html", context)


@never_cache
@sensitive_post_parameters("staff_code", "manager_code")
@sensitive_variables("codes")
@manager_view
@require_http_methods(["GET", "POST"])
def firm_register(request: HttpRequest, grid: str) -> HttpResponse:
    """Accept the terms and create the staff and manager codes (shown once)."""
    firm = selectors.managed_firm(user=request.user, grid=grid)
    if firm.registered_at is not None:
        messages.info(request, _("The firm is already registered."))
        return redirect("partner-portal:firm", grid=firm.grid)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.firm_register(
                firm=firm,
                by=request.user,
                terms_accepted=form.cleaned_data["terms"],
                ip=client_ip(request),
                **{f"{role}_code": code for role, code in form.codes().items()},
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            back = reverse("partner-portal:firm", args=[firm.grid])
            return _show_codes(request, firm, codes, back=back)
    return render(request, "partners/portal_register.html", {"firm": firm, "form": form})


@never_cache
@sensitive_post_parameters("staff_code", "manager_code")
@sensitive_variables("codes")
@manager_view
@require_http_methods(["GET", "POST"])
def firm_rotate(request: HttpRequest, grid: str) -> HttpResponse:
    """Replace a code (or both) at any time; the new one is shown once."""
    firm = selectors.managed_firm(user=request.user, grid=grid)
    if firm.registered_at is None:
        return redirect("partner-portal:register", grid=firm.grid)
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.direkt_code_rotate(
                firm=firm, codes=form.codes(), by=request.user, ip=client_ip(request)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            back = reverse("partner-portal:firm", args=[firm.grid])
            return _show_codes(request, firm, codes, back=back)
    return render(request, "partners/portal_rotate.html", {"firm": firm, "form": form})


@manager_view
@require_POST
def firm_unlock(request: HttpRequest, grid: str) -> HttpResponse:
    """Lift a lock that someone else's guessing caused."""
    firm = selectors.managed_firm(user=request.user, grid=grid)
    form = OptionalReasonForm(request.POST)
    form.is_valid()
    services.grid_unlock(
        grid=firm.grid,
        by=request.user,
        reason=form.cleaned_data.get("reason", ""),
        ip=client_ip(request),
    )
    messages.success(request, _("Identification with the GRID works again."))
    return redirect("partner-portal:firm", grid=firm.grid)


@manager_view
@require_http_methods(["GET", "POST"])
def firm_managers(request: HttpRequest, grid: str) -> HttpResponse:
    """The firm's authorised managers; a leader invites and revokes colleagues here."""
    firm = selectors.managed_firm(user=request.user, grid=grid)
    me = selectors.manager_row(user=request.user, firm=firm)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not me.is_leader:
            raise PermissionDenied
        if form.is_valid():
            services.manager_invite(
                firm=firm,
                email=form.cleaned_data["email"],
                is_leader=False,
                by=request.user,
                ip=client_ip(request),
            )
            messages.success(request, _("The invitation is on its way."))
            return redirect("partner-portal:managers", grid=firm.grid)
    context = {
        "firm": firm,
        "me": me,
        "form": form,
        "managers": selectors.firm_managers(firm=firm),
        "invitations": selectors.firm_open_invitations(firm=firm),
    }
    return render(request, "partners/portal_managers.html", context)


@manager_view
@require_POST
def firm_manager_revoke(request: HttpRequest, grid: str, manager_id: int) -> HttpResponse:
    firm = selectors.managed_firm(user=request.user, grid=grid)
    me = selectors.manager_row(user=request.user, firm=firm)
    manager = selectors.firm_manager(firm=firm, manager_id=manager_id)
    if not me.is_leader or manager.pk == me.pk:
        raise PermissionDenied
    services.manager_revoke(manager=manager, by=request.user, ip=client_ip(request))
    messages.success(request, _("The manager's authority is revoked."))
    return redirect("partner-portal:managers", grid=firm.grid)


# --- referents --------------------------------------------------------------------------------


@referent_view
def referent_home(request: HttpRequest) -> HttpResponse:
    rows = selectors.referent_overview(user=request.user)
    return render(request, "partners/referent_home.html", {"rows": rows})


def _referent_context(request, firm, **forms):
    return {
        "firm": firm,
        "security": selectors.firm_security(firm=firm),
        "managers": selectors.firm_managers(firm=firm),
        "invitations": selectors.firm_open_invitations(firm=firm),
        "audit": selectors.firm_audit(firm=firm),
        "invite_form": forms.get("invite_form") or ReferentInviteForm(),
        "unlock_form": forms.get("unlock_form") or ReasonForm(prefix="unlock"),
        "reregister_form": forms.get("reregister_form") or ReasonForm(prefix="reregister"),
        "firm_form": forms.get("firm_form") or FirmDataForm(prefix="firm", instance=firm),
    }


@referent_view
def referent_firm(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    return render(request, "partners/referent_firm.html", _referent_context(request, firm))


@referent_view
@require_POST
def referent_invite(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    form = ReferentInviteForm(request.POST)
    if not form.is_valid():
        context = _referent_context(request, firm, invite_form=form)
        return render(request, "partners/referent_firm.html", context, status=400)
    services.manager_invite(
        firm=firm,
        email=form.cleaned_data["email"],
        is_leader=form.cleaned_data["is_leader"],
        by=request.user,
        ip=client_ip(request),
    )
    messages.success(request, _("The invitation is on its way."))
    return redirect("partner-portal:referent-firm", grid=firm.grid)


@referent_view
@require_POST
def referent_unlock(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    form = ReasonForm(request.POST, prefix="unlock")
    if not form.is_valid():
        context = _referent_context(request, firm, unlock_form=form)
        return render(request, "partners/referent_firm.html", context, status=400)
    services.grid_unlock(
        grid=firm.grid, by=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request)
    )
    messages.success(request, _("Identification with the GRID works again."))
    return redirect("partner-portal:referent-firm", grid=firm.grid)


@referent_view
@require_POST
def referent_reregister(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    form = ReasonForm(request.POST, prefix="reregister")
    if not form.is_valid():
        context = _referent_context(request, firm, reregister_form=form)
        return render(request, "partners/referent_firm.html", context, status=400)
    services.firm_reregistration_start(
        firm=firm, by=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request)
    )
    messages.success(
        request, _("The codes are retired; the firm's managers were told to register again.")
    )
    return redirect("partner-portal:referent-firm", grid=firm.grid)


@referent_view
@require_POST
def referent_manager_revoke(request: HttpRequest, grid: str, manager_id: int) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    manager = selectors.firm_manager(firm=firm, manager_id=manager_id)
    form = OptionalReasonForm(request.POST)
    form.is_valid()
    services.manager_revoke(
        manager=manager,
        by=request.user,
        reason=form.cleaned_data.get("reason", ""),
        ip=client_ip(request),
    )
    messages.success(request, _("The manager's authority is revoked."))
    return redirect("partner-portal:referent-firm", grid=firm.grid)


@referent_view
@require_POST
def referent_firm_edit(request: HttpRequest, grid: str) -> HttpResponse:
    """Change the firm's contact data, with a reason; the managers and the referent are told."""
    firm = selectors.cared_firm(user=request.user, grid=grid)
    # The form validates on a copy: the service compares with the stored row and writes it.
    form = FirmDataForm(request.POST, prefix="firm", instance=copy(firm))
    if form.is_valid():
        try:
            services.firm_update(
                firm=firm,
                by=request.user,
                reason=form.cleaned_data["reason"],
                changes={f: form.cleaned_data[f] for f in form.changed_data if f != "reason"},
                ip=client_ip(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The firm's data is saved."))
            return redirect("partner-portal:referent-firm", grid=firm.grid)
    context = _referent_context(request, firm, firm_form=form)
    return render(request, "partners/referent_firm.html", context, status=400)


# --- A firm's calls and the failed verifications on its GRID -----------------------------------

FAILURE_DAYS = 30
FAILURE_LIMIT = 100


def _calls_page(request: HttpRequest, firm, *, as_referent: bool) -> HttpResponse:
    form = CallHistoryFilterForm(request.GET)
    history = calls_selectors.firm_call_history(
        firm=firm, page=request.GET.get("page"), **form.range()
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "firm": firm,
        "form": form,
        "history": history,
        "filter_query": query.urlencode(),
        "as_referent": as_referent,
    }
    return render(request, "partners/portal_calls.html", context)


def _failures_page(request: HttpRequest, firm, *, as_referent: bool) -> HttpResponse:
    unlock_form: forms.Form
    if as_referent:
        unlock_url = reverse("partner-portal:referent-unlock", args=[firm.grid])
        unlock_form = ReasonForm(prefix="unlock")
    else:
        unlock_url = reverse("partner-portal:unlock", args=[firm.grid])
        unlock_form = OptionalReasonForm()
    context = {
        "firm": firm,
        "security": selectors.firm_security(firm=firm),
        "failures": calls_selectors.firm_failed_verifications(
            firm=firm, days=FAILURE_DAYS, limit=FAILURE_LIMIT
        ),
        "unlock_url": unlock_url,
        "unlock_form": unlock_form,
        "as_referent": as_referent,
    }
    return render(request, "partners/portal_failures.html", context)


@manager_view
@require_GET
def firm_calls(request: HttpRequest, grid: str) -> HttpResponse:
    """The firm's own calls, newest first: date, menu, outcome, requests, documents sent."""
    firm = selectors.managed_firm(user=request.user, grid=grid)
    return _calls_page(request, firm, as_referent=False)


@manager_view
@require_GET
def firm_failures(request: HttpRequest, grid: str) -> HttpResponse:
    """The lock state and the recent failed verifications on the firm's GRID."""
    firm = selectors.managed_firm(user=request.user, grid=grid)
    return _failures_page(request, firm, as_referent=False)


@referent_view
@require_GET
def referent_calls(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    return _calls_page(request, firm, as_referent=True)


@referent_view
@require_GET
def referent_failures(request: HttpRequest, grid: str) -> HttpResponse:
    firm = selectors.cared_firm(user=request.user, grid=grid)
    return _failures_page(request, firm, as_referent=True)
