"""Benchmark the supervisor's call log, live board and reports at 10k and at 1M calls.

    .venv/bin/python bench/calllog.py [--small 10000] [--large 1000000] [--runs 15]

Builds its own PostgreSQL database (``BENCH_DATABASE_URL``, default ``gratisz_bench_calllog``):
migrates it, seeds the demo (``seed_demo``) for firms and people, adds ``--small`` calls with
``calls.review.bulk.seed_calls`` (COPY; the history reaches today, so that today's board and
the 90-day report read a full period, then VACUUM ANALYZE), and times in-process requests
through the whole middleware stack as a logged-in supervisor: the log's first page, a
filtered page (one agent, outcome "callback promised"), the board and the 90-day report. Then
it grows the history to ``--large`` calls and times them again. Prints the median server time
of each and the ratio of the large to the small figure. Server time = the Django test
client's request, so the network and the browser are left out.

With ``--keep`` it reuses a database seeded earlier (and adds calls only up to the size asked),
so ``--small 0`` against one database and ``--large 0`` against another measure each size again
without seeding it again.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="0: skip")
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--db",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gratisz_bench_calllog"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    return parser.parse_args()


def setup(args):
    import psycopg

    base, _sep, name = args.db.rpartition("/")
    if not args.keep:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from partners.models import PartnerFirm

    if not PartnerFirm.objects.exists():
        call_command("seed_demo", verbosity=0)
    from django.conf import settings

    # As in production: no query log kept in memory, no debug pages.
    settings.DEBUG = False


def supervisor_client():
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from gratisz.models import User

    user, created = User.objects.get_or_create(username="bench-supervisor", is_staff=True)
    if created:
        user.set_password("bench-password-0123")
        user.save()
        user.groups.add(Group.objects.get(name="supervisor"))
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    device = TOTPDevice.objects.get(user=user)
    client = Client(HTTP_HOST="localhost")
    client.post("/accounts/login/", {"username": user.username, "password": "bench-password-0123"})
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post("/accounts/otp/", {"token": token})
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return client


def measure(client, url: str, runs: int) -> tuple[float, float]:
    """Return the median server time of ``url`` and the median time spent in SQL (ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and the connection
    times, sql = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        sql.append(sum(float(q["time"]) for q in queries.captured_queries))
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    return statistics.median(times) * 1000, statistics.median(sql) * 1000


def pages():
    from calls.desk.models import CallHandling

    agent_id = CallHandling.objects.order_by("-taken_at").values_list("agent_id", flat=True)[0]
    return {
        "home (floor)": "/",
        "log, first page": "/review/calls/",
        "log, filtered page": f"/review/calls/?agent={agent_id}&outcome=callback",
        "board": "/review/",
        "report, 90 days": "/review/reports/?days=90",
    }


def grow_to(n: int) -> None:
    from django.utils import timezone

    from calls.models import CallTicket
    from calls.review import bulk
    from gratisz.management.commands.seed_demo import DEMO_CALLS

    have = CallTicket.objects.count()
    if have < n:
        t = time.perf_counter()
        # The first history reaches up to now (over the demo's few calls), so that today's
        # board and the 90-day report read a full period; more goes before it.
        before = timezone.now() if have <= DEMO_CALLS else None
        bulk.seed_calls(
            n - have,
            before=before,
            progress=lambda k: print(f"  … {have + k} calls", end="\r", flush=True),
        )
        print(f"  {n} calls written in {time.perf_counter() - t:.0f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum leaves a table some time after a load: statistics, and the visibility
        # map that lets counts read the index alone.
        cursor.execute("VACUUM ANALYZE")


def main():
    args = parse_args()
    setup(args)
    client = supervisor_client()
    results = {}
    sizes = [s for s in (args.small, args.large) if s]
    for size in sizes:
        grow_to(size)
        urls = pages()
        results[size] = {name: measure(client, url, args.runs) for name, url in urls.items()}
        for name, (ms, sql) in results[size].items():
            print(f"{size:>9} calls  {name:<20} {ms:8.1f} ms, SQL {sql:6.1f} ms")
    if len(sizes) < 2:
        return
    print()
    print(f"{'page (server / SQL ms)':<22}{args.small:>16}{args.large:>18}{'ratio':>8}")
    for name in results[args.small]:
        (small, s_sql), (large, l_sql) = results[args.small][name], results[args.large][name]
        print(
            f"{name:<22}{small:>8.1f} /{s_sql:>6.1f}{large:>10.1f} /{l_sql:>6.1f}"
            f"{large / small:>8.2f}"
        )


if __name__ == "__main__":
    main()
