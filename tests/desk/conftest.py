"""Fixtures for the desk: two firms with portfolios, waiting verified calls, an open line."""

import datetime
import itertools

import pytest
from django.utils import timezone

from calls.desk import services
from calls.models import CallTicket, SpecialDay
from partners.models import Contract, DirektCode
from tests.factories import (
    ClaimFactory,
    ClaimPaymentFactory,
    ContractFactory,
    PartnerFirmFactory,
    PolicyholderFactory,
    set_direkt_code,
)

STAFF_CODE = "5829"
_sids = itertools.count(1)


@pytest.fixture(autouse=True)
def _desk_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DIREKT_THROTTLE_FACTOR = 0
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def line_open(db):
    return SpecialDay.objects.create(
        date=timezone.localdate(),
        is_open=True,
        opens=datetime.time(0, 0),
        closes=datetime.time(23, 59, 59),
        note="tests",
    )


@pytest.fixture
def firm(db):
    firm = PartnerFirmFactory(grid="123456789", name="Első Alkusz Kft.")
    set_direkt_code(firm, STAFF_CODE, DirektCode.Role.STAFF)
    return firm


@pytest.fixture
def other_firm(db):
    return PartnerFirmFactory(grid="987654321", name="Másik Alkusz Zrt.")


@pytest.fixture
def holder(db):
    return PolicyholderFactory(
        name="Kiss Boglárka",
        birth_date=datetime.date(1985, 3, 14),
        postal_code="6720",
        tax_number="8412345678",
    )


@pytest.fixture
def contract(firm, holder):
    return ContractFactory(policy_number="GFB-T0000001", firm=firm, policyholder=holder)


@pytest.fixture
def other_contract(other_firm):
    return ContractFactory(policy_number="GFB-T0000002", firm=other_firm)


@pytest.fixture
def claim(contract):
    claim = ClaimFactory(claim_number="K2024000001", contract=contract)
    ClaimPaymentFactory(claim=claim, amount=350_000)
    return claim


@pytest.fixture
def make_waiting(db):
    """Put a verified call of ``firm`` in the queue, as the IVR leaves it."""

    def make(firm, *, menu="1", from_number="+36301234567", minutes_ago=1):
        now = timezone.now()
        return CallTicket.objects.create(
            call_sid=f"CA{next(_sids):032d}",
            from_number=from_number,
            to_number="+3614623800",
            state=CallTicket.State.WAITING,
            menu=menu,
            grid_entered=firm.grid,
            firm=firm,
            verified_at=now - datetime.timedelta(minutes=minutes_ago),
            queue_name="contracts" if menu == "1" else "claims",
            enqueued_at=now - datetime.timedelta(minutes=minutes_ago),
            stage=CallTicket.Stage.DONE,
        )

    return make


@pytest.fixture
def on_call(make_waiting):
    """Give ``agent`` a call of ``firm`` taken from the queue; return the handling."""

    def make(agent, firm, **kwargs):
        ticket = make_waiting(firm, **kwargs)
        return services.call_take(ticket_id=ticket.pk, agent=agent)

    return make


def motor_answers(contract, **changes):
    """A motor claim report's form, as an agent fills it in for ``contract``'s vehicle."""
    event = timezone.localtime() - datetime.timedelta(hours=5)
    plate = contract.vehicle_links.select_related("vehicle").first().vehicle.plate
    answers = {
        "event_at": event.strftime("%Y-%m-%dT%H:%M"),
        "noticed_at": (event + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Parkolóban tolatás közben nekiment egy oszlopnak.",
        "cover": "liability",
        "place": "Szeged, Kárász utca 5.",
        "damaged_plate": plate.replace("-", " "),
        "damaged_vehicle_type": "Suzuki Vitara",
        "owner_name": "Kiss Boglárka",
        "owner_address": "6720 Szeged, Kárász utca 5.",
        "owner_phone": "+36301234567",
        "at_fault_plate": "",
        "inspection_place": "Szeged, szerviz",
        "action": "submit",
    }
    answers.update(changes)
    return answers


def identify(handling, contract):
    return services.client_identify(
        handling=handling,
        contract=contract,
        facts={"name": contract.policyholder.name, "postcode": contract.policyholder.postal_code},
    )


__all__ = ["Contract", "identify", "motor_answers"]
