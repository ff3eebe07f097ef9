"""Server time and query count of each desk page with a 500-vehicle fleet (not part of the
suite: the suite asserts query counts, never time). Run and read the table it prints:

    .venv/bin/pytest tests/desk/bench_desk.py -q -s
"""

import datetime
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import Contract, ContractVehicle, Vehicle
from tests.factories import ClaimFactory, ClaimPaymentFactory, ContractFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def test_print_desk_page_timings(agent, login, client, firm, contract, make_waiting, on_call):
    fleet = ContractFactory(
        policy_number="CFL-B0000500",
        firm=firm,
        product=Contract.Product.CASCO_FLEET,
        with_vehicle=False,
    )
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(
            external_id=f"B-{i}",
            plate=f"BN-{i:04d}",
            chassis_number=f"BENCH{i:012d}",
            make="Ford",
            category="A",
        )
        for i in range(500)
    )
    ContractVehicle.objects.bulk_create(
        ContractVehicle(contract=fleet, vehicle=v, insured_from=datetime.date(2024, 1, 1))
        for v in vehicles
    )
    for n in range(60):
        InvoiceFactory(contract=fleet, number=f"B-I{n}")
    claim = ClaimFactory(contract=fleet, claim_number="K-BENCH-1")
    for n in range(10):
        ClaimPaymentFactory(claim=claim, external_id=f"B-P{n}")
    for _ in range(20):
        make_waiting(firm)
    handling = on_call(agent, firm)
    login(agent)
    t = handling.ticket_id
    pages = {
        "home": reverse("desk:home"),
        "queue (polled)": reverse("desk:queue"),
        "call screen": reverse("desk:call", args=[t]),
        "call search": reverse("desk:call", args=[t]) + "?q=BN-0042",
        "contract, 500 vehicles": reverse("desk:contract", args=[t, fleet.policy_number]),
        "contract, page 20": reverse("desk:contract", args=[t, fleet.policy_number]) + "?page=20",
        "claim": reverse("desk:claim", args=[t, claim.claim_number]),
        "claim report": reverse("desk:claim-report", args=[t, fleet.policy_number]),
    }
    print(f"\n{'page':<26}{'median ms':>10}{'max ms':>9}{'queries':>9}")
    for name, url in pages.items():
        client.get(url)
        times = []
        for _ in range(15):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                assert client.get(url).status_code == 200
                times.append((time.perf_counter() - start) * 1000)
        print(
            f"{name:<26}{statistics.median(times):>10.1f}{max(times):>9.1f}"
            f"{len(queries.captured_queries):>9}"
        )
