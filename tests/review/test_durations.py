"""Durations on the supervisor's pages read as minutes and seconds, not a count of seconds."""

import pytest

from calls.templatetags.durations import duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, ""), (0, "0:00"), (7, "0:07"), (65, "1:05"), (1182, "19:42"), (3723, "1:02:03")],
)
def test_a_duration_reads_as_minutes_and_seconds(seconds, shown):
    assert duration(seconds) == shown
