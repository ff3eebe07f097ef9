"""Data for certificate tests, built with the factories (not the demo seed)."""

import datetime
import io
import re

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from claims.models import Claim
from partners.models import Contract, ContractVehicle
from tests.factories import (
    ClaimFactory,
    ClaimPaymentFactory,
    ContractFactory,
    InvoiceFactory,
    PaymentFactory,
    PolicyholderFactory,
    VehicleFactory,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep stored PDFs and fax files of each test in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CERTIFICATES_FAX_FILE_PATH = tmp_path / "fax"
    settings.PUBLIC_BASE_URL = "https://gratisz.example.hu"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english_messages():
    """Compare the refusal reasons and errors with their English msgids, whatever the catalog."""
    with translation.override("en"):
        yield


def pdf_text(content: bytes) -> str:
    """Return the text of a PDF as one line per text line, spaces normalised."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


@pytest.fixture
def today():
    """Return today in the site's time zone, as the services see it."""
    return timezone.localdate()


@pytest.fixture
def gfb_contract(db, today):
    """A GFB contract in force with two paid claims in the last 5 years and one older."""
    holder = PolicyholderFactory(name="Győri Ődön Ürmös", birth_date=datetime.date(1975, 3, 9))
    contract = ContractFactory(
        policy_number="GFB-0000123",
        policyholder=holder,
        start_date=today - datetime.timedelta(days=8 * 365),
        bonus_malus_class="B06",
        with_vehicle=False,
    )
    vehicle = VehicleFactory(plate="RXK-421", make="Škoda", model="Octavia")
    ContractVehicle.objects.create(
        contract=contract, vehicle=vehicle, insured_from=contract.start_date
    )
    recent = ClaimFactory(
        contract=contract,
        vehicle=vehicle,
        claim_number="K2024111111",
        event_date=today - datetime.timedelta(days=400),
        status=Claim.Status.PAID,
    )
    ClaimPaymentFactory(claim=recent, paid_on=today - datetime.timedelta(days=380))
    # Happened more than 5 years ago but paid within: counts (payment date rules).
    late = ClaimFactory(
        contract=contract,
        vehicle=vehicle,
        claim_number="K2019222222",
        event_date=today - datetime.timedelta(days=5 * 365 + 60),
        status=Claim.Status.PAID,
    )
    ClaimPaymentFactory(claim=late, paid_on=today - datetime.timedelta(days=5 * 365 - 30))
    # Paid more than 5 years ago: does not count.
    old = ClaimFactory(
        contract=contract,
        claim_number="K2018333333",
        event_date=today - datetime.timedelta(days=7 * 365),
        status=Claim.Status.PAID,
    )
    ClaimPaymentFactory(claim=old, paid_on=today - datetime.timedelta(days=7 * 365 - 20))
    return contract


@pytest.fixture
def fleet_contract(db, today):
    """A casco fleet of three vehicles with claims: one open, two closed."""
    contract = ContractFactory(
        policy_number="CF-0000777",
        product=Contract.Product.CASCO_FLEET,
        policyholder=PolicyholderFactory(name="Fuvarozó Bt.", kind="company", birth_date=None),
        start_date=today - datetime.timedelta(days=3 * 365),
        with_vehicle=False,
    )
    vehicles = []
    for i, plate in enumerate(["FLT-001", "FLT-002", "FLT-003"]):
        vehicle = VehicleFactory(plate=plate, make="Ford", model="Transit")
        ContractVehicle.objects.create(
            contract=contract,
            vehicle=vehicle,
            insured_from=contract.start_date,
            insured_to=(today - datetime.timedelta(days=100)) if i == 2 else None,
        )
        vehicles.append(vehicle)
    closed = ClaimFactory(
        contract=contract,
        vehicle=vehicles[0],
        claim_number="KF-1",
        cover=Claim.Cover.OWN_DAMAGE,
        event_date=today - datetime.timedelta(days=300),
        status=Claim.Status.CLOSED,
        reserve_amount=0,
    )
    ClaimPaymentFactory(claim=closed, amount=250_000, cover=Claim.Cover.OWN_DAMAGE)
    ClaimFactory(
        contract=contract,
        vehicle=vehicles[1],
        claim_number="KF-2",
        cover=Claim.Cover.GLASS,
        event_date=today - datetime.timedelta(days=20),
        status=Claim.Status.SETTLEMENT,
        reserve_amount=120_000,
    )
    return contract


@pytest.fixture
def premium_contract(db, today):
    """A contract with one paid and one overdue quarterly invoice."""
    contract = ContractFactory(policy_number="GFB-0000555", start_date=today.replace(day=1))
    start = contract.start_date
    InvoiceFactory(
        contract=contract,
        number="SZ-1",
        issued_on=start,
        due_on=start,
        period_start=start,
        period_end=start + datetime.timedelta(days=89),
        amount=12_000,
    )
    InvoiceFactory(
        contract=contract,
        number="SZ-2",
        issued_on=start,
        due_on=start,
        period_start=start + datetime.timedelta(days=90),
        period_end=start + datetime.timedelta(days=179),
        amount=12_500,
    )
    PaymentFactory(contract=contract, paid_on=start, amount=12_000)
    return contract
