"""Benchmark the core-system sync API: upsert 100,000 contracts through HTTP, then re-run.

    .venv/bin/python bench/api_sync.py [--contracts 100000] [--per-request 1000] [--workers 2]

Builds its own PostgreSQL database (``BENCH_DATABASE_URL``, default ``gratisz_bench_api``; it is
dropped and made anew each run so the first pass really creates), starts gunicorn on 127.0.0.1
with production settings and sends ``POST /api/v1/sync/`` requests like the core systems would:
first the partner firms, then for every ``--per-request`` contracts one request with their
policyholders, vehicles and the contracts themselves (with the vehicle on the contract and a
bonus-malus period), sent by ``--workers`` parallel senders. Prints the records and contracts
per second of the first pass, then sends the same data again and prints its time, checking from
PostgreSQL's statistics that the re-run wrote no row. Stops after ``--seconds`` and always stops
gunicorn. Loopback only.
"""

import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIRMS = 500


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--per-request", type=int, default=1000, help="contracts per request")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers and senders")
    parser.add_argument("--seconds", type=float, default=1800, help="time limit of the run")
    parser.add_argument(
        "--db",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gratisz_bench_api"
        ),
    )
    return parser.parse_args()


def server_env(args) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gratisz.settings",
        "DATABASE_URL": args.db,
        "DATABASE_CONN_MAX_AGE": "0",  # a closed connection flushes its statistics
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "ERROR",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_URL": "dummymail://",
        "API_THROTTLE_RATE": "100000/min",
        "API_SYNC_MAX_RECORDS": "20000",
    }


def fresh_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(args) -> str:
    """Migrate the bench database; return the token of a sync client."""
    fresh_database(args.db)
    os.environ.update(server_env(args))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gratisz.api.services import api_client_create

    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL")
    call_command("migrate", verbosity=0)
    _client, token = api_client_create(name="bench core systems", scopes=["sync"])
    connection.close()
    return token


def firm_records() -> list[dict]:
    return [
        {
            "type": "firm",
            "grid": f"{700_000_000 + i:09d}",
            "name": f"Bench Alkusz {i} Kft.",
            "kind": "broker",
            "email": f"iroda{i}@bench.example.hu",
            "postal_code": "1051",
            "city": "Budapest",
            "address_line": f"Nádor utca {i % 90 + 1}.",
        }
        for i in range(FIRMS)
    ]


def contract_records(start: int, stop: int) -> list[dict]:
    """Return the policyholders, vehicles and contracts of contracts ``start``..``stop``."""
    holders, vehicles, contracts = [], [], []
    for i in range(start, stop):
        holders.append(
            {
                "type": "policyholder",
                "id": f"U{i}",
                "kind": "person",
                "name": f"Bench Ügyfél {i}",
                "birth_date": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
                "postal_code": f"{1000 + i % 8000}",
                "city": "Győr",
                "address_line": f"Baross út {i % 200 + 1}.",
            }
        )
        vehicles.append(
            {
                "type": "vehicle",
                "id": f"V{i}",
                "plate": f"B{i % 1000:03d}-{i // 1000:03d}",
                "chassis_number": f"VF1BENCH{i:09d}",
                "make": "Renault",
                "model": "Clio",
                "category": "A",
            }
        )
        contracts.append(
            {
                "type": "contract",
                "policy_number": f"GFB-{i:07d}",
                "grid": f"{700_000_000 + i % FIRMS:09d}",
                "policyholder_id": f"U{i}",
                "product": "gfb",
                "status": "active",
                "start_date": "2024-01-01",
                "annual_premium": 40_000 + i % 30_000,
                "payment_frequency": "quarterly",
                "payment_method": "bank_transfer",
                "bonus_malus_class": "B02",
                "vehicles": [{"id": f"V{i}", "insured_from": "2024-01-01"}],
                "bonus_malus_history": [
                    {"period_start": "2024-01-01", "period_end": "2024-12-31", "class": "B01"}
                ],
            }
        )
    return holders + vehicles + contracts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, token: str, records: list[dict], deadline: float) -> dict:
    body = json.dumps({"records": records}).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    timeout = max(5.0, min(300.0, deadline - time.monotonic()))
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        return json.load(answer)


def run_pass(url, token, args, deadline) -> tuple[float, dict]:
    """Send firms, then all contracts; return the seconds taken and the summed counts."""
    totals = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    started = time.perf_counter()

    def add(result):
        for k in totals:
            totals[k] += result["counts"][k]
        if result["counts"]["failed"]:
            failed = [r for r in result["results"] if r["outcome"] == "failed"][:3]
            print("  failed:", failed, file=sys.stderr)

    add(post(url, token, firm_records(), deadline))
    chunks = [
        (s, min(s + args.per_request, args.contracts))
        for s in range(0, args.contracts, args.per_request)
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = [
            pool.submit(lambda c: post(url, token, contract_records(*c), deadline), chunk)
            for chunk in chunks
        ]
        for future in concurrent.futures.as_completed(futures):
            if time.monotonic() > deadline:
                for f in futures:
                    f.cancel()
                raise SystemExit("time limit reached")
            add(future.result())
    return time.perf_counter() - started, totals


def rows_written(db_url: str) -> int:
    """Return the rows ever inserted, updated or deleted in the bench database's tables."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        time.sleep(1.5)  # the servers flush their statistics when idle
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables"
            " WHERE relname NOT LIKE 'api_apiclient'"
        ).fetchone()
    return int(row[0] or 0)


def main() -> None:
    args = parse_args()
    deadline = time.monotonic() + args.seconds
    token = prepare(args)
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "gratisz.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(args),
    )
    url = f"http://127.0.0.1:{port}/api/v1/sync/"
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        records = FIRMS + 3 * args.contracts
        print(
            f"{args.contracts} contracts ({records} records with firms, policyholders and "
            f"vehicles), {args.per_request} contracts a request, {args.workers} workers"
        )
        seconds, counts = run_pass(url, token, args, deadline)
        print(
            f"first pass: {seconds:.1f} s, {records / seconds:,.0f} records/s, "
            f"{args.contracts / seconds:,.0f} contracts/s  {counts}"
        )
        before = rows_written(args.db)
        seconds, counts = run_pass(url, token, args, deadline)
        written = rows_written(args.db) - before
        print(
            f"re-run of the same data: {seconds:.1f} s, {records / seconds:,.0f} records/s, "
            f"rows written: {written}  {counts}"
        )
        if counts["unchanged"] != records or written:
            raise SystemExit("the re-run changed something")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
