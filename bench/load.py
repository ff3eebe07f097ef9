"""Whole-system load test: 100 agents working a compressed day against the production shape.

    .venv/bin/python bench/load.py [--minutes 3] [--agents 100] [--calls-per-minute 60]

Starts the production shape of ``make serve`` on its own database (``LOAD_DATABASE_URL``,
default ``gratisz_load``), its own Redis databases (broker 12, cache 14) and its own port
(8765), with a local SMTP server (aiosmtpd) as the outgoing mail server. It runs the same
commands as the Makefile's ``serve`` target, with the same environment (``DJANGO_DEBUG=0``,
``LOG_FORMAT=json``, ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``REDIS_URL``, ...), rather than
``make serve`` itself, so that the fault scenarios (bench/faults.py) can kill one piece:

    nice -n 10 celery -A gratisz worker --queues celery --hostname documents@%h --concurrency 2
    celery -A gratisz worker --queues telephony --hostname telephony@%h --concurrency 2
    celery -A gratisz beat --loglevel INFO --schedule var/load/celerybeat-schedule
    nice -n 5 gunicorn gratisz.wsgi --worker-class sync --timeout 600 --preload
        --workers 2*cores+1 --bind 127.0.0.1:8765 --access-logfile - --graceful-timeout 20
    nice -n 5 gunicorn gratisz.asgi:application --worker-class uvicorn_worker.UvicornWorker
        --preload --workers 2 --bind 127.0.0.1:8769 ...  (the push connections, --socket-workers)
    chrt --rr 10 gunicorn gratisz.ivr_wsgi --worker-class gthread --threads 1 --keep-alive 5
        --preload --workers 4 --bind 127.0.0.1:8768 ...  (the telephony webhooks',
        --ivr-workers; without chrt where the system refuses it, or with --ivr-policy normal)

The pages go to the first server; each agent opens its push connection where the desk page
says (``DESK_SOCKET_URL``, the second server), as the browser does; the provider's webhooks
(``/ivr/``) go to the third, as a proxy in front of make serve routes them, signed with the
public URL (``PUBLIC_BASE_URL``) all the same.

(``--wsgi`` runs the former shape instead: no push server, and agents that poll.)

The secrets are fixed bench values (loopback only) instead of ``var/serve.env``; static and
media files, logs and the beat schedule go under ``var/load/``. ``--attach URL`` uses a stack
you started yourself instead (with ``EMAIL_URL=smtp://127.0.0.1:<--smtp-port>`` and the same
``TELEPHONY_AUTH_TOKEN``, ``DIREKT_CODE_PEPPER`` and ``DATABASE_URL`` in this environment).

Outside services stand in on loopback: an SMTP server (aiosmtpd) that counts the messages
per Message-ID, and Twilio's REST API (``TELEPHONY_API_BASE_URL``), which the desk calls to put
a taken caller through to the agent's phone and which counts those redirects.

The data: ``seed_scale`` contracts (100 a firm, staff codes from ``scale_firm_code``) with an
e-mail address on file for each policyholder, and ``--agents`` agent users with TOTP devices.

The day: calls arrive at random (Poisson) at ``--calls-per-minute`` for ``--minutes``. Each
caller goes through the IVR with signed provider webhooks (voice, menu, GRID, Direkt code; one
in twenty keys a wrong code twice and is refused), waits in the queue (the provider fetches the
wait URL) and hangs up after ``--patience`` seconds if nobody takes the call. Each agent logs
in (password, then the TOTP code computed from the device's key; two agents at a time, before
the day) and, as the login's redirect does, opens the desk and its push connection (the
websocket ``/ws/desk/``: a call joining or leaving the queue arrives as a message, as in the
browser; with ``--wsgi``, or while the socket is down, the agent polls the queue every
``DESK_POLL_SECONDS`` instead, as desk.js does), takes a waiting call, opens the call screen,
searches the portfolio as the agent types (the search fragment, a part of the query and then
all of it), the notes save themselves once, opens the contract and, for menu 1, identifies the
client and requests a coverage certificate by e-mail (3 calls in 5), then closes the call; the
caller's queue-result and status callbacks follow. Agents think ``--think`` seconds between
clicks.
After the last arrival the queue drains and the documents go out.

Prints throughput (requests/s, calls/min, how busy the machine's cores were), p50/p99/max per
action, errors per action, the load generator's own CPU and how late its event loop woke (both
included in the latencies it measures), the targets (every desk action's p99 under 300 ms,
the IVR webhooks' p99 under 50 ms), and the end check: every call ticket of the run in a final
state, every handling closed, every requested document delivered (Delivery ``sent``) with
exactly one SMTP message carrying its Message-ID, no other message, and every answered call
put through exactly once.
"""

import argparse
import asyncio
import contextlib
import datetime
import email
import email.policy
import html
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "load"
AUTH_TOKEN = "load-auth-token-0123456789abcdef"  # noqa: S105 (loopback benchmark only)
PEPPER = "load-pepper-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = "load-secret-key-" + "y" * 40
AGENT_PASSWORD = "load-agent-password"  # noqa: S105
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FINAL_STATES = {"completed", "abandoned", "failed_verification", "closed_hours"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=3, help="length of the compressed day")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument(
        "--wsgi", action="store_true", help="the former shape: WSGI workers, agents that poll"
    )
    parser.add_argument("--calls-per-minute", type=float, default=60)
    parser.add_argument("--contracts", type=int, default=20_000, help="seed_scale contracts")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between clicks")
    parser.add_argument("--patience", type=float, default=90, help="seconds a caller waits")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--smtp-port", type=int, default=8766)
    parser.add_argument("--provider-port", type=int, default=8767, help="the fake Twilio API")
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--ivr-workers",
        type=int,
        default=4,
        help="the telephony webhooks' own web workers, as make serve (0: the desk's serve them)",
    )
    parser.add_argument(
        "--ivr-policy",
        choices=("rr", "normal"),
        default="rr",
        help="the IVR workers' scheduling policy, as make serve (rr where the system allows it)",
    )
    parser.add_argument("--ivr-port", type=int, default=8768)
    parser.add_argument("--socket-port", type=int, default=8769, help="the push connections'")
    parser.add_argument("--socket-workers", type=int, default=2)
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait at the end")
    parser.add_argument("--attach", default="", help="URL of a stack you started yourself")
    parser.add_argument("--attach-ivr", default="", help="its telephony webhooks' URL, if apart")
    parser.add_argument(
        "--db",
        default=os.environ.get(
            "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gratisz_load"
        ),
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/14")


# --- the stack --------------------------------------------------------------------------------


def stack_env(args, **extra) -> dict[str, str]:
    """The environment of ``make serve`` (SERVE_ENV), with bench secrets and our SMTP server."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gratisz.settings",
        "DJANGO_DEBUG": "0",
        "LOG_FORMAT": "json",
        "DATABASE_CONN_MAX_AGE": "60",
        "DATABASE_URL": args.db,
        "CELERY_BROKER_URL": args.broker,
        "REDIS_URL": args.cache,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DIREKT_CODE_PEPPER": PEPPER,
        "TELEPHONY_AUTH_TOKEN": AUTH_TOKEN,
        "EMAIL_URL": f"smtp://127.0.0.1:{args.smtp_port}",
        "DJANGO_STATIC_ROOT": str(VAR / "static"),
        "DJANGO_MEDIA_ROOT": str(VAR / "media"),
        "CERTIFICATES_SEND_TIMEOUT": "20",
        # Taking a queued call has the provider put the caller through to the agent's phone:
        # Twilio's REST API, here the fake one in this process (FakeProviderAPI).
        "TELEPHONY_BACKEND": "calls.telephony.backends.twilio.TwilioBackend",
        "TELEPHONY_ACCOUNT_SID": "AC" + "d" * 32,
        "TELEPHONY_API_BASE_URL": f"http://127.0.0.1:{args.provider_port}",
        "TELEPHONY_SIP_DOMAIN": "desk.load.invalid",
        # check --deploy refuses the demo placeholders on documents; a load run issues none real.
        "GREEN_CARD_BUREAU": "MABISZ",
        "GREEN_CARD_INSURER_CODE": "000",
        "INSURER_TAX_NUMBER": "11111111-1-11",
        "INSURER_REGISTRATION_NUMBER": "11-11-111111",
    }
    if not args.wsgi:
        # Under ASGI a sync view runs on a thread of its own, and a persistent connection stays
        # with its thread: with CONN_MAX_AGE 60 they piled up past PostgreSQL's max_connections
        # (100, shared on this machine) and pages answered 503. As make serve: no persistent
        # connections, a bounded pool per process, sized from the web workers' number.
        env["DATABASE_CONN_MAX_AGE"] = "0"
        env["WEB_CONCURRENCY"] = str(args.web_workers + args.socket_workers + args.ivr_workers)
        env["DESK_SOCKET_URL"] = f"ws://127.0.0.1:{args.socket_port}/ws/desk/"
    if args.attach:
        for name in ("DIREKT_CODE_PEPPER", "TELEPHONY_AUTH_TOKEN", "DJANGO_SECRET_KEY"):
            if name in os.environ:
                env[name] = os.environ[name]
    env.update(extra)
    return env


def wait_for_port(port: int, proc: subprocess.Popen | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"process {proc.args[0]} ended; see {VAR}/*.log") from None
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port} after {timeout} s")


def _celery_worker(queue: str, hostname: str) -> list[str]:
    return [
        *(str(ROOT / ".venv/bin/celery"), "-A", "gratisz", "worker", "--queues", queue),
        *("--hostname", f"{hostname}@%h", "--concurrency", "2", "--loglevel", "INFO"),
    ]


# Reuse an idle connection for less time than the servers keep it open (5 s): a request sent on a
# connection that the server is closing fails as "Server disconnected", a race of the client's,
# not an answer of the server's.
KEEPALIVE = 4

# The desk's web workers yield the CPU to the IVR's, as in make serve: a caller in the voice
# menu must not hear the agents' load.
DESK_NICE = ("nice", "-n", "5")


def realtime(policy: str) -> tuple[str, ...]:
    """The command prefix that runs the IVR's workers under the real-time round-robin policy,
    as make serve does where the system allows it (``IVR_REALTIME``); none elsewhere."""
    if policy != "rr":
        return ()
    command = ("chrt", "--rr", "10")
    with contextlib.suppress(OSError):
        if subprocess.run([*command, "true"], capture_output=True).returncode == 0:  # noqa: S603
            return command
    print("the system does not allow the real-time policy here: the IVR's workers run normal")
    return ()


# The Celery workers of ``make serve``: documents and mail at a lower CPU priority, telephony.
WORKERS = {
    "worker": ["nice", "-n", "10", *_celery_worker("celery", "documents")],
    "telephony": _celery_worker("telephony", "telephony"),
}


class Stack:
    """gunicorn, the Celery workers and beat: the commands of ``make serve``, one process each."""

    def __init__(self, args, env: dict[str, str]):
        self.args, self.env = args, env
        self.procs: dict[str, subprocess.Popen] = {}
        self.worker_restarts = 0
        self._worker_starts = Counter()
        self.stopping = threading.Event()
        self.ivr_realtime = realtime(args.ivr_policy) if args.ivr_workers else ()
        VAR.mkdir(parents=True, exist_ok=True)

    def cpu_seconds(self) -> Counter[str]:
        """CPU seconds used so far by each piece, its children included (each piece is a
        process group of its own), and by the services on this machine that it uses: PostgreSQL
        (the postmaster, its live backends and those that ended) and Redis."""
        groups = {proc.pid: name for name, proc in self.procs.items()}
        used: Counter[str] = Counter()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                command, rest = stat.read_text().rsplit(")", 1)
                fields = rest.split()
                own = int(fields[11]) + int(fields[12])  # utime, stime
                ended_children = int(fields[13]) + int(fields[14])  # cutime, cstime
                name = groups.get(int(fields[2]))  # the process group
                if name:
                    used[name] += own / CLOCK_TICKS
                elif command.endswith(("(postgres", "(redis-server")):
                    service = "postgres" if "postgres" in command else "redis"
                    used[service] += (own + ended_children) / CLOCK_TICKS
        return used

    def supervise_worker(self) -> None:
        """Start a Celery worker again whenever it exits, as ``make serve``'s loop (or
        systemd's ``Restart=always``) does."""

        def watch():
            while not self.stopping.wait(2):
                for name in WORKERS:
                    proc = self.procs.get(name)
                    if proc is None or proc.poll() is None or self.restarting:
                        continue
                    print(f"supervisor: the Celery {name} exited ({proc.returncode}); restarting")
                    self.worker_restarts += 1
                    self.restarting = True
                    with contextlib.suppress(SystemExit):
                        self.start_worker(name)
                    self.restarting = False

        threading.Thread(target=watch, daemon=True).start()

    restarting = False

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(VAR / f"{name}.log", "ab")  # noqa: SIM115 (kept open by the process)
        proc = subprocess.Popen(  # noqa: S603 (fixed commands on loopback)
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: faults.py kills one piece
        )
        self.procs[name] = proc
        return proc

    def manage(self, *command: str) -> None:
        done = subprocess.run(  # noqa: S603
            [str(ROOT / ".venv/bin/python"), "manage.py", *command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"manage.py {command[0]} failed:\n{done.stdout}{done.stderr}")

    def _application(self, server: str) -> list[str]:
        """The application and worker class of ``server``, as make serve runs it: the pages on
        sync WSGI workers, the push connections on uvicorn's, the IVR's on WSGI workers of one
        thread."""
        if server == "gunicorn":
            return ["gratisz.wsgi", "--worker-class", "sync", "--timeout", "600"]
        if server == "gunicorn-ivr":
            return [
                "gratisz.ivr_wsgi",
                "--worker-class",
                "gthread",
                "--threads",
                "1",
                "--keep-alive",
                "5",
            ]
        return ["gratisz.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker"]

    def start_web(self) -> None:
        """The desk's pages, its push connections (unless ``--wsgi``) and, as make serve, the
        telephony webhooks' own web server."""
        servers = [("gunicorn", self.args.web_workers, self.args.port)]
        if not self.args.wsgi:
            servers.append(("gunicorn-sockets", self.args.socket_workers, self.args.socket_port))
        if self.args.ivr_workers:
            servers.append(("gunicorn-ivr", self.args.ivr_workers, self.args.ivr_port))
        for name, workers, port in servers:
            proc = self._start(
                name,
                [
                    *(DESK_NICE if name in ("gunicorn", "gunicorn-sockets") else ()),
                    *(self.ivr_realtime if name == "gunicorn-ivr" else ()),
                    str(ROOT / ".venv/bin/gunicorn"),
                    *self._application(name),
                    "--preload",
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "20",
                ],
            )
            wait_for_port(port, proc)

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        proc = self._start(name, WORKERS[name])
        # Ready when it logs so (the log is appended to across restarts).
        log = VAR / f"{name}.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the Celery {name} ended; see {log}")
            if log.read_bytes().count(b"ready.") > self._worker_starts[name]:
                break
            time.sleep(0.3)
        self._worker_starts[name] += 1
        self.restarting = False
        return proc

    def kill_worker(self) -> None:
        """SIGKILL the Celery worker and its pool processes at once, like a host dying."""
        self.restarting = True
        proc = self.procs["worker"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def start_beat(self) -> None:
        self._start(
            "beat",
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "gratisz",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(VAR / "celerybeat-schedule"),
            ],
        )

    def start(self) -> None:
        for name in ("gunicorn", "gunicorn-sockets", "gunicorn-ivr", *WORKERS, "beat"):
            (VAR / f"{name}.log").unlink(missing_ok=True)
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self.manage("check", "--deploy", "--fail-level", "ERROR")
        for name in WORKERS:
            self.start_worker(name)
        self.start_beat()
        self.start_web()

    def stop(self) -> None:
        self.stopping.set()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Firm:
    grid: str
    code: str
    contracts: list[dict]


@dataclass
class World:
    firms: list[Firm]
    bad_firms: list[Firm]
    agents: list[tuple[str, str]]  # username, TOTP key (hex)
    outcomes: list[str]
    run_started: datetime.datetime


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(env: dict[str, str]) -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "REDIS_URL",
        "DIREKT_CODE_PEPPER",
        "TELEPHONY_AUTH_TOKEN",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DJANGO_MEDIA_ROOT",
    ):
        os.environ[name] = env[name]
    os.environ["LOG_LEVEL"] = "WARNING"
    django.setup()


def prepare(args) -> World:
    """Migrate, add the scale portfolio once, e-mail addresses on file, the agents, open hours."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench._day import fresh_day
    from calls.desk.models import CallHandling
    from certificates.models import Delivery
    from claims.models import Claim
    from gratisz.demo import SCALE_GRID_BASE, scale_firm_code, seed_scale
    from gratisz.models import User
    from gratisz.roles import Role
    from partners.models import (
        Contract,
        PartnerFirm,
        Policyholder,
    )

    if connection.vendor != "postgresql":
        raise SystemExit("the load test runs on PostgreSQL")
    call_command("migrate", verbosity=0)
    have = Contract.objects.filter(policy_number__startswith="S-").count()
    if have < args.contracts:
        started = time.perf_counter()
        seed_scale(args.contracts - have, today=timezone.localdate())
        seconds = time.perf_counter() - started
        print(f"seed_scale: {args.contracts - have} contracts in {seconds:.0f} s")
    Policyholder.objects.filter(external_id__startswith="S-UGY-", email="").update(
        email=models_concat_email()
    )
    for i in range(args.agents):
        username = f"load-agent-{i:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=AGENT_PASSWORD,
                first_name="Load",
                last_name=f"Agent {i:02d}",
                is_staff=True,
            )
            user.groups.add(Group.objects.get(name=Role.AGENT))
            TOTPDevice.objects.create(user=user, name="load", confirmed=True)
        if any(f.name == "extension" for f in User._meta.get_fields()):
            User.objects.filter(pk=user.pk).update(extension=f"7{i:03d}")  # the agent's phone
        # A fresh run: no open call left from an interrupted one, no TOTP throttle.
        CallHandling.objects.filter(agent=user, closed_at__isnull=True).update(
            closed_at=timezone.now(), outcome=CallHandling.Outcome.DROPPED
        )
        TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, last_t=-1)
    # Documents an interrupted earlier run left unsent must not count in this run's SMTP check.
    Delivery.objects.exclude(state__in=[Delivery.State.SENT, Delivery.State.FAILED]).update(
        state=Delivery.State.FAILED, last_error="left over from an earlier load run"
    )
    fresh_day(note="load test")
    with connection.cursor() as cursor:
        # As autovacuum leaves the tables some time after a load (this machine's PostgreSQL runs
        # without it): without statistics the planner read the contract page's first vehicle by
        # walking the plate index of every vehicle, 20 ms of the database's CPU each time.
        cursor.execute("VACUUM ANALYZE")
    # What the callers know: their firm's GRID and code, and their clients' facts.
    firm_rows = list(
        PartnerFirm.objects.filter(grid__gte=str(SCALE_GRID_BASE))
        .order_by("grid")
        .values_list("pk", "grid")
    )
    contracts = defaultdict(list)
    for row in (
        Contract.objects.filter(
            policy_number__startswith="S-", firm_id__in=[p for p, _ in firm_rows]
        )
        .values(
            "firm_id",
            "policy_number",
            "product",
            "policyholder__name",
            "policyholder__birth_date",
        )
        .iterator()
    ):
        contracts[row["firm_id"]].append(row)
    claims = defaultdict(list)
    for number, policy in Claim.objects.filter(claim_number__startswith="S-K-").values_list(
        "claim_number", "contract__policy_number"
    ):
        claims[policy].append(number)
    firms = []
    for pk, grid in firm_rows:
        rows = contracts[pk]
        for row in rows:
            row["claims"] = claims.get(row["policy_number"], [])
        firms.append(Firm(grid=grid, code=scale_firm_code(grid), contracts=rows))
    # A few firms only for the callers who key a wrong code: their throttle stays theirs.
    bad_firms, firms = firms[:5], firms[5:]
    agents = [
        (u, d)
        for u, d in TOTPDevice.objects.filter(user__username__startswith="load-agent-")
        .order_by("user__username")
        .values_list("user__username", "key")
    ][: args.agents]
    connection.close()
    return World(
        firms=firms,
        bad_firms=bad_firms,
        agents=agents,
        outcomes=[CallHandling.Outcome.ANSWERED, CallHandling.Outcome.WRITTEN_REQUEST],
        run_started=timezone.now(),
    )


def models_concat_email():
    from django.db.models import Value
    from django.db.models.functions import Concat, Lower

    return Concat(Lower("external_id"), Value("@ugyfel.example.hu"))


# --- the outside world: an SMTP server ---------------------------------------------------------


class MailSink:
    """A real SMTP server (aiosmtpd) that counts the messages per Message-ID."""

    def __init__(self, port: int):
        self.port = port
        self.by_id: Counter[str] = Counter()
        self.total = 0
        self.lock = threading.Lock()
        self.controller = None
        self.sending = threading.Event()
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        # ``delay`` holds the reply (a slow server); a client that dies meanwhile cancels this
        # and the message is not taken, as a real server would not commit it.
        self.sending.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.by_id[str(message.get("Message-ID", "")).strip()] += 1
            self.total += 1
        return "250 2.0.0 Message accepted for delivery"

    def start(self) -> "MailSink":
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


class FakeProviderAPI:
    """Twilio's REST API for one request: redirect an in-progress call (put the caller through).

    Counts the redirects per CallSid and tells the simulated caller (``on_redirect``).
    """

    def __init__(self, port: int):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.redirects: Counter[str] = Counter()
        self.on_redirect = lambda call_sid: None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                match = re.fullmatch(r"/2010-04-01/Accounts/AC\w+/Calls/(CA\w+)\.json", self.path)
                status, body = 404, b'{"code": 20404, "message": "not found"}'
                if match and self.headers.get("Authorization", "").startswith("Basic "):
                    call_sid = match.group(1)
                    api.redirects[call_sid] += 1
                    api.on_redirect(call_sid)
                    status, body = 200, b'{"status": "in-progress"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- measurements -----------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.error_samples: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.error_times: list[tuple[float, str]] = []
        self.statuses: Counter[tuple[str, int]] = Counter()

    def ok(self, action: str, ms: float) -> None:
        self.latencies[action].append(ms)

    def error(self, action: str, what: str, sample: str = "") -> None:
        key = f"{action}: {what}"
        self.errors[key] += 1
        self.error_samples.setdefault(key, sample[:300])
        self.error_times.append((time.monotonic(), key))


def percentile(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


LOGIN_STEPS = ("login page", "login password", "login code page", "login code", "desk after login")


def print_stats(stats: Stats, wall: float, exclude=(*LOGIN_STEPS, "put through")) -> None:
    measured = {k: v for k, v in stats.latencies.items() if k not in exclude}
    total = sum(len(v) for v in measured.values())
    print(f"{total} requests in {wall:.0f} s: {total / wall:.1f} requests/s")
    print(f"{'action':<16} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    errors_by_action = Counter()
    for key, n in stats.errors.items():
        errors_by_action[key.split(":", 1)[0]] += n
    for action in sorted(set(stats.latencies) | set(errors_by_action)):
        values = stats.latencies.get(action, [])
        if values:
            print(
                f"{action:<16} {len(values):>6} {percentile(values, 50):>8.0f} "
                f"{percentile(values, 99):>8.0f} {max(values):>8.0f} "
                f"{errors_by_action[action]:>7}"
            )
        else:
            print(f"{action:<16} {0:>6} {'':>8} {'':>8} {'':>8} {errors_by_action[action]:>7}")
    print(f"errors: {sum(stats.errors.values())}")
    for key, n in stats.errors.most_common():
        print(f"  {n:>5} × {key}   e.g. {stats.error_samples[key]!r}")


# The targets: every desk action's p99 under 300 ms; the IVR's webhooks (a caller
# listening) p99 under 50 ms while the agents work.
DESK_P99_MS, IVR_P99_MS = 300, 50


def print_targets(stats: Stats) -> bool:
    """Print each target and whether it was met; return whether all were."""
    desk = {
        action: percentile(values, 99)
        for action, values in stats.latencies.items()
        if values and not action.startswith("ivr") and action not in (*LOGIN_STEPS, "put through")
    }
    ivr = [
        v for action, values in stats.latencies.items() if action.startswith("ivr") for v in values
    ]
    worst = max(desk, key=desk.get) if desk else ""
    met = bool(desk) and desk[worst] < DESK_P99_MS
    print(
        f"target: every desk action p99 < {DESK_P99_MS} ms: worst {worst} "
        f"{desk.get(worst, 0):.0f} ms: {'met' if met else 'NOT met'}"
    )
    ivr_p99 = percentile(ivr, 99) if ivr else 0
    print(
        f"target: IVR webhooks p99 < {IVR_P99_MS} ms during the load: {ivr_p99:.0f} ms "
        f"(n={len(ivr)}): {'met' if ivr and ivr_p99 < IVR_P99_MS else 'NOT met'}"
    )
    return met and bool(ivr) and ivr_p99 < IVR_P99_MS


# --- the simulated people ---------------------------------------------------------------------


TAKE_ROW = re.compile(
    r"<td>(\+[0-9]+)</td>\s*<td[^>]*>[^<]*</td>\s*<td><form method=\"post\" "
    r"action=\"/desk/take/([0-9]+)/\""
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DESK_SOCKET = re.compile(r'<meta name="desk-socket" content="([^"]+)"')


def desk_socket_url(base: str, desk_page: str) -> str | None:
    """Where the desk page opens its push connection (``DESK_SOCKET_URL``), as desk.js does: a
    path on the site, or the push server's ws:// URL; None when the page names none (desk.js
    then only polls)."""
    found = DESK_SOCKET.search(desk_page)
    if not found:
        return None
    url = html.unescape(found.group(1))
    return url if url.startswith(("ws://", "wss://")) else base + url


@dataclass
class Caller:
    sid: str
    number: str
    menu: str
    firm: Firm
    contract: dict
    taken: asyncio.Event = field(default_factory=asyncio.Event)
    redirected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    agent_has_it: bool = False
    reaching: int = 0  # agents clicking "Take" on it right now


class AgentQueue:
    """What one agent's desk shows of the queue: ticket id → calling number, from the page
    (the desk home, a poll) and then from the push messages."""

    def __init__(self):
        self.rows: dict[int, str] = {}
        self.socket_up = False
        self.changed = asyncio.Event()
        self.loaded_at = time.monotonic()

    def reset(self, html_text: str) -> None:
        self.rows = {int(ticket): number for number, ticket in TAKE_ROW.findall(html_text)}
        self.loaded_at = time.monotonic()
        self.changed.set()

    def push(self, message: dict) -> None:
        if message.get("op") == "queue-add":
            html_text = next(iter(message.get("html", {}).values()), "")
            for number, ticket in TAKE_ROW.findall(html_text):
                self.rows[int(ticket)] = number
        elif message.get("op") == "queue-remove":
            self.rows.pop(int(message.get("id", 0)), None)
        self.changed.set()


class Day:
    """One run: the callers, the agents, the measurements."""

    def __init__(
        self,
        args,
        world: World,
        base: str,
        stats: Stats,
        rng: random.Random,
        ivr_base: str = "",
    ):
        from twilio.request_validator import RequestValidator

        self.args, self.world, self.base, self.stats, self.rng = args, world, base, stats, rng
        # Where the provider's webhooks go: the telephony web server (a proxy routes /ivr/ there
        # in production); signed with the public URL all the same.
        self.ivr_base = ivr_base or base
        self.validator = RequestValidator(AUTH_TOKEN)
        self.public = f"http://127.0.0.1:{args.port}"
        self.waiting: dict[str, Caller] = {}
        self.by_sid: dict[str, Caller] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.callers_active = 0
        self.arrivals_over = False
        self.calls = Counter()
        self.certificates_requested = 0
        self.run_id = f"{int(time.time()):x}"
        self.session = None
        self.certificate_times: list[float] = []
        self.started_at = datetime.datetime.now(datetime.UTC)
        self.login_slots: asyncio.Semaphore | None = None
        self.logins_done = 0
        self.on_start = lambda: None  # called when the day starts (after the logins)
        self.lags: list[float] = []  # the event loop's lateness, ms (watch_lag)

    async def request(
        self,
        session,
        action: str,
        method: str,
        path: str,
        *,
        data=None,
        headers=None,
        expect=(200,),
        base: str = "",
    ) -> tuple[int, str, str]:
        """Send one request, time it, count an unexpected status as an error of ``action``."""
        import aiohttp

        started = time.perf_counter()
        try:
            async with session.request(
                method,
                (base or self.base) + path,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response:
                text = await response.text()
                status, location = response.status, response.headers.get("Location", "")
                self.last_status = status
        except (aiohttp.ClientError, TimeoutError) as error:
            self.stats.error(action, type(error).__name__, str(error))
            return 0, "", ""
        ms = (time.perf_counter() - started) * 1000
        self.stats.statuses[(action, status)] += 1
        if status == 503 and not response.headers.get("Retry-After"):
            self.stats.error(action, "503 without Retry-After", text[:300])
        if status in expect:
            self.stats.ok(action, ms)
        else:
            self.stats.error(action, str(status), text[:300])
        return status, text, location

    # The telephony provider's side: signed webhooks.
    async def webhook(self, action: str, path: str, params: dict, expect=(200,)) -> str:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.public + path, params),
        }
        status, text, _loc = await self.request(
            self.session,
            action,
            "POST",
            path,
            data=urlencode(params),
            headers=headers,
            expect=expect,
            base=self.ivr_base,
        )
        return text if status in expect else None

    async def hang_up(self, common: dict) -> None:
        """The provider's final status callback; it retries until the server answers."""
        end = {**common, "CallStatus": "completed", "CallDuration": "60"}
        for _try in range(60):
            if await self.webhook("ivr status", "/ivr/status/", end, expect=(204,)) is not None:
                return
            await asyncio.sleep(2)

    async def follow_hold(self, twiml: str | None, common: dict, digits: str = "") -> str | None:
        """While the server answers "hold" (its database or cache is away: a message, a
        ``<Pause>`` and a ``<Redirect>`` to the same step, or a ``<Gather>`` there for keys that
        were lost), do what the provider does: wait the pause, then follow the redirect, or key
        the same digits again at the gather."""
        for _hold in range(60):
            if twiml is None or "<Pause" not in twiml or "<Redirect" not in twiml:
                return twiml
            self.calls["hold answers"] += 1
            pause = re.search(r'<Pause length="([0-9]+)"', twiml)
            await asyncio.sleep(int(pause[1]) if pause else 1)
            gather = re.search(r'<Gather [^>]*action="([^"]+)"', twiml)
            if gather and digits:
                target, params = gather[1], {**common, "Digits": digits}
            else:
                target, params = re.search(r"<Redirect[^>]*>([^<]+)</Redirect>", twiml)[1], common
            parts = urlsplit(html.unescape(target))
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            twiml = await self.webhook("ivr hold", path, params)
        return twiml

    async def caller(self, n: int) -> None:
        self.callers_active += 1
        try:
            await self._call(n)
        finally:
            self.callers_active -= 1

    async def _call(self, n: int) -> None:
        rng = self.rng
        wrong = rng.random() < 0.05
        firm = rng.choice(self.world.bad_firms if wrong else self.world.firms)
        caller = Caller(
            sid=f"CA{self.run_id}{n:08d}".ljust(34, "0"),
            # A valid mobile number, one a caller: an invalid one would count against the
            # shared bucket of withheld numbers and its daily cap of failures.
            number=f"+3670{int(self.run_id, 16) % 100:02d}{n:05d}",
            menu=rng.choice("112"),
            firm=firm,
            contract=rng.choice(firm.contracts),
        )
        common = {
            "CallSid": caller.sid,
            "AccountSid": "AC" + "c" * 32,
            "From": caller.number,
            "To": "+3614623800",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress",
        }
        self.calls["arrived"] += 1
        twiml = await self.webhook("ivr voice", "/ivr/voice/", {**common, "CallStatus": "ringing"})
        twiml = await self.follow_hold(twiml, common)
        bad = f"{(int(firm.code) + 1) % 10_000:04d}"
        keys = (
            [caller.menu, firm.grid, bad, firm.grid, bad]
            if wrong
            else [caller.menu, firm.grid, firm.code]
        )
        for step, digits in enumerate(keys, start=1):
            if twiml is None:
                break
            await asyncio.sleep(rng.uniform(0.5, 1.5))  # listening to the prompt, keying
            twiml = await self.webhook(
                "ivr step", f"/ivr/step/?n={step}", {**common, "Digits": digits}
            )
            twiml = await self.follow_hold(twiml, common, digits)
        if twiml is None:
            # The provider plays its error message and hangs up; the status callback follows.
            self.calls["cut off by an error"] += 1
            await self.hang_up(common)
            return
        if "<Enqueue" not in twiml:
            if not wrong:
                self.stats.error("ivr flow", "not queued", twiml)
            self.calls["refused"] += 1
            await self.hang_up(common)
            return
        self.waiting[caller.number] = caller
        self.by_sid[caller.sid] = caller
        patience = time.monotonic() + self.args.patience
        while not caller.taken.is_set() and time.monotonic() < patience:
            await self.webhook("ivr wait", "/ivr/wait/", common)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(caller.taken.wait(), timeout=5)
        self.waiting.pop(caller.number, None)
        if caller.taken.is_set():
            # The provider puts the caller through (the desk asked it, from a Celery task) and
            # tells the queue's action URL that the call left the queue that way.
            await caller.ended.wait()
            result = "redirected"
            self.calls["answered"] += 1
        else:
            result = "hangup"
            self.calls["abandoned"] += 1
        await self.webhook("ivr queue", "/ivr/queue/", {**common, "QueueResult": result})
        await self.hang_up(common)

    def redirected(self, call_sid: str) -> None:
        """The fake provider API put ``call_sid`` through (called from its thread)."""
        caller = self.by_sid.get(call_sid)
        if caller is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(caller.redirected.set)

    async def arrivals(self, minutes: float) -> None:
        deadline = time.monotonic() + minutes * 60
        tasks, n = [], 0
        rate = self.args.calls_per_minute / 60
        while True:
            await asyncio.sleep(self.rng.expovariate(rate))
            if time.monotonic() >= deadline:
                break
            n += 1
            tasks.append(asyncio.create_task(self.caller(n)))
        self.arrivals_over = True
        await asyncio.gather(*tasks)

    # The agents' side: the desk in a browser.
    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)

    async def login(self, session, username: str, key_hex: str) -> bool:
        from django_otp.oath import totp

        status, text, _ = await self.request(session, "login page", "GET", "/accounts/login/")
        token = CSRF_INPUT.search(text)
        if not token:
            self.stats.error("login", "no form", text)
            return False
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": AGENT_PASSWORD,
            "next": "/desk/",
        }
        status, text, location = await self.request(
            session, "login password", "POST", "/accounts/login/", data=form, expect=(302,)
        )
        if "/accounts/otp/" not in location:
            return False
        status, text, _ = await self.request(session, "login code page", "GET", location)
        token = CSRF_INPUT.search(text)
        code = f"{totp(bytes.fromhex(key_hex), step=30, t0=0, digits=6):06d}"
        form = {"csrfmiddlewaretoken": token.group(1), "token": code, "next": "/desk/"}
        status, text, location = await self.request(
            session, "login code", "POST", "/accounts/otp/", data=form, expect=(302,)
        )
        return status == 302

    async def agent(self, username: str, key_hex: str, ready: asyncio.Event) -> None:
        import aiohttp
        from yarl import URL

        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        ) as session:
            async with self.login_slots:
                logged_in = await self.login(session, username, key_hex)
                if logged_in:
                    # The login's redirect: the browser opens the desk and its push connection
                    # at once (before the day, like the login; not the whole shift in the same
                    # second, which only a barrier in this script would do).
                    queue = AgentQueue()
                    _status, text, _ = await self.request(
                        session, "desk after login", "GET", "/desk/"
                    )
                    queue.reset(text)
                    socket_url = desk_socket_url(self.base, text)
            self.logins_done += 1
            if not logged_in:
                self.stats.error("login", "failed", username)
                return
            if socket_url is None and not self.args.wsgi:
                self.stats.error("websocket", "no address", "the desk page names no desk-socket")
            socket = (
                None
                if self.args.wsgi or socket_url is None
                else asyncio.create_task(self.listen(session, queue, socket_url))
            )
            await ready.wait()
            csrf = session.cookie_jar.filter_cookies(URL(self.base))["csrftoken"].value
            try:
                await self.work(session, csrf, queue)
            finally:
                if socket is not None:
                    socket.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await socket

    async def listen(self, session, queue: "AgentQueue", url: str) -> None:
        """The desk page's push connection: queue-add and queue-remove messages update the
        agent's view of the queue; reconnects after a second if it drops."""
        import aiohttp

        while True:
            try:
                async with session.ws_connect(url, origin=self.base, heartbeat=30) as ws:
                    queue.socket_up = True
                    self.calls["sockets opened"] += 1
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            continue
                        queue.push(json.loads(message.data))
            except (aiohttp.ClientError, TimeoutError) as error:
                self.stats.error("websocket", type(error).__name__, str(error))
            queue.socket_up = False
            queue.changed.set()
            await asyncio.sleep(1)

    def takeable(self, queue: "AgentQueue") -> list[tuple[str, int]]:
        """The calls on this agent's screen that a person would reach for: still waiting, not
        taken, and not already being taken by two colleagues (people see who is taking what;
        a CTI would route it to one)."""
        return [
            (number, ticket)
            for ticket, number in queue.rows.items()
            if number in self.waiting
            and not self.waiting[number].agent_has_it
            and self.waiting[number].reaching < 2
        ]

    async def work(self, session, csrf: str, queue: "AgentQueue") -> None:
        poll_every = 3 * self.rng.uniform(0.8, 1.2)  # DESK_POLL_SECONDS, one timer a page
        while not (self.arrivals_over and self.callers_active == 0):
            # The fallback, as desk.js does it: while the socket is down, the queue is fetched
            # again once DESK_POLL_SECONDS have passed since the page or the last poll.
            due = queue.loaded_at + poll_every - time.monotonic()
            if not queue.socket_up and due <= 0:
                _status, text, _ = await self.request(session, "queue poll", "GET", "/desk/queue/")
                queue.reset(text)
            rows = self.takeable(queue)
            if not rows:
                queue.changed.clear()
                wait = max(due, 0.1) if not queue.socket_up else 5  # the next poll or push
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.changed.wait(), wait)
                continue
            number, ticket = self.rng.choice(rows)
            caller = self.waiting.get(number)
            if caller is None:  # hung up meanwhile
                continue
            caller.reaching += 1
            clicked = time.perf_counter()
            try:
                status, _text, location = await self.request(
                    session,
                    "take",
                    "POST",
                    f"/desk/take/{ticket}/",
                    data={"csrfmiddlewaretoken": csrf},
                    expect=(302,),
                )
            finally:
                caller.reaching -= 1
            queue.rows.pop(ticket, None)
            if location.rstrip("/").endswith(f"/desk/call/{ticket}"):
                if caller.agent_has_it:
                    self.stats.error("take", "taken twice", number)
                caller.agent_has_it = True
                caller.taken.set()
                try:
                    await self.put_through(caller, clicked)
                    await self.handle(session, csrf, ticket, caller, queue)
                finally:
                    caller.ended.set()
                continue  # the close's redirect brought the desk back (handle)
            if status == 302:
                self.calls["take conflicts"] += 1  # another agent was faster
            if status:  # the take's redirect back to the desk, with the message
                _status, text, _ = await self.request(session, "home", "GET", "/desk/")
                queue.reset(text)

    async def put_through(self, caller: Caller, clicked: float) -> None:
        """Wait for the agent's phone to ring: the desk has the provider redirect the caller
        (a Celery task calling the fake Twilio API). Times it from the click on "Take"."""
        try:
            await asyncio.wait_for(caller.redirected.wait(), timeout=60)
        except TimeoutError:
            self.stats.error("put through", "caller not put through in 60 s", caller.sid)
        else:
            self.stats.ok("put through", (time.perf_counter() - clicked) * 1000)

    async def handle(
        self, session, csrf: str, ticket: int, caller: Caller, queue: "AgentQueue"
    ) -> None:
        call = f"/desk/call/{ticket}/"
        await self.request(session, "call screen", "GET", call)
        await self.think()
        contract = caller.contract
        query = (
            contract["policy_number"] if self.rng.random() < 0.7 else contract["policyholder__name"]
        )
        # Search as the agent types: the fragment for a part of the query, then for all of it.
        await self.request(session, "search", "GET", f"{call}search/?{urlencode({'q': query[:4]})}")
        _s, text, _ = await self.request(
            session, "search", "GET", f"{call}search/?{urlencode({'q': query})}"
        )
        if contract["policy_number"] not in text:
            self.stats.error("search", "contract not found", query)
        notes = {"csrfmiddlewaretoken": csrf, "notes": "Terheléses teszt hívás."}
        await self.request(session, "notes autosave", "POST", f"{call}notes/", data=notes)
        await self.think()
        page = f"{call}contract/{contract['policy_number']}/"
        await self.request(session, "contract", "GET", page)
        await self.think()
        if caller.menu == "1" and self.rng.random() < 0.6:
            facts = {
                "csrfmiddlewaretoken": csrf,
                "action": "identify",
                "name": contract["policyholder__name"],
                "birth_date": contract["policyholder__birth_date"].isoformat(),
            }
            status, text, _ = await self.request(
                session, "identify", "POST", page, data=facts, expect=(302,)
            )
            await self.request(session, "contract", "GET", page)
            await self.think()
            form = {
                "csrfmiddlewaretoken": csrf,
                "action": "certificate",
                "document_type": "coverage",
                "channel": "email",
                "destination": "",
            }
            status, text, _ = await self.request(
                session, "certificate", "POST", page, data=form, expect=(302,)
            )
            if status == 302:
                self.certificates_requested += 1
                self.certificate_times.append(time.monotonic())
            await self.request(session, "contract", "GET", page)
            await self.think()
        elif caller.menu == "2" and contract["claims"]:
            await self.request(session, "claim", "GET", f"{call}claim/{contract['claims'][0]}/")
            await self.think()
        form = {
            "csrfmiddlewaretoken": csrf,
            "action": "close",
            "notes": "Terheléses teszt hívás.",
            "outcome": self.rng.choice(self.world.outcomes),
        }
        for _try in range(60):  # an agent clicks again until the call is closed
            status, _t, _l = await self.request(
                session, "close", "POST", f"{call}close/", data=form, expect=(302,)
            )
            if status == 302:
                break
            await asyncio.sleep(2)
        _status, text, _ = await self.request(session, "home", "GET", "/desk/")  # the redirect
        queue.reset(text)
        self.calls["handled"] += 1

    async def watch_lag(self, every: float = 0.05) -> None:
        """How late this process's own event loop wakes up: a latency measured here includes
        it, so it is printed beside the figures (a busy load generator inflates them)."""
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(every)
            self.lags.append((time.perf_counter() - asked - every) * 1000)

    async def run(self, minutes: float, during=None) -> float:
        """Log the agents in, run the day; ``during`` (a coroutine) runs alongside (faults)."""
        import aiohttp

        self.loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE)
        async with aiohttp.ClientSession(connector=connector) as session:
            self.session = session
            ready = asyncio.Event()
            agents = []
            # The shift starts: everybody logs in (two at a time: a password hash takes a core).
            self.login_slots = asyncio.Semaphore(2)
            self.logins_done = 0
            for username, key in self.world.agents:
                agents.append(asyncio.create_task(self.agent(username, key, ready)))
            while self.logins_done < len(agents):
                await asyncio.sleep(0.2)
            logged_in = len(agents) - self.stats.errors["login: failed"]
            print(f"{logged_in} agents logged in; the day starts")
            self.on_start()
            ready.set()
            started = time.perf_counter()
            side = asyncio.create_task(during()) if during else None
            lag = asyncio.create_task(self.watch_lag())
            await self.arrivals(minutes)
            await asyncio.gather(*agents)
            wall = time.perf_counter() - started
            lag.cancel()
            if side:
                await side
            return wall


# --- the end check ----------------------------------------------------------------------------


def end_check(day: Day, sink: MailSink, drain: float) -> bool:
    """Wait for the documents to go out; print and return whether everything ended well."""
    from django.db import connection

    from calls.desk.models import CallHandling
    from calls.models import CallTicket
    from certificates.models import CertificateRequest, Delivery

    tickets = CallTicket.objects.filter(call_sid__startswith=f"CA{day.run_id}")
    ticket_ids = list(tickets.values_list("pk", flat=True))
    sources = [f"call:{pk}" for pk in ticket_ids]
    requests = CertificateRequest.objects.filter(source__in=sources)
    deliveries = Delivery.objects.filter(request__in=requests)
    deadline = time.monotonic() + drain
    started = time.monotonic()
    while time.monotonic() < deadline:
        if not deliveries.exclude(state=Delivery.State.SENT).exists():
            break
        time.sleep(2)
    connection.close()
    waited = time.monotonic() - started
    states = Counter(tickets.values_list("state", flat=True))
    open_tickets = sum(n for s, n in states.items() if s not in FINAL_STATES)
    open_handlings = CallHandling.objects.filter(
        ticket_id__in=ticket_ids, closed_at__isnull=True
    ).count()
    delivery_states = Counter(deliveries.values_list("state", flat=True))
    ids = [d.message_id for d in deliveries.only("pk", "request_id")]
    with sink.lock:
        counts = [sink.by_id.get(mid, 0) for mid in ids]
        total = sink.total
    once = sum(1 for c in counts if c == 1)
    twice = sum(1 for c in counts if c > 1)
    never = sum(1 for c in counts if c == 0)
    ours = sum(counts)
    print(
        f"end check: {len(ticket_ids)} call tickets {dict(states)}; open tickets {open_tickets}, "
        f"open handlings {open_handlings}"
    )
    print(
        f"  documents: {day.certificates_requested} asked at the desk, {requests.count()} "
        f"requests, {len(ids)} deliveries {dict(delivery_states)} (waited {waited:.0f} s); "
        f"SMTP: {once} once, {twice} more than once, {never} never, "
        f"{total - ours} other messages"
    )
    good = (
        open_tickets == 0
        and open_handlings == 0
        and len(ids) == day.certificates_requested == requests.count()
        and delivery_states.get(Delivery.State.SENT, 0) == len(ids)
        and once == len(ids)
        and total == ours
    )
    print("  END CHECK:", "PASS" if good else "FAIL")
    return good


def machine_speed() -> float:
    """Milliseconds for a fixed piece of Python work, the best of five, before anything starts.

    This machine's cores are shared with others: the same day has cost the desk's workers from
    19 to 35 ms of CPU a request from one run to the next. Printed beside the figures, so that
    runs on a slower moment of the machine can be told apart."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _cpu_busy() -> tuple[int, int]:
    """The machine's CPU time so far (clock ticks, all cores): (busy, idle), from /proc/stat."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks[:8]) - idle, idle


class ConnectionCount:
    """The most connections the database had at once during the day (sampled each second):
    the pools must keep the stack under PostgreSQL's max_connections."""

    def __init__(self, url: str):
        self.url, self.most = url, 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def start(self) -> "ConnectionCount":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def sample(self) -> None:
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with contextlib.suppress(psycopg.Error), psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.wait(1):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
                ).fetchone()
                self.most = max(self.most, row[0] - 1 if row else 0)  # less this one


@dataclass
class Outcome:
    day: "Day"
    stats: Stats
    wall: float
    end_check_passed: bool


def run(args, env: dict[str, str], during=None, setup=None) -> Outcome:
    """Prepare the data, start the stack and the SMTP server, run the day, check the end.

    ``during(stack, sink, day)`` is a coroutine run alongside the day (bench/faults.py breaks
    something there); ``setup(stack, sink)`` runs before the day.
    """
    speed = machine_speed()
    create_database(args.db)
    setup_django(env)
    world = prepare(args)
    sink = MailSink(args.smtp_port).start()
    provider = FakeProviderAPI(args.provider_port)
    stack = None
    if not args.attach:
        stack = Stack(args, env)
        stack.start()
    base = args.attach.rstrip("/") or f"http://127.0.0.1:{args.port}"
    try:
        if setup:
            setup(stack, sink)
        stats = Stats()
        ivr_base = (
            f"http://127.0.0.1:{args.ivr_port}" if stack and args.ivr_workers else args.attach_ivr
        )
        day = Day(args, world, base, stats, random.Random(20261127), ivr_base=ivr_base)
        provider.on_redirect = day.redirected
        load_before = os.getloadavg()[0]
        side = (lambda: during(stack, sink, day)) if during else None
        connections = ConnectionCount(args.db).start()
        cpu_start: Counter[str] = Counter()
        if stack:
            day.on_start = lambda: cpu_start.update(stack.cpu_seconds())
        own_cpu = time.process_time()
        busy = _cpu_busy()
        try:
            wall = asyncio.run(day.run(args.minutes, side))
        finally:
            connections.stop()
        own_cpu = time.process_time() - own_cpu
        busy = [after - before for before, after in zip(busy, _cpu_busy(), strict=True)]
        cpu = stack.cpu_seconds() - cpu_start if stack else Counter()
        load_after = os.getloadavg()[0]
        ivr_policy = "real-time" if stack and stack.ivr_realtime else "normal"
        print(
            f"\n{args.agents} agents, {day.calls['arrived']} calls in {wall:.0f} s "
            f"({day.calls['arrived'] / wall * 60:.0f} calls/min arriving, "
            f"{day.calls['handled'] / wall * 60:.0f} calls/min handled): {dict(day.calls)}; "
            f"{args.web_workers} gunicorn workers for the pages, "
            f"{0 if args.wsgi else args.socket_workers} for the push connections, "
            f"{args.ivr_workers} for the IVR ({ivr_policy} policy); "
            f"load average {load_before:.1f} → "
            f"{load_after:.1f} on {os.cpu_count()} cores, busy {busy[0] / max(sum(busy), 1):.0%}; "
            f"machine speed before the day: {speed:.0f} ms for a fixed piece of Python work"
        )
        for step in LOGIN_STEPS:  # before the day, two agents at a time: not in the totals
            if values := stats.latencies.get(step):
                print(
                    f"{step} (before the day): n={len(values)} p50 {percentile(values, 50):.0f}"
                    f" ms, max {max(values):.0f} ms"
                )
        print_stats(stats, wall)
        if cpu:
            served = Counter()
            for action, values in stats.latencies.items():
                if action not in (*LOGIN_STEPS, "put through"):
                    served["ivr" if action.startswith("ivr") else "desk"] += len(values)
            pieces = ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.most_common())
            desk = cpu["gunicorn"] + cpu["gunicorn-sockets"]
            if "gunicorn-ivr" in cpu:
                per_request = (
                    f"desk {desk / max(served['desk'], 1) * 1000:.1f}, "
                    f"IVR {cpu['gunicorn-ivr'] / max(served['ivr'], 1) * 1000:.1f}"
                )
            else:
                per_request = f"{desk / max(served.total(), 1) * 1000:.1f}"
            print(
                f"CPU seconds in the day ({os.cpu_count()} cores × {wall:.0f} s): {pieces}; "
                f"web server CPU ms a request: {per_request} (websockets included)"
            )
        print(f"PostgreSQL connections to {args.db.rsplit('/', 1)[1]}: at most {connections.most}")
        if day.lags:
            print(
                f"the load generator itself: {own_cpu:.1f} CPU seconds; its event loop late by "
                f"p50 {percentile(day.lags, 50):.1f} ms, p99 {percentile(day.lags, 99):.1f} ms, "
                f"max {max(day.lags):.0f} ms (included in every latency above)"
            )
        print_targets(stats)
        good = end_check(day, sink, args.drain)
        twice = sum(1 for n in provider.redirects.values() if n > 1)
        print(
            f"  put through: {len(provider.redirects)} calls redirected to the agents' phones "
            f"for {day.calls['answered']} answered, {twice} more than once"
        )
        good = good and twice == 0 and len(provider.redirects) == day.calls["answered"]
    finally:
        if stack:
            stack.stop()
        sink.stop()
        provider.stop()
    return Outcome(day=day, stats=stats, wall=wall, end_check_passed=good)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    outcome = run(args, stack_env(args))
    return 0 if outcome.end_check_passed and not outcome.stats.errors else 1


if __name__ == "__main__":
    sys.exit(main())
