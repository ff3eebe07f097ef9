"""The supervisor's screens. Thin: parse, call one selector or service, render."""

import datetime
import re
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from boundary.lanes import long_request
from boundary.sessions import mark_passive
from calls.desk import complaints
from calls.desk.callbacks import callback_stats
from calls.desk.forms import ComplaintUnmarkForm
from calls.desk.models import Complaint, DeskRequest
from calls.models import CallRecording, CallTicket
from certificates.models import Delivery

from . import charts, exports, selectors, services
from .forms import CallLogFilterForm, HoldForm, ScoreCardForm
from .models import BoardCounter

M = BoardCounter.Metric


def supervisor_view(view):
    """Require a logged-in (TOTP-verified, by the middleware) user who reviews calls."""
    return login_required(
        permission_required(selectors.REVIEW_PERMISSION, raise_exception=True)(view)
    )


def reviewed_view(view):
    """Require a logged-in agent (who sees their own reviews) or supervisor (all reviews)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.has_perm("gratisz.use_desk") or user.has_perm(selectors.REVIEW_PERMISSION)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


# --- call log ---------------------------------------------------------------------------------


def _filtered(request: HttpRequest):
    form = CallLogFilterForm(request.GET or None, agents=selectors.agents_for_filter())
    filters = form.filters() if request.GET else {"sort": selectors.DEFAULT_SORT}
    return form, filters, selectors.call_log(filters=filters)


@supervisor_view
@require_GET
def call_log(request: HttpRequest) -> HttpResponse:
    form, filters, qs = _filtered(request)
    before = request.GET.get("before", "")
    page = selectors.call_log_page(
        qs=qs,
        sort=filters["sort"],
        cursor=before or request.GET.get("after", ""),
        size=settings.REVIEW_PAGE_SIZE,
        backward=bool(before),
    )
    count = selectors.call_log_count(qs=qs)
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("before", None)
    first_query = params.urlencode() if page.prev_cursor else ""

    def at(key: str, cursor: str) -> str:
        p = params.copy()
        p[key] = cursor
        return p.urlencode()

    sort_links = {}
    for column in ("started", "wait", "handle"):
        p = params.copy()
        p["sort"] = column if filters["sort"] == f"-{column}" else f"-{column}"
        sort_links[column] = p.urlencode()
    export = params.copy()
    export.pop("sort", None)
    return render(
        request,
        "review/call_log.html",
        {
            "form": form,
            "page": page,
            "count": count,
            "synced_at": selectors.log_synced_at(),
            "now": timezone.now(),
            "next_query": at("after", page.next_cursor) if page.next_cursor else "",
            "prev_query": at("before", page.prev_cursor) if page.prev_cursor else "",
            "first_query": first_query,
            "export_query": export.urlencode() + f"&sort={filters['sort']}",
            "sort": filters["sort"],
            "sort_links": sort_links,
        },
    )


@supervisor_view
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _form, filters, qs = _filtered(request)
    rows = selectors.call_log_iter(
        qs=qs.select_related("ticket", "firm", "agent"), sort=filters["sort"]
    )
    delimiter = exports.CSV_DELIMITERS.get(request.GET.get("sep", ""), ";")
    response = StreamingHttpResponse(
        exports.csv_stream(rows, delimiter=delimiter, language=get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="calls.csv"'
    return response


@long_request  # a workbook of up to a million calls is written before it is sent
@supervisor_view
@require_GET
def export_xlsx(request: HttpRequest) -> FileResponse:
    _form, filters, qs = _filtered(request)
    rows = selectors.call_log_iter(
        qs=qs.select_related("ticket", "firm", "agent"), sort=filters["sort"]
    )
    return FileResponse(
        exports.xlsx_file(rows),
        as_attachment=True,
        filename="calls.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- one call ---------------------------------------------------------------------------------


@supervisor_view
@require_GET
def call_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    record = selectors.call_record(ticket_id=ticket_id)
    criteria = selectors.active_criteria()
    return render(
        request,
        "review/call_detail.html",
        {
            "record": record,
            "score_form": ScoreCardForm(criteria=criteria),
            "hold_form": HoldForm(),
            **_complaint_context(record.ticket),
        },
    )


def _complaint_context(ticket) -> dict:
    complaint = complaints.complaint_in_force(ticket=ticket)
    return {
        "complaint": complaint,
        "complaint_kept_until": complaints.complaint_kept_until(ticket=ticket)
        if complaint
        else None,
        "complaints_unmarked": list(
            ticket.complaints.filter(unmarked_at__isnull=False).select_related("unmarked_by")
        ),
        "unmark_form": ComplaintUnmarkForm(),
    }


@supervisor_view
@require_POST
def complaint_unmark(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Take the complaint mark off a call (supervisors only, with a reason; audited)."""
    ticket = get_object_or_404(CallTicket, pk=ticket_id)
    form = ComplaintUnmarkForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the reason why the call is not a complaint."))
        complaints.complaint_unmark(
            ticket=ticket, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except Complaint.DoesNotExist:
        messages.error(request, _("This call is not marked as a complaint."))
    else:
        messages.success(
            request, _("The complaint mark is taken off; the ordinary retention applies again.")
        )
    return redirect("review:call", ticket_id=ticket_id)


@supervisor_view
@require_POST
def score(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(CallTicket, pk=ticket_id)
    form = ScoreCardForm(request.POST, criteria=selectors.active_criteria())
    if form.is_valid():
        try:
            services.score_card_create(
                ticket=ticket,
                reviewer=request.user,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except (services.NotReviewable, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Review saved."))
    else:
        messages.error(request, _("Give points for every criterion within its maximum."))
    return redirect("review:call", ticket_id=ticket_id)


@supervisor_view
@require_POST
def hold(request: HttpRequest, recording_id: int) -> HttpResponse:
    recording = get_object_or_404(CallRecording, pk=recording_id)
    if request.POST.get("release"):
        services.recording_hold_release(recording=recording, by=request.user)
        messages.success(request, _("Legal hold released."))
    else:
        form = HoldForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("Give the reason of the hold."))
            services.recording_hold_place(
                recording=recording, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Recording placed on legal hold."))
        except (services.AlreadyHeld, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("review:call", ticket_id=recording.ticket_id)


_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})\Z")


def _file_chunks(f, start: int, length: int, block: int = 64 * 1024):
    try:
        f.seek(start)
        while length > 0:
            data = f.read(min(block, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        f.close()


@supervisor_view
@require_GET
def recording_audio(
    request: HttpRequest, recording_id: int
) -> HttpResponse | StreamingHttpResponse:
    """Stream a recording from storage, honouring one HTTP byte range (so the player seeks);
    audit every request."""
    stored = selectors.recording_for_playback(recording_id=recording_id)
    size = stored.file.size
    header = request.headers.get("Range", "")
    start, end, status = 0, size - 1, 200
    if header:
        match = _RANGE.match(header.strip())
        if not match or (not match[1] and not match[2]):
            return _unsatisfiable(size)
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # the last N bytes
            start = max(0, size - int(match[2]))
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    services.playback_record(recording=stored.recording, user=request.user, byte_range=header)
    length = end - start + 1
    response = StreamingHttpResponse(
        _file_chunks(stored.file.open("rb"), start, length),
        status=status,
        content_type=stored.content_type,
    )
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(length)
    response["Cache-Control"] = "private, no-store"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


# --- reviews an agent sees ----------------------------------------------------------------------


@reviewed_view
@require_GET
def my_reviews(request: HttpRequest) -> HttpResponse:
    cards = selectors.score_cards_for(user=request.user).filter(agent=request.user)[:200]
    return render(request, "review/my_reviews.html", {"cards": cards})


@reviewed_view
@require_GET
def review_detail(request: HttpRequest, card_id: int) -> HttpResponse:
    card = selectors.score_card_for(user=request.user, card_id=card_id)
    return render(request, "review/review_detail.html", {"card": card})


# --- board and reports ------------------------------------------------------------------------


def _avg(total: int, n: int) -> int:
    return round(total / n) if n else 0


@supervisor_view
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end = day_start + datetime.timedelta(days=1)
    totals = selectors.counter_totals(start=day_start, end=end)
    series = selectors.counter_series(start=day_start, end=end, metrics=[M.CALLS], by_day=False)
    calls = totals[M.CALLS][""]
    answered = totals[M.ANSWERED][""]
    level = selectors.service_level(
        offered=totals[M.SL_OFFERED][""], answered_in_time=totals[M.SL_ANSWERED][""]
    )
    hours = range(7, 21)
    context = {
        "live": selectors.live_queue(now=now),
        "agents": selectors.live_agents(now=now),
        "waiting": selectors.waiting_calls(),
        "now": now,
        "promises": selectors.promise_counts(now=now),
        "alerts": selectors.alerts(now=now, level=level),
        "calls": calls,
        "answered": answered,
        "service_level": level,
        "abandon_rate": round(100 * totals[M.ABANDONED][""] / calls) if calls else 0,
        "avg_wait": _avg(totals[M.WAIT_TOTAL][""], answered),
        "avg_handle": _avg(
            sum(totals[M.AGENT_HANDLE_TOTAL].values()), sum(totals[M.AGENT_CALLS].values())
        ),
        "calls_chart": charts.bar_chart(
            [(f"{h}", series[M.CALLS].get(h, 0)) for h in hours], title=_("Calls per hour today")
        ),
        "synced_at": selectors.last_sync(),
    }
    if request.GET.get("partial"):
        mark_passive(request)  # the page's own refresh: not the supervisor's activity
        return render(request, "review/_board_live.html", context)
    return render(request, "review/board.html", context)


REPORT_DAYS = (7, 30, 90)


@supervisor_view
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", 7))
    except ValueError:
        days = 7
    days = days if days in REPORT_DAYS else 7
    now = timezone.now()
    today = timezone.localdate(now)
    first = today - datetime.timedelta(days=days - 1)
    start = selectors.day_start(first)
    end = selectors.day_start(today + datetime.timedelta(days=1))
    totals = selectors.counter_totals(start=start, end=end)
    series = selectors.counter_series(
        start=start,
        end=end,
        metrics=[M.CALLS, M.ANSWERED, M.ABANDONED, M.WAIT_TOTAL, M.SL_OFFERED, M.SL_ANSWERED],
        by_day=True,
    )
    dates = [first + datetime.timedelta(days=i) for i in range(days)]

    def label(d):
        return date_format(d, "MONTH_DAY_FORMAT")

    agents = totals[M.AGENT_CALLS]
    names = selectors.agent_names(agents)
    handle = sorted(
        ((names.get(k, k), _avg(totals[M.AGENT_HANDLE_TOTAL][k], n)) for k, n in agents.items()),
        key=lambda p: -p[1],
    )
    grids = sorted(totals[M.GRID_FAILURES].items(), key=lambda p: -p[1])[:15]
    kinds = dict(DeskRequest.Kind.choices)
    states = dict(Delivery.State.choices)
    delivered = totals[M.DELIVERIES]
    finished = delivered.get(Delivery.State.SENT, 0) + delivered.get(Delivery.State.FAILED, 0)
    level = selectors.service_level(
        offered=totals[M.SL_OFFERED][""], answered_in_time=totals[M.SL_ANSWERED][""]
    )
    daily_levels: list[tuple[str, float]] = [
        (
            label(d),
            selectors.service_level(
                offered=series[M.SL_OFFERED].get(d, 0),
                answered_in_time=series[M.SL_ANSWERED].get(d, 0),
            ).percent
            or 0,
        )
        for d in dates
    ]
    context = {
        "days": days,
        "report_days": REPORT_DAYS,
        "calls_chart": charts.bar_chart(
            [(label(d), series[M.CALLS].get(d, 0)) for d in dates], title=_("Calls per day")
        ),
        "wait_chart": charts.bar_chart(
            [
                (label(d), _avg(series[M.WAIT_TOTAL].get(d, 0), series[M.ANSWERED].get(d, 0)))
                for d in dates
            ],
            title=_("Average time to answer"),
            unit="s",
        ),
        "abandon_chart": charts.bar_chart(
            [
                (
                    label(d),
                    round(100 * series[M.ABANDONED].get(d, 0) / series[M.CALLS][d])
                    if series[M.CALLS].get(d)
                    else 0,
                )
                for d in dates
            ],
            title=_("Abandon rate"),
            unit="%",
        ),
        "handle_chart": charts.hbar_chart(
            handle, title=_("Average handling time per agent"), unit="s"
        ),
        "grid_chart": charts.hbar_chart(
            [(g, n) for g, n in grids], title=_("Failed verifications per GRID")
        ),
        "requests_chart": charts.hbar_chart(
            [(str(kinds.get(k, k)), n) for k, n in sorted(totals[M.REQUESTS].items())],
            title=_("Requests by type"),
        ),
        "delivery_chart": charts.hbar_chart(
            [(str(states.get(k, k)), n) for k, n in sorted(delivered.items())],
            title=_("Certificate deliveries"),
        ),
        "delivery_success": round(100 * delivered.get(Delivery.State.SENT, 0) / finished)
        if finished
        else None,
        "service_level": level,
        "service_level_chart": charts.bar_chart(
            daily_levels,
            title=_("Service level per day"),
            unit="%",
            top=100,
            target=level.target,
            target_label=_("target"),
        ),
        "outcome_mix": selectors.outcome_mix(totals=totals),
        "claim_reports": selectors.claim_reports_submitted(totals=totals),
        "promises_on_time": selectors.promises_on_time(totals=totals),
        "callback_stats": callback_stats(start=start, end=end),
        "promises": selectors.promise_counts(now=now),
        "calls": totals[M.CALLS][""],
    }
    return render(request, "review/reports.html", context)
