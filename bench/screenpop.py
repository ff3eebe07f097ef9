"""Queue-to-screen latency of the desk's push: p50/p95 with 40 agents connected.

    .venv/bin/python bench/screenpop.py [--agents 40] [--calls 40]

Starts the web servers of ``make serve`` (the pages on sync WSGI workers, the push connections
on gunicorn with uvicorn workers running ``gratisz.asgi``, DEBUG off, PostgreSQL, the Redis
channel layer) on its own database (``SCREENPOP_DATABASE_URL``, default ``gratisz_screenpop``),
Redis database 9 and ports 8775 (pages, and the IVR's webhooks) and 8776 (push), with
bench/load.py's data (a small ``seed_scale`` portfolio, agents with TOTP devices).

Each agent logs in (password, TOTP) and opens the desk's websocket where the desk page says
(``DESK_SOCKET_URL``), as the page does. Then, one after the other, callers go through the IVR
with signed webhooks; for each:

- **screen pop**: from sending the webhook that queues the verified caller (the Direkt code's
  keys) to each agent's socket receiving the call (``queue-add``): N agents, N samples;
- **taken**: one agent takes it (``POST /desk/take/``); from sending that request to each
  other agent's socket receiving ``queue-remove``: N-1 samples;
- **hang-up**: the provider's status callback; from sending it to the taking agent's socket
  receiving ``call-changed`` (its call screen then shows the caller gone). The agent closes the
  call as dropped.

Prints p50/p95/max per measure and the messages that never came (must be none).
"""

import argparse
import asyncio
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402


class WebOnly(load.Stack):
    """Only the web servers of ``make serve`` (pages and push): no Celery worker is needed to
    queue, push and take a call (the connection to the agent's phone waits in the broker)."""

    def start(self) -> None:
        for name in ("gunicorn", "gunicorn-sockets"):
            (load.VAR / f"{name}.log").unlink(missing_ok=True)
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self.manage("check", "--deploy", "--fail-level", "ERROR")
        self.start_web()


class Pop:
    def __init__(self, args, world, base: str):
        self.args, self.world, self.base = args, world, base
        self.stats = load.Stats()
        self.day = load.Day(args, world, base, self.stats, random.Random(18))
        self.received: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
        self.arrived = asyncio.Event()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.missing: dict[str, int] = defaultdict(int)

    async def listen(self, n: int, ws) -> None:
        async for message in ws:
            data = message.json()
            key = data.get("id") or data.get("ticket")
            self.received[(data["op"], key)][n] = time.perf_counter()
            self.arrived.set()

    async def wait_for(self, op: str, ticket: int, agents: set[int], timeout=5.0) -> None:
        deadline = time.perf_counter() + timeout
        while not agents <= set(self.received[(op, ticket)]):
            if time.perf_counter() > deadline:
                return
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout=0.5)
            except TimeoutError:
                pass

    def record(self, measure: str, op: str, ticket: int, agents: set[int], sent: float) -> None:
        got = self.received[(op, ticket)]
        for n in agents:
            if n in got:
                self.samples[measure].append((got[n] - sent) * 1000)
            else:
                self.missing[measure] += 1

    async def run(self) -> None:
        import aiohttp
        from yarl import URL

        self.day.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        sessions, sockets, listeners = [], [], []
        self.day.login_slots = asyncio.Semaphore(2)
        try:
            for username, key in self.world.agents:
                session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
                sessions.append(session)
                if not await self.day.login(session, username, key):
                    raise SystemExit(f"{username} could not log in")
            _status, desk_page, _ = await self.day.request(sessions[0], "desk", "GET", "/desk/")
            ws_url = load.desk_socket_url(self.base, desk_page)
            if ws_url is None:
                raise SystemExit("the desk page names no push connection (desk-socket)")
            for n, session in enumerate(sessions):
                ws = await session.ws_connect(ws_url, headers={"Origin": self.base})
                sockets.append(ws)
                listeners.append(asyncio.create_task(self.listen(n, ws)))
            everyone = set(range(len(sessions)))
            print(f"{len(sockets)} agents connected; {self.args.calls} calls, one at a time")
            for i in range(self.args.calls):
                await self.one_call(i, sessions, everyone, URL)
                await asyncio.sleep(self.args.pause)
        finally:
            for ws in sockets:
                await ws.close()
            for task in listeners:
                task.cancel()
            for session in sessions:
                await session.close()
            await self.day.session.close()

    async def one_call(self, i: int, sessions, everyone: set[int], URL) -> None:
        firm = self.world.firms[i % len(self.world.firms)]
        common = {
            "CallSid": f"CA{self.day.run_id}{i:08d}".ljust(34, "0"),
            "AccountSid": "AC" + "c" * 32,
            "From": f"+3670{i:07d}",
            "To": "+3614623800",
            "CallStatus": "in-progress",
        }
        await self.day.webhook("ivr voice", "/ivr/voice/", {**common, "CallStatus": "ringing"})
        await self.day.webhook("ivr step", "/ivr/step/?n=1", {**common, "Digits": "1"})
        await self.day.webhook("ivr step", "/ivr/step/?n=2", {**common, "Digits": firm.grid})
        before = set(self.received)
        sent = time.perf_counter()
        twiml = await self.day.webhook(
            "ivr step", "/ivr/step/?n=3", {**common, "Digits": firm.code}
        )
        if not twiml or "<Enqueue" not in twiml:
            raise SystemExit(f"the caller was not queued: {twiml}")
        deadline = time.perf_counter() + 5
        while not (new := [k for k in self.received if k not in before and k[0] == "queue-add"]):
            if time.perf_counter() > deadline:
                self.missing["screen pop"] += len(everyone)
                return
            await asyncio.sleep(0.01)
        ticket = new[0][1]
        await self.wait_for("queue-add", ticket, everyone)
        self.record("screen pop", "queue-add", ticket, everyone, sent)

        taker = i % len(sessions)
        session = sessions[taker]
        csrf = session.cookie_jar.filter_cookies(URL(self.base))["csrftoken"].value
        others = everyone - {taker}
        sent = time.perf_counter()
        status, _text, location = await self.day.request(
            session,
            "take",
            "POST",
            f"/desk/take/{ticket}/",
            data={"csrfmiddlewaretoken": csrf},
            headers={"Referer": self.base + "/desk/"},
            expect=(302,),
        )
        if f"/desk/call/{ticket}/" not in location:
            raise SystemExit(f"take failed: {status} {location}")
        await self.wait_for("queue-remove", ticket, others)
        self.record("taken, other desks", "queue-remove", ticket, others, sent)

        before_hangup = dict(self.received.get(("call-changed", ticket), {}))
        self.received.pop(("call-changed", ticket), None)
        sent = time.perf_counter()
        end = {**common, "CallStatus": "completed", "CallDuration": "60"}
        await self.day.webhook("ivr status", "/ivr/status/", end, expect=(204,))
        await self.wait_for("call-changed", ticket, {taker})
        self.record("hang-up, call screen", "call-changed", ticket, {taker}, sent)
        del before_hangup
        await self.day.request(
            session,
            "close",
            "POST",
            f"/desk/call/{ticket}/close/",
            data=urlencode(
                {"csrfmiddlewaretoken": csrf, "action": "close", "outcome": "dropped", "notes": ""}
            ),
            headers={
                "Referer": self.base + f"/desk/call/{ticket}/",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            expect=(302,),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load.add_arguments(parser)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between two calls")
    parser.set_defaults(
        port=8775,
        socket_port=8776,
        ivr_workers=0,
        agents=40,
        contracts=1000,
        db=os.environ.get(
            "SCREENPOP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gratisz_screenpop"
        ),
        broker="redis://127.0.0.1:6379/9",
        cache="redis://127.0.0.1:6379/9",
    )
    args = parser.parse_args()
    env = load.stack_env(args)
    load.create_database(args.db)
    load.setup_django(env)
    world = load.prepare(args)
    stack = None if args.attach else WebOnly(args, env)
    if stack:
        stack.start()
    base = args.attach.rstrip("/") or f"http://127.0.0.1:{args.port}"
    try:
        pop = Pop(args, world, base)
        asyncio.run(pop.run())
    finally:
        if stack:
            stack.stop()
    print(
        f"{args.agents} agents connected, {args.web_workers} page workers, "
        f"{args.socket_workers} push workers, {os.cpu_count()} cores"
    )
    for measure, values in pop.samples.items():
        print(
            f"  {measure}: n={len(values)} p50 {load.percentile(values, 50):.0f} ms, "
            f"p95 {load.percentile(values, 95):.0f} ms, max {max(values):.0f} ms"
        )
    for measure, count in pop.missing.items():
        print(f"  {measure}: {count} messages never came")
    errors = dict(pop.stats.errors)
    if errors:
        print(f"  request errors: {errors}")
    return 1 if pop.missing or errors else 0


if __name__ == "__main__":
    sys.exit(main())
