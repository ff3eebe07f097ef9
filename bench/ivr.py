"""Benchmark the IVR webhooks under gunicorn on loopback.

    .venv/bin/python bench/ivr.py [--firms 10000] [--callers 20] [--calls 300] [--seconds 90]

Builds its own PostgreSQL database (``BENCH_DATABASE_URL``, default ``gratisz_bench_ivr``) with
``--firms`` partner firms and staff Direkt codes (bulk inserts), starts gunicorn on 127.0.0.1
with production settings, and lets ``--callers`` concurrent callers place calls through the
whole flow, signed like Twilio: entry, menu, GRID, code (most right, some wrong once, a few
wrong twice), the queue's wait music, the status callback. A caller keys each answer after
``--think`` seconds on average (0.5 s: far faster than a person, who listens to a prompt for
several seconds; ``--think 0`` measures the server at saturation instead). Prints p50/p99/max
latency per webhook and overall, the errors, and the machine's load average (other work on a
2-core machine shows in the figures). Stops after ``--calls`` calls or ``--seconds`` seconds,
whichever comes first, and stops gunicorn.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GRID_BASE = 800_000_000
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"  # noqa: S105 (loopback benchmark only)
PEPPER = "bench-pepper-0123456789abcdefghijklmnopqrstuvwxyz"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300, help="total calls, at most")
    parser.add_argument("--seconds", type=float, default=90, help="time limit of the run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one a core)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="mean seconds a caller takes to key the next answer (0: as fast as possible)",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gratisz_bench_ivr"
        ),
    )
    return parser.parse_args()


def server_env(args, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gratisz.settings",
        "DATABASE_URL": args.db,
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DIREKT_CODE_PEPPER": PEPPER,
        "TELEPHONY_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "ERROR",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # Bench callers key faster than people: the back-off would refuse a right second try.
        "DIREKT_THROTTLE_FACTOR": "0",
        "EMAIL_URL": "dummymail://",
    }


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def firm_code(index: int) -> str:
    """Return the staff code of bench firm ``index`` (deterministic, never trivial)."""
    from partners import direkt

    n = index * 7919 + 1237
    while True:
        code = f"{n % 10_000:04d}"
        if not direkt.is_trivial(code):
            return code
        n += 1


def prepare(args) -> None:
    """Migrate the bench database and fill it with firms, codes and an open line."""
    os.environ.update(server_env(args, 0))
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from bench._day import fresh_day
    from partners import direkt
    from partners.models import (
        DirektCode,
        PartnerFirm,
    )

    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL")
    call_command("migrate", verbosity=0)
    have = PartnerFirm.objects.filter(grid__gte=str(GRID_BASE)).count()
    started = time.perf_counter()
    batch = 2_000
    for start in range(have, args.firms, batch):
        indexes = range(start, min(start + batch, args.firms))
        firms = PartnerFirm.objects.bulk_create(
            PartnerFirm(
                grid=f"{GRID_BASE + i:09d}",
                name=f"Bench Alkusz {i} Kft.",
                kind=PartnerFirm.Kind.BROKER,
            )
            for i in indexes
        )
        codes = []
        for i, firm in zip(indexes, firms, strict=True):
            salt = direkt.new_salt()
            codes.append(
                DirektCode(
                    firm=firm,
                    role=DirektCode.Role.STAFF,
                    salt=salt,
                    code_hash=direkt.keyed_hash(grid=firm.grid, salt=salt, code=firm_code(i)),
                )
            )
        DirektCode.objects.bulk_create(codes)
    if args.firms > have:
        print(f"created {args.firms - have} firms in {time.perf_counter() - started:.1f} s")
    fresh_day(note="benchmark")
    connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, port: int, log) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "gratisz.ivr_wsgi:application",  # as make serve runs the webhooks
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--backlog",
        "256",
    ]
    server = subprocess.Popen(  # noqa: S603 (fixed command on loopback)
        command, cwd=ROOT, env=server_env(args, port), stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn did not start; see the log") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start in 30 s")


class Caller:
    """One phone line: places calls one after the other, like Twilio would post them."""

    def __init__(self, number: int, base: str, args, stats, rng: random.Random):
        from twilio.request_validator import RequestValidator

        self.base = base
        self.args = args
        self.stats = stats
        self.rng = rng
        self.from_number = f"+3630{number:07d}"
        self.validator = RequestValidator(AUTH_TOKEN)

    def post(self, kind: str, url: str, params: dict[str, str]) -> str:
        body = urlencode(params).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
        }
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            text, status = "", error.code
        except OSError as error:
            text, status = "", f"{type(error).__name__}"
        elapsed = (time.perf_counter() - started) * 1000
        self.stats.add(kind, elapsed, status)
        if self.args.think:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
        return text

    def place_call(self, sid: str) -> None:
        index = self.rng.randrange(self.args.firms)
        grid = f"{GRID_BASE + index:09d}"
        right = firm_code(index)
        wrong = f"{(int(right) + 1) % 10_000:04d}"
        roll = self.rng.random()
        codes = [right] if roll < 0.8 else [wrong, right] if roll < 0.95 else [wrong, wrong]
        common = {
            "CallSid": sid,
            "AccountSid": "AC" + "b" * 32,
            "From": self.from_number,
            "To": "+3614623800",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        twiml = self.post("voice", f"{self.base}/ivr/voice/", {**common, "CallStatus": "ringing"})
        step = 1
        menu = self.rng.choice("12")
        keys = [menu]
        for code in codes:
            keys += [grid, code]
        for digits in keys:
            twiml = self.post(
                "step",
                f"{self.base}/ivr/step/?n={step}",
                {**common, "CallStatus": "in-progress", "Digits": digits},
            )
            step += 1
        expected = "<Enqueue" if codes[-1] == right else "<Hangup"
        if expected not in twiml:
            self.stats.add("flow", 0, f"unexpected answer: {twiml[:80]}")
        if expected == "<Enqueue":
            self.post("wait", f"{self.base}/ivr/wait/", {**common, "CallStatus": "in-progress"})
        self.post(
            "status",
            f"{self.base}/ivr/status/",
            {**common, "CallStatus": "completed", "CallDuration": "60"},
        )


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.calls = 0

    def add(self, kind: str, ms: float, status) -> None:
        with self.lock:
            if status in (200, 204):
                self.latencies[kind].append(ms)
            else:
                self.errors[f"{kind}: {status}"] += 1

    def take_call(self, limit: int) -> int | None:
        with self.lock:
            if self.calls >= limit:
                return None
            self.calls += 1
            return self.calls


def percentile(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> None:
    args = parse_args()
    create_database(args.db)
    prepare(args)
    port = free_port()
    log_path = ROOT / "var" / "bench-ivr-gunicorn.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        server = start_server(args, port, log)
        try:
            stats = Stats()
            run_id = f"{int(time.time()):x}"

            def caller_loop(number: int) -> None:
                caller = Caller(
                    number, f"http://127.0.0.1:{port}", args, stats, random.Random(number)
                )
                # Calls come in at random moments, not all in the same millisecond.
                time.sleep(caller.rng.uniform(0, 6 * args.think))
                while time.monotonic() < deadline:
                    call = stats.take_call(args.calls)
                    if call is None:
                        return
                    caller.place_call(f"CA{run_id}{call:08d}".ljust(34, "0"))

            # Warm up each worker (imports, connections) outside the measurement.
            warm = Stats()
            warm_caller = Caller(
                9_999_999, f"http://127.0.0.1:{port}", args, warm, random.Random(0)
            )
            for n in range(args.workers * 2):
                warm_caller.place_call(f"CAwarm{run_id}{n:06d}".ljust(34, "0"))

            load_before = os.getloadavg()[0]
            deadline = time.monotonic() + args.seconds
            started = time.perf_counter()
            threads = [threading.Thread(target=caller_loop, args=(n,)) for n in range(args.callers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)

    everything = [ms for values in stats.latencies.values() for ms in values]
    # Other work on the machine shows in the figures: print the load the run saw.
    print(f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    print(
        f"{stats.calls} calls, {len(everything)} webhook requests in {wall:.1f} s "
        f"({len(everything) / wall:.0f} req/s), {args.callers} concurrent callers, "
        f"{args.firms} firms, {args.workers} gunicorn workers, think {args.think} s"
    )
    print(f"{'webhook':<8} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ("voice", "step", "wait", "status"):
        values = stats.latencies.get(kind, [])
        if values:
            print(
                f"{kind:<8} {len(values):>6} {percentile(values, 50):>8.1f} "
                f"{percentile(values, 99):>8.1f} {max(values):>8.1f}"
            )
    if everything:
        print(
            f"{'all':<8} {len(everything):>6} {percentile(everything, 50):>8.1f} "
            f"{percentile(everything, 99):>8.1f} {max(everything):>8.1f}"
        )
    print(f"errors: {sum(stats.errors.values())}", dict(stats.errors) or "")


if __name__ == "__main__":
    main()
