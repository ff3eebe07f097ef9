"""What answers or saves while the agent types on the call screen: the search's hits, and
the call's notes saving themselves (like the claim report's draft)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from boundary.fields import TEXT_MAX, text_errors

from . import selectors, services
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


@desk_view
@require_POST
def notes(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Save the open call's notes as the agent types (the call screen sends them a moment
    after the last key and when the page is left): JSON with the time saved; a closed call is
    a 409 (its notes no longer change), text that cannot be stored a 400 with the reason."""
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    text = request.POST.get("notes", "")
    refused = text_errors(text, max_length=TEXT_MAX)
    if refused:
        return JsonResponse({"error": str(refused[0])}, status=400)
    try:
        services.call_notes_save(handling=handling, notes=text)
    except services.HandlingClosed:
        return JsonResponse({"error": _("This call is closed.")}, status=409)
    return JsonResponse({"saved_at": timezone.localtime().strftime("%H:%M:%S")})
