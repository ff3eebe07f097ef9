"""The bulk call history the demo and the benchmark use is what the log would compute."""

from django.core.management import call_command

from calls.models import CallTicket
from calls.review import services
from calls.review.models import BoardCounter, CallLogEntry, RecordingFile
from gratisz.roles import Role


def test_seeded_calls_match_a_refresh_of_their_log(firm, other_firm, make_user):
    make_user(Role.AGENT, username="anna")
    call_command("review_seed_calls", "60", recordings=2, stdout=None)
    assert CallTicket.objects.count() == 60
    assert RecordingFile.objects.count() == 2
    assert BoardCounter.objects.filter(metric=BoardCounter.Metric.CALLS).exists()
    fields = [
        "ticket_id",
        "state",
        "agent_id",
        "outcome",
        "queued",
        "wait_seconds",
        "handle_seconds",
        "verification",
        "open_promise_due_at",
        "firm_id",
        "menu",
    ]
    seeded = list(CallLogEntry.objects.order_by("ticket_id").values_list(*fields))
    services.call_log_rebuild_all()
    refreshed = list(CallLogEntry.objects.order_by("ticket_id").values_list(*fields))
    assert seeded == refreshed


def test_the_demo_history_spreads_over_the_open_hours_of_90_days_with_real_promises(
    firm, other_firm, make_user
):
    from django.utils import timezone

    from calls import opening_hours
    from calls.desk.models import DeskRequest

    make_user(Role.AGENT, username="anna")
    call_command("review_seed_calls", "300", recordings=0, days=90, stdout=None)
    starts = list(CallTicket.objects.values_list("started_at", flat=True))
    now = timezone.now()
    days = {timezone.localtime(s).date() for s in starts}
    assert all(s < now for s in starts)
    assert (now - min(starts)).days >= 75, "the history does not reach back far enough"
    assert len(days) >= 40, "the calls are bunched on a few days"
    assert all(opening_hours.is_open(s) for s in starts)
    promises = DeskRequest.objects.filter(kind__in=DeskRequest.PROMISES)
    assert promises.exists()
    assert all(opening_hours.is_open(p.due_at) for p in promises)
    assert all(p.subject for p in promises)
    # The log and the counters agree with what a refresh computes from the same rows.
    before = list(CallLogEntry.objects.order_by("ticket_id").values_list("open_promise_due_at"))
    services.call_log_rebuild_all()
    after = list(CallLogEntry.objects.order_by("ticket_id").values_list("open_promise_due_at"))
    assert before == after
