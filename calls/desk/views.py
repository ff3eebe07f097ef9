"""The desk's screens. Thin: parse, call one service or selector, render."""

import secrets
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from boundary.fields import DRAFT_FIELD_MAX, text_errors
from boundary.sessions import mark_passive
from certificates.selectors import NotEligible
from partners.models import Contract
from partners.selectors import contract_premium_status

from . import access, callbacks, complaints, offers, selectors, services
from .forms import (
    REPORT_FORMS,
    CertificateForm,
    CloseForm,
    ComplaintForm,
    GuidanceForm,
    IdentifyForm,
    LibrarySendForm,
    ManualVerifyForm,
    OfferIdentifyForm,
    PromiseForm,
    RemarkForm,
    SearchForm,
    verification_refusal,
)
from .masking import masked_holder
from .models import CallHandling, ClaimReport, DeskRequest


def desk_view(view):
    """Require a logged-in (TOTP-verified, by the middleware) user with the desk permission."""
    return login_required(permission_required("gratisz.use_desk", raise_exception=True)(view))


def _open_handling(request: HttpRequest, ticket_id: int) -> CallHandling:
    """Return the agent's open handling of this call: 404 if not theirs, 403 if closed."""
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    if handling.is_closed:
        raise PermissionDenied(_("This call is closed."))
    return handling


def _closed_message(request):
    messages.error(request, _("This call is closed: its record can no longer be changed."))


def handles_closed(view):
    @wraps(view)
    def wrapper(request, ticket_id, *args, **kwargs):
        try:
            return view(request, ticket_id, *args, **kwargs)
        except services.HandlingClosed:
            _closed_message(request)
            return redirect("desk:call", ticket_id=ticket_id)

    return wrapper


# --- home and queue ----------------------------------------------------------------------------


@desk_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/home.html", _queue_context(request))


@desk_view
@require_GET
def queue_partial(request: HttpRequest) -> HttpResponse:
    """The live part of the home page, fetched again every few seconds."""
    mark_passive(request)  # the page's own poll: not the agent's activity (idle sessions end)
    return render(request, "desk/_queue.html", _queue_context(request))


@desk_view
def presence(request: HttpRequest) -> HttpResponse:
    """The agent's presence: GET its live part, POST a change (a break, back, more wrap-up)."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in (
            services.PresenceAction.BREAK,
            services.PresenceAction.BACK,
            services.PresenceAction.EXTEND,
        ):
            return HttpResponse(status=400)
        services.presence_set(agent=request.user, action=action)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("desk:home")
        return redirect(back)
    mark_passive(request)
    return render(request, "desk/_presence.html", _presence_context(request))


def _presence_context(request: HttpRequest, **handling) -> dict:
    now = timezone.now()
    state = selectors.agent_presence(agent=request.user, now=now, **handling)
    return {
        "presence": state,
        "presence_until_ms": round(state.until.timestamp() * 1000) if state.until else "",
        "presence_since_ms": round(state.since.timestamp() * 1000) if state.since else "",
    }


def _queue_context(request: HttpRequest) -> dict:
    # A ticket tells how long its caller has waited, a promise whether it is overdue.
    waiting = list(selectors.waiting_calls()[:100])
    promises = list(selectors.promises_due(agent=request.user))
    colleagues_overdue = list(
        selectors.colleagues_overdue_promises(agent=request.user, now=timezone.now())
    )
    callbacks.attach_attempts([*promises, *colleagues_overdue])  # tries and the next one
    mine = selectors.open_handling_of(agent=request.user)
    return {
        "waiting": waiting,
        "mine": mine,
        "promises": promises,
        "colleagues_overdue": colleagues_overdue,
        "poll_seconds": settings.DESK_POLL_SECONDS,
        **_presence_context(request, handling=mine),  # the open call read once
    }


@desk_view
@require_POST
def take(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        services.call_take(ticket_id=ticket_id, agent=request.user)
    except services.CallAlreadyTaken:
        messages.error(request, _("This call has already been taken by another agent."))
        return redirect("desk:home")
    except services.AgentBusy:
        messages.error(request, _("Close your current call before taking another."))
        return redirect("desk:home")
    except services.NoExtension:
        messages.error(
            request,
            _(
                "You have no telephone extension, so the caller cannot be put through to you. "
                "Ask an administrator to set your extension."
            ),
        )
        return redirect("desk:home")
    return redirect("desk:call", ticket_id=ticket_id)


@desk_view
def manual_verify(request: HttpRequest) -> HttpResponse:
    """Verify a caller reached by an outbound callback, with the IVR's verifier."""
    form = ManualVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handling = services.call_verify_manually(
                agent=request.user,
                grid=data["grid"],
                code=data["code"],
                phone_number=data["phone_number"],
                menu=data["menu"],
            )
        except services.AgentBusy:
            form.add_error(None, _("Close your current call before taking another."))
        except services.VerificationFailed as failure:
            form.add_error(None, verification_refusal(failure.outcome))
        else:
            return redirect("desk:call", ticket_id=handling.ticket_id)
    return render(request, "desk/manual_verify.html", {"form": form})


# --- the call screen ---------------------------------------------------------------------------


@desk_view
@require_GET
def call(request: HttpRequest, ticket_id: int) -> HttpResponse:
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    search = SearchForm(request.GET or None)
    results = None
    if not handling.is_closed and search.is_valid() and search.cleaned_data["q"]:
        results = selectors.call_search(handling=handling, query=search.cleaned_data["q"])
    return _render_call(request, handling, search=search, results=results)


@desk_view
@require_GET
def connection(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Whether the caller is put through to the agent's phone, fetched again while connecting."""
    mark_passive(request)
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    return render(
        request,
        "desk/_connection.html",
        {"handling": handling, "has_work": selectors.handling_has_work(handling=handling)},
    )


@desk_view
@require_POST
@handles_closed
def connection_retry(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Put the caller through to the agent's phone again after the connection failed."""
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    try:
        services.call_connect_retry(handling=handling)
    except services.CannotReconnect:
        messages.error(
            request,
            _(
                "The caller cannot be put through again: the caller hung up, or is already "
                "being put through."
            ),
        )
    else:
        messages.success(request, _("The caller is being put through to your phone again."))
    return redirect("desk:call", ticket_id=ticket_id)


def _render_call(request, handling, **overrides) -> HttpResponse:
    """Render the call screen; a form that failed comes in ``overrides``, keeping its input."""
    ticket = handling.ticket
    callback_due, written_answer_due = services.promise_default_dues()
    context = {
        "handling": handling,
        "ticket": ticket,
        "recent": selectors.firm_recent_calls(handling=handling),
        "kept_promise": selectors.callback_promise(ticket=ticket),
        "search": SearchForm(),
        "results": None,
        "requests": list(handling.requests.select_related("contract", "certificate_request")),
        "callback_kind": DeskRequest.Kind.CALLBACK,
        "emails": [d.email for d in handling.emails.select_related("email")],
        "promise_form": PromiseForm(
            initial={
                "kind": DeskRequest.Kind.CALLBACK,
                "due_at": timezone.localtime(callback_due),
                "contact": ticket.from_number,
            }
        ),
        "written_answer_due": timezone.localtime(written_answer_due),
        "guidance_form": GuidanceForm(initial={"email": ticket.firm.email}),
        "library_form": LibrarySendForm(),
        "close_form": CloseForm(
            initial={"notes": handling.notes, "outcome": handling.outcome},
            unsubmitted_report=not handling.is_closed
            and selectors.unsubmitted_reports(handling=handling).exists(),
        ),
        "remark_form": RemarkForm(),
        "remarks": list(handling.remarks.select_related("by")),
        "poll_seconds": settings.DESK_POLL_SECONDS,
        "has_work": bool(handling.ticket.ended_at)
        and selectors.handling_has_work(handling=handling),
        # An open call is the agent's one open call: its presence needs no query of its own.
        **_presence_context(request, **({} if handling.is_closed else {"handling": handling})),
        **_call_timers(handling),
        **_complaint_context(handling),
        **overrides,
    }
    return render(request, "desk/call.html", context)


def _complaint_context(handling) -> dict:
    """The call's complaint mark and how long it keeps the call, or the form to mark it."""
    complaint = complaints.complaint_in_force(ticket=handling.ticket)
    return {
        "complaint": complaint,
        "complaint_kept_until": complaints.complaint_kept_until(ticket=handling.ticket)
        if complaint
        else None,
        "complaint_form": ComplaintForm(),
    }


def _ms(moment) -> int | str:
    return round(moment.timestamp() * 1000) if moment else ""


def _minutes(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _call_timers(handling) -> dict:
    """The call's timer (from taking it; fixed once the caller left or the call closed) and the
    time the caller waited in the queue before an agent took the call."""
    ticket = handling.ticket
    end = ticket.ended_at or handling.closed_at
    queued = ticket.enqueued_at or ticket.verified_at
    return {
        "call_started_ms": _ms(handling.taken_at) if end is None else "",
        "call_duration": _minutes(((end or timezone.now()) - handling.taken_at).total_seconds()),
        "caller_waited": _minutes((handling.taken_at - queued).total_seconds()) if queued else "",
    }


@desk_view
def contract(request: HttpRequest, ticket_id: int, policy_number: str) -> HttpResponse:
    """The contract, read-only; personal data masked until the client is identified."""
    handling = _open_handling(request, ticket_id)
    contract = access.access_contract(handling=handling, policy_number=policy_number)
    # Read once: the page shows it, and the certificate form's rules depend on it.
    premium = contract_premium_status(contract=contract, today=timezone.localdate())
    identify_form = IdentifyForm()
    certificate_form = CertificateForm(contract=contract, premium=premium)
    if request.method == "POST":
        identify_form, certificate_form = _contract_post(
            request, handling, contract, premium, identify_form, certificate_form
        )
        if identify_form is None:
            return redirect(request.get_full_path())
    details = selectors.contract_details(
        handling=handling,
        contract=contract,
        premium=premium,
        vehicle_page=request.GET.get("page"),
        per_page=settings.DESK_VEHICLES_PER_PAGE,
    )
    return render(
        request,
        "desk/contract.html",
        {
            "handling": handling,
            "ticket": handling.ticket,
            "contract": contract,
            "holder": masked_holder(contract.policyholder, identified=details["identified"]),
            "eligibility": certificate_form.eligibility,
            "identify_form": identify_form,
            "certificate_form": certificate_form,
            **details,
        },
    )


def _contract_post(request, handling, contract, premium, identify_form, certificate_form):
    """Handle the identification and certificate forms; ``(None, None)`` means redirect."""
    action = request.POST.get("action")
    try:
        if action == "identify":
            identify_form = IdentifyForm(request.POST)
            if identify_form.is_valid():
                try:
                    check = services.client_identify(
                        handling=handling, contract=contract, facts=identify_form.cleaned_data
                    )
                except services.IdentificationRefused:
                    identify_form.add_error(
                        None, _("Too many failed identifications of this client in this call.")
                    )
                else:
                    if check.passed:
                        messages.success(request, _("The client is identified."))
                        return None, None
                    identify_form.add_error(
                        None,
                        _("Only %(n)s of the facts matched: the client is not identified.")
                        % {"n": len(check.facts_matched)},
                    )
        elif action == "certificate":
            certificate_form = CertificateForm(request.POST, contract=contract, premium=premium)
            if certificate_form.is_valid():
                data = certificate_form.cleaned_data
                try:
                    services.desk_certificate_request(handling=handling, contract=contract, **data)
                except services.NotIdentified:
                    certificate_form.add_error(
                        None, _("Identify the client before a document is released.")
                    )
                except NotEligible as refusal:
                    certificate_form.add_error(None, refusal.reason)
                except ValidationError as error:
                    certificate_form.add_error(None, error)
                else:
                    messages.success(request, _("The certificate request is recorded."))
                    return None, None
    except services.HandlingClosed as exc:
        raise PermissionDenied from exc
    return identify_form, certificate_form


@desk_view
@require_GET
def claim(request: HttpRequest, ticket_id: int, claim_number: str) -> HttpResponse:
    """The claim; its status, documents, payments and adjuster only after identification."""
    handling = _open_handling(request, ticket_id)
    view = access.access_claim(handling=handling, claim_number=claim_number)
    return render(
        request,
        "desk/claim.html",
        {
            "handling": handling,
            "ticket": handling.ticket,
            "claim": view.claim,
            "identified": view.identified,
        },
    )


@desk_view
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, ticket_id: int, offer_number: str) -> HttpResponse:
    """The offer: its number and product; its status, missing items, premium and the contract
    it became only after the client is identified. Another firm's offer is a 404."""
    handling = _open_handling(request, ticket_id)
    view = access.access_offer(handling=handling, offer_number=offer_number)
    identify_form = OfferIdentifyForm()
    if request.method == "POST":
        identify_form = _offer_identify_post(request, handling, view.offer)
        if identify_form is None:
            return redirect(request.get_full_path())
        # The failed check is now among the offer's checks.
        view = access.access_offer(handling=handling, offer_number=offer_number)
    return render(
        request,
        "desk/offer.html",
        {
            "handling": handling,
            "ticket": handling.ticket,
            "view": view,
            "offer": view.offer,
            "holder": masked_holder(view.offer.policyholder, identified=view.identified),
            "identify_form": identify_form,
        },
    )


def _offer_identify_post(request, handling, offer):
    """Check the facts the caller gave on the offer; ``None`` when identified (redirect)."""
    form = OfferIdentifyForm(request.POST)
    if not form.is_valid():
        return form
    try:
        check = offers.offer_identify(handling=handling, offer=offer, facts=form.cleaned_data)
    except services.IdentificationRefused:
        form.add_error(None, _("Too many failed identifications of this client in this call."))
    except services.HandlingClosed as exc:
        raise PermissionDenied from exc
    else:
        if check.passed:
            messages.success(request, _("The client is identified."))
            return None
        form.add_error(
            None,
            _("Only %(n)s of the facts matched: the client is not identified.")
            % {"n": len(check.facts_matched)},
        )
    return form


@desk_view
@require_POST
def complaint(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Mark the call as a complaint (its agent, open or closed call): kept five years."""
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    form = ComplaintForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the subject of the complaint in a few words."))
        return redirect("desk:call", ticket_id=ticket_id)
    try:
        complaints.complaint_mark(
            handling=handling, by=request.user, subject=form.cleaned_data["subject"]
        )
    except complaints.AlreadyComplaint:
        messages.error(request, _("This call is already marked as a complaint."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The call is marked as a complaint: its recording and record are kept five years."),
        )
    return redirect("desk:call", ticket_id=ticket_id)


@desk_view
@require_POST
@handles_closed
def promise(request: HttpRequest, ticket_id: int) -> HttpResponse:
    handling = _open_handling(request, ticket_id)
    form = PromiseForm(request.POST)
    if form.is_valid():
        try:
            services.desk_promise(handling=handling, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The promise is recorded."))
            return redirect("desk:call", ticket_id=ticket_id)
    return _render_call(request, handling, promise_form=form)


@desk_view
@require_POST
@handles_closed
def guidance(request: HttpRequest, ticket_id: int) -> HttpResponse:
    handling = _open_handling(request, ticket_id)
    form = GuidanceForm(request.POST)
    if form.is_valid():
        services.desk_written_guidance_send(
            handling=handling,
            request_type=form.cleaned_data["request_type"],
            email=form.cleaned_data["email"],
        )
        messages.success(request, _("The written-request guidance is sent."))
        return redirect("desk:call", ticket_id=ticket_id)
    return _render_call(request, handling, guidance_form=form)


@desk_view
@require_POST
@handles_closed
def library_send(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Send the calling firm a form or document from the library ("SOS")."""
    handling = _open_handling(request, ticket_id)
    form = LibrarySendForm(request.POST)
    if form.is_valid():
        try:
            services.desk_library_send(handling=handling, **form.cleaned_data)
        except NotEligible as refusal:
            form.add_error(None, refusal.reason)
        except ValidationError as error:
            form.add_error("destination", error)
        else:
            messages.success(request, _("The document is on its way to the partner."))
            return redirect("desk:call", ticket_id=ticket_id)
    return _render_call(request, handling, library_form=form)


@desk_view
@require_POST
@handles_closed
def close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    form = CloseForm(
        request.POST, unsubmitted_report=selectors.unsubmitted_reports(handling=handling).exists()
    )
    if form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "save":
            services.call_notes_save(handling=handling, notes=data["notes"])
            messages.success(request, _("Notes saved."))
            return redirect("desk:call", ticket_id=ticket_id)
        if not data["outcome"]:
            form.add_error("outcome", _("Choose the outcome of the call."))
            return _render_call(request, handling, close_form=form)
        try:
            services.call_close(
                handling=handling,
                notes=data["notes"],
                outcome=data["outcome"],
                discard_drafts=data.get("discard_drafts", False),
            )
        except services.UnsubmittedClaimReport:
            form.add_error(
                "discard_drafts" if "discard_drafts" in form.fields else None,
                _(
                    "A claim report was started on this call and not submitted: submit it, or "
                    "tick that it is to be discarded."
                ),
            )
        except ValidationError as error:
            form.add_error("outcome", error)
        else:
            messages.success(request, _("The call is closed."))
            return redirect("desk:home")
    return _render_call(request, handling, close_form=form)


@desk_view
@require_POST
def remark(request: HttpRequest, ticket_id: int) -> HttpResponse:
    handling = selectors.handling_for_agent(agent=request.user, ticket_id=ticket_id)
    form = RemarkForm(request.POST)
    if form.is_valid():
        services.remark_add(handling=handling, by=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("The remark is added."))
    return redirect("desk:call", ticket_id=ticket_id)


@desk_view
@require_POST
def promise_done(request: HttpRequest, request_id: int) -> HttpResponse:
    if not services.desk_promise_done(request_id=request_id, agent=request.user):
        messages.error(request, _("This promise is no longer yours to keep, or it is kept."))
    return redirect("desk:home")


@desk_view
@require_POST
def promise_take_over(request: HttpRequest, request_id: int) -> HttpResponse:
    """Take over a colleague's overdue promise: it moves to this agent's list."""
    if services.desk_promise_take_over(request_id=request_id, agent=request.user):
        messages.success(request, _("The promise is yours to keep now."))
    else:
        messages.error(
            request, _("Only a colleague's overdue promise can be taken over, and this one is not.")
        )
    return redirect("desk:home")


@desk_view
def claim_report(request: HttpRequest, ticket_id: int, policy_number: str) -> HttpResponse:
    """The phone claim report: opening it creates nothing; a draft saves itself while the agent
    types (and on "Save draft"); submit once, show the claim number."""
    handling = _open_handling(request, ticket_id)
    contract = access.access_contract(handling=handling, policy_number=policy_number)
    report: ClaimReport | None
    if request.method == "POST":
        autosave = request.headers.get("X-Requested-With") == "fetch"
        # The same form sent again (the back button, a second tab): its report is submitted.
        done = _claim_report_done(request, handling=handling, autosave=autosave)
        if done is not None:
            return done
        try:
            report = services.claim_report_start(
                handling=handling, contract=contract, form_key=request.POST.get("form_key", "")
            )
        except services.HandlingClosed as exc:
            raise PermissionDenied from exc
        form, response = _claim_report_post(
            request,
            report=report,
            handling=handling,
            contract=contract,
            policy_number=policy_number,
            autosave=autosave,
        )
        if response is not None:
            return response
        kind = report.kind
    else:
        report = selectors.draft_report(handling=handling, contract=contract)
        kind = report.kind if report else services.claim_report_kind(contract)
        form = REPORT_FORMS[kind](
            initial=(report and report.data) or _report_initial(kind, handling, contract),
            contract=contract,
        )
    return render(
        request,
        "desk/claim_report.html",
        {
            "handling": handling,
            "ticket": handling.ticket,
            "contract": contract,
            "report": report,
            "kind": kind,
            "kind_display": ClaimReport.Kind(kind).label,
            "form_key": (report and report.form_key) or secrets.token_hex(16),
            "form": form,
        },
    )


def _claim_report_done(
    request: HttpRequest, *, handling: CallHandling, autosave: bool
) -> HttpResponse | None:
    """Answer a report form sent again after its report was submitted; None for any other."""
    done = selectors.submitted_report(
        handling=handling,
        report_id=request.POST.get("report"),
        form_key=request.POST.get("form_key", ""),
    )
    claim = done.claim if done is not None else None
    if claim is None:
        return None
    if autosave:
        return HttpResponse(status=409)
    messages.info(
        request,
        _("This report was already submitted: claim number %(number)s.")
        % {"number": claim.claim_number},
    )
    return redirect("desk:claim", ticket_id=handling.ticket_id, claim_number=claim.claim_number)


def _claim_report_post(
    request: HttpRequest,
    *,
    report: ClaimReport,
    handling: CallHandling,
    contract: Contract,
    policy_number: str,
    autosave: bool,
) -> tuple[forms.Form, HttpResponse | None]:
    """Save the draft or submit the report as the agent asked; return the form (with its
    errors) and the response, or None when the page is shown again."""
    form_class = REPORT_FORMS[report.kind]
    raw = {name: request.POST.get(name, "") for name in form_class.base_fields}
    form = form_class(request.POST, contract=contract)
    refused = [e for v in raw.values() for e in text_errors(v, max_length=DRAFT_FIELD_MAX)]
    if refused:  # a NUL or an oversized field: not storable, said at once
        if autosave:
            return form, JsonResponse({"error": str(refused[0])}, status=400)
        messages.error(request, refused[0])
        return form, None
    if request.POST.get("action") == "draft":
        services.claim_report_save_draft(report=report, data=raw)
        if autosave:
            saved = timezone.localtime().strftime("%H:%M:%S")
            return form, JsonResponse({"report": report.pk, "saved_at": saved})
        messages.success(request, _("The draft is saved; you can continue later."))
        return form, redirect(
            "desk:claim-report", ticket_id=handling.ticket_id, policy_number=policy_number
        )
    if form.is_valid():
        claim = services.claim_report_submit(
            report_id=report.pk, handling=handling, cleaned=form.cleaned_data, raw=raw
        )
        messages.success(
            request,
            _(
                "The claim is recorded under claim number %(number)s; it was e-mailed to the "
                "partner."
            )
            % {"number": claim.claim_number},
        )
        return form, redirect(
            "desk:claim", ticket_id=handling.ticket_id, claim_number=claim.claim_number
        )
    services.claim_report_save_draft(report=report, data=raw)  # an error loses nothing
    return form, None


def _report_initial(kind, handling, contract=None) -> dict:
    if kind == "property":
        return {
            "contact": handling.ticket.from_number,
            "risk_address": contract.risk_address if contract else "",
        }
    return {"owner_phone": ""}


# --- supervisors -------------------------------------------------------------------------------


@login_required
@permission_required("gratisz.review_calls", raise_exception=True)
@require_GET
def disclosures(request: HttpRequest) -> HttpResponse:
    """The disclosure log (supervisors only)."""
    ref = request.GET.get("ref", "")
    rows = selectors.disclosures_for_review(record_ref=ref)[:200]
    return render(request, "desk/disclosures.html", {"rows": rows, "ref": ref})
