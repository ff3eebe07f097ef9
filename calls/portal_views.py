"""The partner portal's pages on calls: a firm's call history and the failed verifications on
its GRID, for its managers and for its referent.

They live in ``calls`` because ``partners`` may not import the calls; the firm is still taken
through the portal's scoped selectors, so another firm's GRID is a 404 and a user without the
role's permission a 403, exactly as on the portal's own pages.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from partners.portal import selectors as portal
from partners.portal.forms import OptionalReasonForm, ReasonForm
from partners.portal.views import manager_view, referent_view

from . import selectors
from .portal_forms import CallHistoryFilterForm

FAILURE_DAYS = 30
FAILURE_LIMIT = 100


def _calls_page(request: HttpRequest, firm, *, as_referent: bool) -> HttpResponse:
    form = CallHistoryFilterForm(request.GET)
    history = selectors.firm_call_history(firm=firm, page=request.GET.get("page"), **form.range())
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
        "security": portal.firm_security(firm=firm),
        "failures": selectors.firm_failed_verifications(
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
    firm = portal.managed_firm(user=request.user, grid=grid)
    return _calls_page(request, firm, as_referent=False)


@manager_view
@require_GET
def firm_failures(request: HttpRequest, grid: str) -> HttpResponse:
    """The lock state and the recent failed verifications on the firm's GRID."""
    firm = portal.managed_firm(user=request.user, grid=grid)
    return _failures_page(request, firm, as_referent=False)


@referent_view
@require_GET
def referent_calls(request: HttpRequest, grid: str) -> HttpResponse:
    firm = portal.cared_firm(user=request.user, grid=grid)
    return _calls_page(request, firm, as_referent=True)


@referent_view
@require_GET
def referent_failures(request: HttpRequest, grid: str) -> HttpResponse:
    firm = portal.cared_firm(user=request.user, grid=grid)
    return _failures_page(request, firm, as_referent=True)
