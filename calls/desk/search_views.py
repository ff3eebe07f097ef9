"""Search as agents type: the call screen fetches this fragment a moment after each key."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors
from .forms import SearchForm
from .views import desk_view


@desk_view
@require_GET
def search(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The hits for ``q`` in the call's firm's portfolio (HTML fragment); another agent's call
    is a 404, a closed call a 403 (a closed call searches nothing)."""
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    if handling.is_closed:
        raise PermissionDenied(_("This call is closed."))
    form = SearchForm(request.GET)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.call_search(handling=handling, query=form.cleaned_data["q"])
    return render(
        request,
        "desk/_search_results.html",
        {"ticket": handling.ticket, "results": results, "search": form},
    )
