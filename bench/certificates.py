"""Benchmark certificate rendering: median and p95 per type, documents/s with two processes.

    .venv/bin/python bench/certificates.py [--runs 30] [--docs 60]

Builds its data with the test factories in a throwaway database (never the demo's), takes one
snapshot per type and renders it repeatedly in this process (warm, as a worker that has rendered
each type once: fonts, parsed stylesheets and compiled templates loaded), then renders ``--docs``
documents spread over two spawned worker processes, each warming up on every type first, and
reports documents per second of wall time. Render time includes the template and the QR code,
not the database queries of the snapshot. On a busy machine wall time runs ahead of CPU time:
compare the CPU column, and note the load averages printed at start and end.
"""

import argparse
import datetime
import io
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gratisz.settings")

TYPES = ["damage_history", "fleet_damage_history", "coverage", "green_card", "premium_status"]


def _setup_django():
    import django

    django.setup()


def build_snapshots() -> dict[str, dict]:
    """Create realistic contracts (10 claim rows on the histories) and return each type's data."""
    from django.db import connection
    from django.test.utils import setup_test_environment

    from certificates.selectors import check_eligibility, document_snapshot
    from claims.models import Claim
    from partners.models import Contract, ContractVehicle
    from tests.factories import (
        ClaimFactory,
        ClaimPaymentFactory,
        ContractFactory,
        InvoiceFactory,
        PaymentFactory,
        VehicleFactory,
    )

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from django.utils import timezone

    today = timezone.localdate()
    gfb = ContractFactory(start_date=today - datetime.timedelta(days=6 * 365))
    for i in range(10):
        claim = ClaimFactory(
            contract=gfb,
            event_date=today - datetime.timedelta(days=100 + i * 150),
            status=Claim.Status.PAID,
        )
        ClaimPaymentFactory(claim=claim, paid_on=claim.event_date + datetime.timedelta(days=20))
    for q in range(8):
        start = today - datetime.timedelta(days=90 * (8 - q))
        InvoiceFactory(
            contract=gfb,
            issued_on=start,
            due_on=start,
            period_start=start,
            period_end=start + datetime.timedelta(days=89),
        )
        PaymentFactory(contract=gfb, paid_on=start)
    fleet = ContractFactory(
        product=Contract.Product.CASCO_FLEET,
        start_date=today - datetime.timedelta(days=4 * 365),
        with_vehicle=False,
    )
    for i in range(5):
        vehicle = VehicleFactory()
        ContractVehicle.objects.create(
            contract=fleet, vehicle=vehicle, insured_from=fleet.start_date
        )
        for j in range(2):
            ClaimFactory(
                contract=fleet,
                vehicle=vehicle,
                cover=Claim.Cover.OWN_DAMAGE,
                event_date=today - datetime.timedelta(days=50 + 200 * j + i),
                reserve_amount=100_000,
            )
    snapshots = {}
    for document_type in TYPES:
        contract = fleet if document_type == "fleet_damage_history" else gfb
        params = check_eligibility(document_type=document_type, contract=contract, today=today)
        snapshots[document_type] = document_snapshot(
            document_type=document_type, contract=contract, today=today, params=params
        )
    return snapshots


def _render(document_type: str, data: dict, n: int) -> bytes:
    from django.utils import timezone

    from certificates import rendering

    return rendering.render_document(
        document_type=document_type,
        number=f"GR-2026-{n:06d}-00",
        issued_at=timezone.now(),
        data=data,
    )


def _worker(args) -> int:
    """Warm up, wait for the start signal, render the share of documents; return the count."""
    jobs, barrier = args
    _setup_django()
    for document_type, data in dict(jobs).items():
        _render(document_type, data, 0)  # fonts, CSS and templates loaded before the clock starts
    barrier.wait()
    for n, (document_type, data) in enumerate(jobs, 1):
        _render(document_type, data, n)
    return len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="renders per type (after warm-up)")
    parser.add_argument("--docs", type=int, default=60, help="documents for the throughput run")
    options = parser.parse_args()
    _setup_django()
    snapshots = build_snapshots()

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"render time per type ({options.runs} runs each, warm process)")
    print(
        f"{'type':<22} {'median ms':>10} {'p95 ms':>8} {'CPU median':>11} {'KiB':>6} {'pages':>6}"
    )
    for document_type, data in snapshots.items():
        _render(document_type, data, 0)  # warm-up: fonts, CSS and each type's templates
    for document_type, data in snapshots.items():
        times, cpu = [], []
        for n in range(options.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            pdf = _render(document_type, data, n)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(
            f"{document_type:<22} {statistics.median(times):>10.1f} {p95:>8.1f} "
            f"{statistics.median(cpu):>11.1f} {len(pdf) / 1024:>6.1f} {pages:>6}"
        )

    jobs = [(TYPES[n % len(TYPES)], snapshots[TYPES[n % len(TYPES)]]) for n in range(options.docs)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(3)
        with context.Pool(2) as pool:
            result = pool.map_async(_worker, [(jobs[0::2], barrier), (jobs[1::2], barrier)])
            barrier.wait()
            start = time.perf_counter()
            done = sum(result.get(timeout=900))
            elapsed = time.perf_counter() - start
    print(
        f"throughput: {done} documents in {elapsed:.2f} s with 2 processes = "
        f"{done / elapsed:.1f} documents/s"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
