"""What every benchmark day starts with (imported after ``django.setup()``)."""

import datetime

from django.utils import timezone

from calls.models import SpecialDay
from partners.models import CallingNumberFailures, DirektThrottle


def fresh_day(*, note: str) -> None:
    """Open the line round the clock today and tomorrow (a run may pass midnight), and forget
    the failed verifications and locks an earlier run left behind."""
    DirektThrottle.objects.all().delete()
    CallingNumberFailures.objects.all().delete()
    today = timezone.localdate()
    for day in (today, today + datetime.timedelta(days=1)):
        SpecialDay.objects.update_or_create(
            date=day,
            defaults={
                "is_open": True,
                "opens": datetime.time(0, 0),
                "closes": datetime.time(23, 59, 59),
                "note": note,
            },
        )
