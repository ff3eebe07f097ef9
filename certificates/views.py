"""Screens: the public verification page, the deliveries list with resend, the PDF download,
and the mailroom's print batches (download, confirm posted)."""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.throttling import SimpleRateThrottle

from partners.client_ip import client_ip

from . import selectors, services


class VerifyRateThrottle(SimpleRateThrottle):
    """At most ``VERIFY_RATE`` verification pages per client address (a sliding window in the
    cache: DRF's throttle, which the API already uses, works on a plain Django request too and
    tells how long to wait)."""

    cache_format = "verify-throttle:%(ident)s"

    def get_rate(self) -> str:
        return settings.VERIFY_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"ident": client_ip(request) or "unknown"}


def _verify_refused(request: HttpRequest, wait: float | None) -> HttpResponse:
    """Answer 429 in the user's language, with Retry-After: the address is over its limit."""
    seconds = max(1, math.ceil(wait or 1))
    message = ngettext(
        "Too many verifications from your address. Try again in %(seconds)s second.",
        "Too many verifications from your address. Try again in %(seconds)s seconds.",
        seconds,
    ) % {"seconds": seconds}
    response = render(
        request,
        "certificates/verify.html",
        {"state": "throttled", "message": message},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@require_GET
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """Let anyone type a document number; send them to its verification page."""
    number = request.GET.get("number", "").strip().upper()
    if number:
        try:
            return redirect("certificates:verify", number=number)
        except NoReverseMatch:  # control characters, or far too long for a number of ours
            return render(
                request,
                "certificates/verify.html",
                {"state": "malformed", "number": number[:100]},
                status=404,
            )
    return render(request, "certificates/verify.html", {"state": "ask"})


@require_GET
@never_cache
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """Confirm a document's number, type, issue date and validity; nothing personal.

    Rate limited per client address (``VERIFY_RATE``): 429 with Retry-After beyond it."""
    throttle = VerifyRateThrottle()
    if not throttle.allow_request(request, None):
        return _verify_refused(request, throttle.wait())
    if not services.number_is_well_formed(number):
        return render(
            request,
            "certificates/verify.html",
            {"state": "malformed", "number": number},
            status=404,
        )
    certificate = selectors.certificate_for_verification(number=number)
    if certificate is None:
        return render(
            request, "certificates/verify.html", {"state": "unknown", "number": number}, status=404
        )
    today = timezone.localdate()
    if certificate.revoked_at:
        state = "revoked"
    elif certificate.valid_until and certificate.valid_until < today:
        state = "expired"
    else:
        state = "valid"
    return render(
        request,
        "certificates/verify.html",
        {"state": state, "number": number, "certificate": certificate},
    )


@login_required
@permission_required("certificates.view_delivery", raise_exception=True)
def delivery_list(request: HttpRequest) -> HttpResponse:
    """List the user's deliveries (all of them for a supervisor), failed ones first."""
    deliveries = selectors.deliveries_visible_to(user=request.user)
    failed = deliveries.filter(state="failed")[:50]
    recent = deliveries.exclude(state="failed")[:50]
    can_resend = request.user.has_perm("certificates.resend_delivery")
    return render(
        request,
        "certificates/deliveries.html",
        {"failed": failed, "recent": recent, "can_resend": can_resend},
    )


@login_required
@permission_required("certificates.resend_delivery", raise_exception=True)
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a permanently failed delivery again."""
    delivery = get_object_or_404(selectors.failed_deliveries_for(user=request.user), pk=pk)
    try:
        services.delivery_resend(delivery=delivery, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect(reverse("certificates:deliveries"))


@login_required
@permission_required("certificates.view_issuedcertificate", raise_exception=True)
def certificate_pdf(request: HttpRequest, number: str) -> FileResponse:
    """Return an issued document's stored PDF to staff who may see it."""
    certificate = selectors.certificate_for_download(user=request.user, number=number)
    if certificate is None:
        raise Http404
    return FileResponse(
        certificate.pdf.open("rb"), filename=f"{certificate.number}.pdf", as_attachment=False
    )


# How many print batches the mailroom page lists: a quarter's working days and then some.
MAILROOM_BATCHES = 100


@login_required
@permission_required("certificates.handle_mail", raise_exception=True)
@require_GET
def print_batch_list(request: HttpRequest) -> HttpResponse:
    """List the print batches for the mailroom: date, letters, waiting or posted."""
    batches = selectors.print_batches_for_mailroom(user=request.user)[:MAILROOM_BATCHES]
    return render(
        request, "certificates/print_batches.html", {"batches": batches, "now": timezone.now()}
    )


@login_required
@permission_required("certificates.handle_mail", raise_exception=True)
@require_GET
def print_batch_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """Stream a print batch's PDF from the storage to the mailroom, for printing."""
    batch = get_object_or_404(selectors.print_batches_for_mailroom(user=request.user), pk=pk)
    return FileResponse(
        batch.pdf.open("rb"),
        filename=f"print-batch-{batch.created_at:%Y%m%d}-{batch.pk}.pdf",
        as_attachment=True,
        content_type="application/pdf",
    )


def _mailroom_view(view):
    return login_required(
        permission_required("certificates.handle_mail", raise_exception=True)(view)
    )


@_mailroom_view
@require_POST
def print_batch_build(request: HttpRequest) -> HttpResponse:
    """Build a batch of the letters waiting now, without waiting for the daily job."""
    batch = services.print_batch_build(by=request.user)
    if batch is None:
        messages.info(request, _("No letter is waiting to be posted."))
    else:
        messages.success(
            request,
            ngettext(
                "A batch of %(n)d letter is ready to download.",
                "A batch of %(n)d letters is ready to download.",
                batch.letters,
            )
            % {"n": batch.letters},
        )
    return redirect(reverse("certificates:print-batches"))


@_mailroom_view
@require_http_methods(["GET", "POST"])
def print_batch_posted(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that the mailroom posted a print batch: its letters count as sent from now.

    GET asks the clerk to confirm (the second step, so that a stray click sends nothing);
    the POST of that page confirms."""
    batch = get_object_or_404(selectors.print_batches_for_mailroom(user=request.user), pk=pk)
    if request.method == "GET" and not batch.is_posted:
        return render(
            request,
            "certificates/print_batch_confirm.html",
            {"batch": batch, "undo_minutes": settings.CERTIFICATES_POSTING_UNDO_MINUTES},
        )
    sent = (
        services.print_batch_confirm_posted(batch=batch, by=request.user)
        if (request.method == "POST")
        else None
    )
    batch.refresh_from_db()
    if sent is not None:
        messages.success(
            request,
            ngettext(
                "Batch confirmed as posted: %(n)d letter marked sent.",
                "Batch confirmed as posted: %(n)d letters marked sent.",
                sent,
            )
            % {"n": sent},
        )
    elif batch.is_posted:
        poster = batch.posted_by
        messages.info(
            request,
            _("This batch was already confirmed as posted on %(at)s by %(by)s.")
            % {
                "at": date_format(timezone.localtime(batch.posted_at), "DATETIME_FORMAT"),
                "by": (poster.get_full_name() or poster.get_username()) if poster else "",
            },
        )
    return redirect(reverse("certificates:print-batches"))


@_mailroom_view
@require_POST
def print_batch_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a posting confirmation given by mistake, with a reason, within the undo window."""
    batch = get_object_or_404(selectors.print_batches_for_mailroom(user=request.user), pk=pk)
    try:
        n = services.print_batch_posting_undo(
            batch=batch, by=request.user, reason=request.POST.get("reason", "")[:300]
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    except services.PostingNotUndoable:
        messages.error(
            request,
            _(
                "The confirmation can no longer be undone: its letters have been reported as "
                "sent. Ask an administrator to correct the record."
            ),
        )
    else:
        messages.success(
            request,
            ngettext(
                "Confirmation undone: %(n)d letter waits to be posted again.",
                "Confirmation undone: %(n)d letters wait to be posted again.",
                n,
            )
            % {"n": n},
        )
    return redirect(reverse("certificates:print-batches"))
