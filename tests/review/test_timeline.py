"""A call's full timeline, in the order things happened."""

import datetime
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calls.desk.models import DeskEmail, DeskRequest, Disclosure, IdentificationCheck, Remark
from calls.models import CallTicket, IvrStep, VerificationAttempt
from certificates.models import Delivery, DeliveryAttempt
from gratisz.roles import Role
from outbox.models import Email

from .conftest import add_delivery, add_promise

BUDAPEST = zoneinfo.ZoneInfo("Europe/Budapest")


def test_timeline_tells_the_whole_call_in_order(make_call, firm, make_user, supervisor, login):
    anna = make_user(Role.AGENT, username="anna")
    ticket = make_call(firm, agent=anna, wait=25)
    handling = ticket.handling
    t0 = ticket.started_at
    IvrStep.objects.create(
        ticket=ticket, number=1, stage="menu", input_summary="1", event="menu_chosen", twiml="<x/>"
    )
    IvrStep.objects.filter(ticket=ticket).update(at=t0 + datetime.timedelta(seconds=5))
    attempt = VerificationAttempt.objects.create(
        ticket=ticket,
        number=1,
        menu="1",
        grid_entered=firm.grid,
        role="staff",
        outcome="wrong_code",
    )
    VerificationAttempt.objects.filter(pk=attempt.pk).update(at=t0 + datetime.timedelta(seconds=20))
    delivery = add_delivery(ticket, state=Delivery.State.FAILED)
    contract = delivery.request.contract
    IdentificationCheck.objects.create(
        handling=handling,
        contract=contract,
        facts_given=["name", "postcode"],
        facts_matched=["name", "postcode"],
        passed=True,
        at=handling.taken_at + datetime.timedelta(seconds=10),
    )
    Disclosure.objects.create(
        agent=anna,
        ticket=ticket,
        firm=firm,
        record_type="contract",
        record_ref=contract.policy_number,
        at=handling.taken_at + datetime.timedelta(seconds=15),
    )
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=handling.taken_at,
        outcome="permanent",
        detail="550 mailbox unavailable",
    )
    add_promise(ticket, due_in_minutes=90)
    DeskEmail.objects.create(
        handling=handling,
        email=Email.objects.create(
            template="desk/email/claim_number",
            to="karugy@alkusz.example.hu",
            subject="GrATISZ: kárszám TK-1",
            body="…",
            language="hu",
            created_at=handling.taken_at + datetime.timedelta(seconds=40),
            attempts=3,
            last_error="421 try again later",
        ),
    )
    Remark.objects.create(
        handling=handling,
        by=supervisor,
        at=handling.closed_at + datetime.timedelta(hours=1),
        text="Az ügyfél később visszahívott.",
    )
    client = login(supervisor)
    response = client.get(reverse("review:call", args=[ticket.pk]))
    record = response.context["record"]
    kinds = [e.kind for e in record.events]
    assert kinds[0] == "call" and kinds[-1] == "remark"
    assert kinds.index("ivr") < kinds.index("verification") < kinds.index("queue")
    assert kinds.index("agent") < kinds.index("identification") < kinds.index("disclosure")
    assert {"request", "email", "closed", "end"} <= set(kinds)
    assert record.wait_seconds == 25
    page = response.content.decode()
    for text in (
        contract.policy_number,
        "iroda@alkusz.example.hu",
        "550 mailbox unavailable",
        "karugy@alkusz.example.hu · még nincs elküldve: 421 try again later",
        "Az ügyfél később visszahívott.",
        "Díjrendezettségről kérdezett.",
        anna.username,
    ):
        assert text in page, text


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(datetime.date(2026, 1, 14), 9), (datetime.date(2026, 7, 15), 8)],
    ids=["winter", "summer"],
)
def test_timeline_shows_a_promise_due_in_budapest_time(
    make_call, firm, make_user, supervisor, login, day, utc_hour
):
    ticket = make_call(firm, agent=make_user(Role.AGENT, username="anna"))
    due = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=BUDAPEST)
    promise = add_promise(ticket, due_in_minutes=0)
    DeskRequest.objects.filter(pk=promise.pk).update(due_at=due)
    assert due.astimezone(datetime.UTC).hour == utc_hour
    client = login(supervisor)
    page = client.get(reverse("review:call", args=[ticket.pk])).content.decode()
    with translation.override("hu"):
        shown = date_format(due, "SHORT_DATETIME_FORMAT")
        in_utc = date_format(due.astimezone(datetime.UTC), "SHORT_DATETIME_FORMAT")
    assert "10:00" in shown and f"{utc_hour:02d}:00" in in_utc
    assert shown in page
    # Not the UTC reading of the due time (a bare "08:00" may be the clock of the test's run).
    assert in_utc not in page


def test_timeline_tells_the_ivr_and_the_provider_in_words(make_call, firm, supervisor, login):
    ticket = make_call(firm)
    for number, (stage, keyed, event) in enumerate(
        [
            ("menu", "1", "menu 1"),
            ("grid", "123456789", "GRID entered"),
            ("code", "4 digits", "verified, queued"),
        ],
        start=1,
    ):
        IvrStep.objects.create(
            ticket=ticket, number=number, stage=stage, input_summary=keyed, event=event, twiml="-"
        )
    CallTicket.objects.filter(pk=ticket.pk).update(queue_name="contracts", provider_status="busy")
    login(supervisor, client_hu := Client(HTTP_ACCEPT_LANGUAGE="hu"))
    page = client_hu.get(reverse("review:call", args=[ticket.pk])).content.decode()
    for code in ("verified, queued", "GRID entered", "4 digits", ">busy<", " busy", "contracts"):
        assert code not in page, code
    with translation.override("hu"):
        for words in (
            _("identified, waiting for an agent"),
            _("Direkt code") + " · " + ngettext("%(n)s digit", "%(n)s digits", 4) % {"n": 4},
            _("busy"),
        ):
            assert words in page, words
