import datetime
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from gratisz import demo
from partners.models import PartnerFirm

DEMO_CALLS = 1200


class Command(BaseCommand):
    help = "Load the deterministic demo data (users, partner firms, portfolio, claims)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="instead: add N bulk contracts (one firm per 100) for benchmarks",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the data is built around (default: today in Budapest)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="allow demo users with known passwords although DEBUG is off",
        )

    def handle(self, *args, scale, today, force, **options):
        today = today or timezone.localdate()
        if scale:
            with tqdm(total=scale, unit="contract", file=self.stderr._out) as bar:
                demo.seed_scale(scale, today=today, progress=bar.update)
            self.stdout.write(f"added {scale} contracts")
            return
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: refusing to create demo users with known passwords.")
        if PartnerFirm.objects.filter(grid=demo.DEMO_GRID).exists():
            self.stdout.write("The demo data is already loaded.")
        else:
            demo.seed_demo(today=today)
            # A call history, so that the supervisor's board and log have something to show.
            call_command("review_seed_calls", DEMO_CALLS, recordings=5, days=90, stdout=StringIO())
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(demo_summary())


def demo_summary() -> str:
    lines = [
        "",
        f"Demo logins (password for all: {demo.DEMO_PASSWORD})",
        "  The second factor: add the TOTP secret to an authenticator app, or print the",
        "  current code with: .venv/bin/python manage.py demo_totp USERNAME",
        "",
        f"  {'user':<12}{'role':<17}TOTP secret",
    ]
    lines += [f"  {u.username:<12}{u.role:<17}{u.totp_secret}" for u in demo.DEMO_USERS]
    lines += [
        "",
        "Demo partners (GRID / staff Direkt code / manager code):",
        f"  Demo Alkusz Kft.    {demo.DEMO_GRID} / {demo.DEMO_STAFF_CODE} / "
        f"{demo.DEMO_MANAGER_CODE}   GFB-DEMO-0001, CFL-DEMO-0001, VAG-DEMO-0001",
        f"  Másik Partner Zrt.  {demo.OTHER_GRID} / {demo.OTHER_STAFF_CODE} / "
        f"{demo.OTHER_MANAGER_CODE}   GFB-DEMO-0002",
    ]
    return "\n".join(lines)
