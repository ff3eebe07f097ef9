"""The call's source moved from a prefix of its id to a field: the calls taken before keep
their source, and their ids lose the prefix."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("calls", "0005_review_call_end_reason")]
AFTER = [("calls", "0006_telephony_call_source")]


@pytest.mark.django_db(transaction=True)
def test_the_source_comes_from_the_old_prefix_and_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("calls", "CallTicket")
    for sid in ("CA0123", "pbx-1732700000.17", "desk-9f3e"):
        old.objects.create(call_sid=sid)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("calls", "CallTicket")
    assert set(new.objects.values_list("source", "call_sid")) == {
        ("ivr", "CA0123"),
        ("pbx", "1732700000.17"),
        ("desk", "9f3e"),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    assert set(old.objects.values_list("call_sid", flat=True)) == {
        "CA0123",
        "pbx-1732700000.17",
        "desk-9f3e",
    }
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
