"""Fixtures for the IVR: a firm with codes, its people, the fake provider, an open line."""

import datetime
import importlib
import secrets

import pytest
from django.test import Client
from django.utils import timezone

from calls.models import CallTicket, SpecialDay
from partners.models import DirektCode, PartnerManager
from tests.calls.fake_provider import ClientTransport, FakeProvider
from tests.factories import PartnerFirmFactory, set_direkt_code

STAFF_CODE = "5829"
MANAGER_CODE = "3807"


@pytest.fixture(autouse=True)
def _ivr_settings(settings):
    settings.DIREKT_THROTTLE_FACTOR = 0  # tests that need the back-off turn it on
    settings.PUBLIC_BASE_URL = "https://gratisz.example.hu"
    settings.TELEPHONY_AUTH_TOKEN = "test-auth-token-0123456789"
    settings.IVR_LANGUAGE = "hu"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _calls_seed_data(request):
    """Put back what the data migration loads (prompts, opening hours) if an earlier
    transactional test flushed it. (No serialized rollback in this suite: after its flush it
    withholds the post-migrate signal, and later tests would lose the role groups.)"""
    if request.node.get_closest_marker("django_db") is None:
        return
    from django.apps import apps

    importlib.import_module("calls.migrations.0002_default_prompts_and_hours").load(apps, None)


@pytest.fixture(autouse=True)
def _fresh_prompts():
    """Prompts are cached between requests; each test starts from the database."""
    from calls.ivr.flow import ivr_prompts_forget

    ivr_prompts_forget()
    yield
    ivr_prompts_forget()


@pytest.fixture(autouse=True)
def _celery_eager(celery_eager):
    """The calls app's tasks run at once in these tests (tests/calls/test_telephony_queue.py
    overrides this with a real worker)."""


@pytest.fixture
def line_open(db):
    """Open the line all of today and tomorrow (special days), whatever the real clock says:
    a test run just before midnight still finds opening hours ahead."""
    today = timezone.localdate()
    SpecialDay.objects.create(
        date=today + datetime.timedelta(days=1),
        is_open=True,
        opens=datetime.time(0, 0),
        closes=datetime.time(23, 59, 59),
        note="tests",
    )
    return SpecialDay.objects.create(
        date=today,
        is_open=True,
        opens=datetime.time(0, 0),
        closes=datetime.time(23, 59, 59),
        note="tests",
    )


@pytest.fixture
def provider(line_open):
    return FakeProvider(ClientTransport(Client()))


@pytest.fixture
def firm(make_user):
    referent = make_user("referent", username="referens")
    referent.email = "referens@biztosito.example.hu"
    referent.save()
    firm = PartnerFirmFactory(grid="123456789", referent=referent, registered_at=timezone.now())
    set_direkt_code(firm, STAFF_CODE, DirektCode.Role.STAFF)
    set_direkt_code(firm, MANAGER_CODE, DirektCode.Role.MANAGER)
    for name, revoked in (("vezeto", None), ("helyettes", None), ("volt", timezone.now())):
        user = make_user("partner_manager", username=name)
        user.email = f"{name}@alkusz.example.hu"
        user.save()
        PartnerManager.objects.create(firm=firm, user=user, revoked_at=revoked)
    return firm


def texts(*keys: str) -> list[str]:
    """Return what the IVR says for ``keys`` (the prompts as stored)."""
    from calls.models import IvrPrompt

    prompts = IvrPrompt.objects.in_bulk(field_name="key")
    return [prompts[k].text_hu for k in keys]


# --- putting a taken call through to the agent (tests/calls/test_telephony*.py) ----------------
TWILIO_ACCOUNT_SID = "AC" + "7" * 32


@pytest.fixture
def desk_agent(agent):
    agent.extension = "201"
    agent.first_name, agent.last_name = "Anna", "Ügynök"
    agent.save()
    return agent


@pytest.fixture
def waiting_call(firm):
    """A verified caller waiting in the provider's queue, as the IVR leaves it."""

    def make(call_sid: str | None = None, source=CallTicket.Source.IVR) -> CallTicket:
        now = timezone.now()
        return CallTicket.objects.create(
            source=source,
            call_sid=call_sid or "CA" + secrets.token_hex(16),
            account_sid=TWILIO_ACCOUNT_SID,
            from_number="+36301234567",
            to_number="+3614623800",
            state=CallTicket.State.WAITING,
            stage=CallTicket.Stage.DONE,
            menu="1",
            grid_entered=firm.grid,
            firm=firm,
            verified_at=now,
            enqueued_at=now,
            queue_name="contracts",
        )

    return make
