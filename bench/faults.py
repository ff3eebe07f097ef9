"""Fault scenarios against the production shape under load; each prints PASS or FAIL.

    .venv/bin/python bench/faults.py [redis smtp worker postgres fuzz]   (default: all)

Each scenario runs bench/load.py's compressed day (``--minutes 2``, 20 agents, 40 calls a
minute, in a subprocess of its own) and breaks one piece in the middle of it:

redis     Our own redis-server (port 6391, ``--save "" --appendonly no``: a restart loses
          every queued message) is stopped for 20 s and started empty. PASS: no request
          fails, every call ticket ends in a final state and every requested document goes
          out exactly once (the sweep queues again what was lost).
worker    The Celery worker (and its pool) gets SIGKILL three times, each time while a
          document is being handed to the SMTP server (which holds its reply 1 s). PASS:
          every document goes out exactly once.
smtp      The SMTP server is down for 45 s. PASS: deliveries fail, retry, and all go out
          once it is back; none is marked sent while it is down.
postgres  Our own PostgreSQL cluster (port 5441, under /tmp/h2-pgfault, run as the postgres
          user) is stopped for 20 s and started again, without touching gunicorn. PASS: no
          caller lost (the IVR answers "hold" while it is down: a message, a pause and the
          same step again, which the callers follow like the provider), no 500, every error
          answer is a 503 with Retry-After, pages answer again within 30 s, the gunicorn
          processes are the same ones, and the end check holds.
fuzz      tests/calls/test_ivr_fuzz.py: hypothesis posts arbitrary, signed and unsigned forms
          to every IVR webhook; PASS: no 500. (The API's fuzz is tests/api/test_schema.py,
          schemathesis, in CI.)

Every scenario uses its own Redis on port 6391 (never the shared 6379) and the load test's
database (``gratisz_load``; postgres: a database in the private cluster). To keep a scenario
to a few minutes the certificates' timings are shortened: the sweep re-queues after 30 s
(``CERTIFICATES_SWEEP_GRACE_SECONDS``), a lease lasts 40 s, retries wait 5 s doubling to
30 s; beat runs the sweep every minute as in production. Do not run it at the same time as
bench/load.py (they share var/load/).
"""

import argparse
import asyncio
import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402  (bench/load.py)

ROOT = load.ROOT
# Ports of this run's own services (override to run beside another engineer's run).
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6391"))
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5441"))
POSTGRES_WEB_PORT = int(os.environ.get("FAULTS_WEB_PORT", "8777"))
PG_DIR = Path(os.environ.get("FAULTS_PG_DIR", "/tmp/h2-pgfault"))  # noqa: S108
SCENARIOS = ["redis", "worker", "smtp", "postgres", "fuzz"]
FAST_CERTIFICATES = {
    "CERTIFICATES_SWEEP_GRACE_SECONDS": "30",
    "CERTIFICATES_LEASE_SECONDS": "40",
    "CERTIFICATES_SEND_TIMEOUT": "20",
    "RETRY_BASE_SECONDS": "5",
    "RETRY_MAX_SECONDS": "30",
}


class Redis:
    """A private redis-server without persistence: a restart starts empty."""

    def __init__(self, port: int = REDIS_PORT):
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        load.wait_for_port(self.port, self.proc, timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def as_postgres(command: str) -> subprocess.CompletedProcess:
    prefix = [] if os.geteuid() else ["su", "postgres", "-c"]
    argv = [*prefix, command] if prefix else ["sh", "-c", command]
    return subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603


class PrivatePostgres:
    """A PostgreSQL cluster of our own (never the shared 5432), started and stopped at will."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = bins[-1]

    def init(self) -> None:
        if (PG_DIR / "PG_VERSION").exists():
            return
        PG_DIR.mkdir(parents=True, exist_ok=True)
        if not os.geteuid():
            shutil.chown(PG_DIR, "postgres", "postgres")
        done = as_postgres(f"{self.bin}/initdb -D {PG_DIR} -A trust -U postgres")
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)

    def start(self) -> None:
        done = as_postgres(
            f"{self.bin}/pg_ctl -D {PG_DIR} -o '-p {PG_PORT} -k /tmp' -l {PG_DIR}/log -w start"
        )
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)

    def stop(self) -> None:
        as_postgres(f"{self.bin}/pg_ctl -D {PG_DIR} -m fast -w stop")


def scenario_args(port: int, **changes) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    load.add_arguments(parser)
    args = parser.parse_args([])
    args.minutes, args.agents, args.calls_per_minute = 2, 20, 40
    args.port, args.smtp_port, args.provider_port, args.drain = port, port + 1, port + 100, 300
    args.broker = f"redis://127.0.0.1:{REDIS_PORT}/0"
    args.cache = f"redis://127.0.0.1:{REDIS_PORT}/1"
    for name, value in changes.items():
        setattr(args, name, value)
    return args


def verdict(name: str, passed: bool, figures: str) -> bool:
    print(f"\nRESULT {name}: {'PASS' if passed else 'FAIL'} — {figures}", flush=True)
    return passed


def errors_between(stats: load.Stats, start: float, end: float) -> int:
    return sum(1 for t, _key in stats.error_times if start <= t <= end)


# --- the scenarios ----------------------------------------------------------------------------


def scenario_redis() -> bool:
    redis = Redis()
    redis.start()
    marks = {}

    async def during(stack, sink, day):
        await asyncio.sleep(40)
        marks["down"] = time.monotonic()
        redis.stop()
        print("fault: Redis stopped", flush=True)
        await asyncio.sleep(20)
        await asyncio.to_thread(redis.start)
        marks["up"] = time.monotonic()
        print("fault: Redis started again, empty", flush=True)

    stacks = []

    def setup(stack, sink):
        # kombu 5.7 on redis 8.1: the worker exits ("Unrecoverable error: AttributeError
        # 'NoneType' object has no attribute 'hostname'") when the broker goes away while it
        # holds an unacknowledged message; ``make serve`` leaves it dead and nothing more is
        # sent. Here a supervisor restarts it, as systemd's Restart=always would.
        stacks.append(stack)
        stack.supervise_worker()

    try:
        args = scenario_args(8771)
        outcome = load.run(
            args, load.stack_env(args, **FAST_CERTIFICATES), during=during, setup=setup
        )
    finally:
        redis.stop()
    restarts = stacks[0].worker_restarts
    stats = outcome.stats
    asked = sum(1 for t in outcome.day.certificate_times if marks["down"] <= t <= marks["up"])
    errors = sum(stats.errors.values())
    return verdict(
        "redis restart",
        outcome.end_check_passed and errors == 0,
        f"Redis down {marks['up'] - marks['down']:.0f} s; {asked} certificate requests saved "
        f"while it was down; errors {errors} (during the outage "
        f"{errors_between(stats, marks['down'], marks['up'])}); the Celery worker exited "
        f"{restarts} time(s) and was restarted by the supervisor; end check "
        f"{'PASS' if outcome.end_check_passed else 'FAIL'}",
    )


def scenario_worker() -> bool:
    redis = Redis()
    redis.start()
    kills = []

    def setup(stack, sink):
        sink.delay = 1.0  # a slow SMTP server: a send takes a second

    async def during(stack, sink, day):
        for _ in range(3):
            await asyncio.sleep(25)
            sink.sending.clear()
            if not await asyncio.to_thread(sink.sending.wait, 30):
                print("fault: no send in progress to interrupt", flush=True)
                continue
            await asyncio.sleep(0.3)  # in the middle of the SMTP conversation
            stack.kill_worker()
            kills.append(time.monotonic())
            print("fault: Celery worker killed (SIGKILL) while sending", flush=True)
            await asyncio.sleep(2)
            await asyncio.to_thread(stack.start_worker)

    try:
        args = scenario_args(8773)
        outcome = load.run(
            args, load.stack_env(args, **FAST_CERTIFICATES), during=during, setup=setup
        )
    finally:
        redis.stop()
    from certificates.models import DeliveryAttempt

    interrupted = DeliveryAttempt.objects.filter(
        outcome="interrupted", started_at__gte=outcome.day.started_at
    ).count()
    errors = sum(outcome.stats.errors.values())
    return verdict(
        "worker SIGKILL",
        outcome.end_check_passed and errors == 0 and len(kills) == 3,
        f"{len(kills)} kills mid-send, {interrupted} delivery attempts interrupted and retried; "
        f"errors {errors}; end check {'PASS' if outcome.end_check_passed else 'FAIL'}",
    )


def scenario_smtp() -> bool:
    redis = Redis()
    redis.start()
    marks = {}

    async def during(stack, sink, day):
        await asyncio.sleep(30)
        sink.stop()
        marks["down"] = datetime.datetime.now(datetime.UTC)
        print("fault: SMTP server stopped", flush=True)
        await asyncio.sleep(45)
        marks["up"] = datetime.datetime.now(datetime.UTC)
        sink.start()
        print("fault: SMTP server started again", flush=True)

    try:
        args = scenario_args(8775)
        outcome = load.run(args, load.stack_env(args, **FAST_CERTIFICATES), during=during)
    finally:
        redis.stop()
    from certificates.models import Delivery, DeliveryAttempt

    run = {"request__created_at__gte": outcome.day.started_at}
    early = Delivery.objects.filter(
        **run, sent_at__gte=marks["down"], sent_at__lt=marks["up"]
    ).count()
    transient = DeliveryAttempt.objects.filter(
        outcome="transient", started_at__gte=outcome.day.started_at
    ).count()
    retried = Delivery.objects.filter(**run, attempts__gte=2, state="sent").count()
    errors = sum(outcome.stats.errors.values())
    return verdict(
        "SMTP down",
        outcome.end_check_passed and early == 0 and transient > 0 and errors == 0,
        f"SMTP down {(marks['up'] - marks['down']).total_seconds():.0f} s; {transient} failed "
        f"tries, {retried} documents sent after retrying, {early} marked sent while down; "
        f"errors {errors}; end check {'PASS' if outcome.end_check_passed else 'FAIL'}",
    )


def gunicorn_pids(stack) -> set[int]:
    master = stack.procs["gunicorn"].pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {master, *map(int, children)}


def scenario_postgres() -> bool:
    redis = Redis()
    redis.start()
    pg = PrivatePostgres()
    pg.init()
    pg.start()
    marks = {}

    async def during(stack, sink, day):
        await asyncio.sleep(30)
        marks["pids"] = gunicorn_pids(stack)
        marks["down"] = time.monotonic()
        await asyncio.to_thread(pg.stop)
        print("fault: PostgreSQL stopped", flush=True)
        await asyncio.sleep(20)
        await asyncio.to_thread(pg.start)
        marks["up"] = time.monotonic()
        print("fault: PostgreSQL started again", flush=True)
        marks["pids_after"] = gunicorn_pids(stack)

    try:
        args = scenario_args(
            POSTGRES_WEB_PORT,
            db=f"postgres://postgres@127.0.0.1:{PG_PORT}/gratisz_load",
            contracts=2000,
        )
        outcome = load.run(args, load.stack_env(args, **FAST_CERTIFICATES), during=during)
    finally:
        redis.stop()
        pg.stop()
    stats = outcome.stats
    statuses = {}
    for (_action, status), n in stats.statuses.items():
        statuses[status] = statuses.get(status, 0) + n
    five_hundreds = statuses.get(500, 0)
    unavailable = statuses.get(503, 0)
    no_retry_after = sum(n for k, n in stats.errors.items() if "without Retry-After" in k)
    # Recovered: the last error answer came soon after the database was back.
    last_error = max((t for t, _k in stats.error_times), default=marks["up"])
    recovery = max(0.0, last_error - marks["up"])
    same = marks["pids"] == marks["pids_after"]
    # A caller lost: the provider got an error answer, said its error message and hung up.
    lost = outcome.day.calls["cut off by an error"]
    held = outcome.day.calls["hold answers"]
    return verdict(
        "PostgreSQL restart",
        five_hundreds == 0
        and lost == 0
        and unavailable > 0
        and no_retry_after == 0
        and recovery < 30
        and same
        and outcome.end_check_passed,
        f"down {marks['up'] - marks['down']:.0f} s: {lost} of {outcome.day.calls['arrived']} "
        f"callers lost, {held} IVR answers on hold; {unavailable} answers 503 (all with "
        f"Retry-After: {no_retry_after == 0}), {five_hundreds} answers 500; last error "
        f"{recovery:.1f} s after it was back; gunicorn processes unchanged: {same}; end check "
        f"{'PASS' if outcome.end_check_passed else 'FAIL'}",
    )


def scenario_fuzz() -> bool:
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "FUZZ_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gratisz_h2"
        ),
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/2",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/3",
        "CI": "true",
    }
    redis = Redis()
    redis.start()
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603
            [
                str(ROOT / ".venv/bin/pytest"),
                "tests/calls/test_ivr_fuzz.py",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        redis.stop()
    print(done.stdout[-3000:], done.stderr[-2000:])
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "no output"
    return verdict(
        "IVR fuzz",
        done.returncode == 0,
        f"{summary} in {time.perf_counter() - started:.0f} s (API: tests/api/test_schema.py)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No ``choices``: with nargs="*" argparse 3.11 refuses an empty list, the default (all).
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)}; default all")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario: {', '.join(sorted(unknown))}")
    if args.inside:  # one scenario in this process (Django is set up once per process)
        (name,) = args.scenarios
        return 0 if globals()[f"scenario_{name}"]() else 1
    results = {}
    for name in args.scenarios or SCENARIOS:
        print(f"\n=== {name} ===", flush=True)
        done = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--inside", name], cwd=ROOT, check=False
        )
        results[name] = done.returncode == 0
    print("\nsummary:", ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
