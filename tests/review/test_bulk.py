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
