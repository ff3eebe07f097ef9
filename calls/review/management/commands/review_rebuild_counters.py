from django.core.management.base import BaseCommand

from calls.review import services


class Command(BaseCommand):
    help = (
        "Recount every hour of the board's counters from the call log, and their daily sums "
        "that the reports read (after changing the service level settings, or after an upgrade "
        "that adds a counter)."
    )

    def handle(self, *args, **options):
        rows = services.board_counters_rebuild(since=None)
        self.stdout.write(f"{rows} counter rows written.")
