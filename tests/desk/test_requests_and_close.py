"""Requests on the call (certificate, promises, written-request guidance), closing, remarks."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calls.desk import services
from calls.desk.models import CallHandling, DeskEmail, DeskRequest, WrittenRequestType
from calls.models import CallTicket, OpeningHours, SpecialDay
from certificates.models import CertificateRequest, Delivery
from partners.models import Contract
from tests.desk.conftest import identify
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def test_certificate_needs_identification_then_goes_through_the_certificates_service(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    form = {"action": "certificate", "document_type": "damage_history", "channel": ""}
    page = client.post(url, form).content.decode()
    assert not CertificateRequest.objects.exists()
    assert "azonosítsa az ügyfelet" in page
    identify(handling, contract)
    assert client.post(url, form).status_code == 302
    request = CertificateRequest.objects.get()
    assert request.source == f"call:{handling.ticket_id}"
    assert request.requested_by == agent and request.contract == contract
    delivery = Delivery.objects.get(request=request)
    assert delivery.channel == Delivery.Channel.POST  # by post to the policyholder by default
    assert "6720" in delivery.destination
    assert DeskRequest.objects.get(handling=handling).certificate_request == request


def test_certificate_refusal_reason_is_shown_and_the_choice_kept(
    agent, login, client, firm, on_call
):
    casco = ContractFactory(firm=firm, product=Contract.Product.CASCO, policy_number="CAS-T1")
    handling = on_call(agent, firm)
    identify(handling, casco)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, casco.policy_number])
    page = client.post(
        url, {"action": "certificate", "document_type": "damage_history", "channel": ""}
    ).content.decode()
    assert "kgfb" in page.split('id="certificate"')[1].split("</form>")[0]
    # kept, and greyed out: the contract may not have it
    assert '<option value="damage_history" selected disabled>' in page
    assert not CertificateRequest.objects.exists()


def test_the_agent_chooses_the_period_of_a_coverage_certificate_or_a_green_card(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    identify(handling, contract)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    start = timezone.localdate() + datetime.timedelta(days=7)
    form = {"action": "certificate", "channel": "", "period_start": start.isoformat()}
    # A period that ends before it starts: the reason is shown, the dates are kept.
    page = client.post(
        url, {**form, "document_type": "green_card", "period_end": "2020-01-01"}
    ).content.decode()
    assert "legalább 15 nap" in page and f'value="{start.isoformat()}"' in page
    # A damage history has no period.
    page = client.post(url, {**form, "document_type": "damage_history"}).content.decode()
    assert "Csak a fedezetigazolásnak és a zöldkártyának van érvényességi ideje." in page
    assert not CertificateRequest.objects.exists()
    # A coverage certificate for one day next week, a green card for a month from then.
    assert client.post(url, {**form, "document_type": "coverage"}).status_code == 302
    end = start + datetime.timedelta(days=30)
    form["period_end"] = end.isoformat()
    assert client.post(url, {**form, "document_type": "green_card"}).status_code == 302
    coverage, green_card = CertificateRequest.objects.order_by("pk")
    assert coverage.params["period_from"] == coverage.params["period_to"] == start.isoformat()
    assert (green_card.params["valid_from"], green_card.params["valid_until"]) == (
        start.isoformat(),
        end.isoformat(),
    )


def test_an_invoice_copy_is_of_an_invoice_of_this_contract(
    agent, login, client, firm, contract, other_contract, on_call
):
    from tests.factories import InvoiceFactory

    ours = InvoiceFactory(contract=contract, number="SZ-2026-0001")
    theirs = InvoiceFactory(contract=other_contract, number="SZ-2026-0002")
    handling = on_call(agent, firm)
    identify(handling, contract)
    login(agent)
    url = reverse("desk:contract", args=[handling.ticket_id, contract.policy_number])
    page = client.get(url).content.decode()
    assert "SZ-2026-0001" in page and "SZ-2026-0002" not in page  # only this contract's
    form = {"action": "certificate", "document_type": "invoice_copy", "channel": ""}
    page = client.post(url, form).content.decode()
    assert "Válassza ki a szerződés egyik számláját." in page
    page = client.post(url, {**form, "invoice": theirs.pk}).content.decode()
    assert 'class="errorlist"' in page and not CertificateRequest.objects.exists()
    assert client.post(url, {**form, "invoice": ours.pk}).status_code == 302
    request = CertificateRequest.objects.get()
    assert (request.document_type, request.invoice) == ("invoice_copy", ours)


def test_callback_default_due_is_inside_opening_hours(db):
    SpecialDay.objects.all().delete()
    OpeningHours.objects.all().delete()
    for weekday in range(5):
        OpeningHours.objects.create(
            weekday=weekday, opens=datetime.time(8), closes=datetime.time(17)
        )
    tz = timezone.get_current_timezone()
    # A Friday 16:30 (2026-11-27): 30 minutes left, the rest on Monday from 8:00.
    friday = datetime.datetime(2026, 11, 27, 16, 30, tzinfo=tz)
    due = timezone.localtime(services.callback_default_due(now=friday))
    assert due == datetime.datetime(2026, 11, 30, 9, 30, tzinfo=tz)
    # Sunday night: from Monday's opening.
    sunday = datetime.datetime(2026, 11, 29, 22, 0, tzinfo=tz)
    assert timezone.localtime(services.callback_default_due(now=sunday)).hour == 10
    # A written answer: closing time of the fifth open day after today.
    due = timezone.localtime(services.written_answer_default_due(now=friday))
    assert due == datetime.datetime(2026, 12, 4, 17, 0, tzinfo=tz)
    # The call screen proposes both from one read of the calendar.
    assert services.promise_default_dues(now=friday) == (
        datetime.datetime(2026, 11, 30, 9, 30, tzinfo=tz),
        datetime.datetime(2026, 12, 4, 17, 0, tzinfo=tz),
    )


def test_callback_promise_is_recorded_and_leads_my_queue_when_overdue(
    agent, login, client, firm, on_call, line_open
):
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert 'name="due_at"' in page and "+36301234567" in page  # defaults filled in
    assert '"written_answer": "20' in page  # the other kind's default, for the kind switch
    due = timezone.localtime() + datetime.timedelta(hours=1)
    response = client.post(
        reverse("desk:promise", args=[handling.ticket_id]),
        {
            "kind": "callback",
            "due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "contact": "+36301234567",
            "subject": "Díjhátralék részletei",
        },
    )
    assert response.status_code == 302
    promise = DeskRequest.objects.get(kind="callback")
    older = DeskRequest.objects.create(
        handling=handling,
        kind="written_answer",
        due_at=timezone.now() - datetime.timedelta(hours=2),
        subject="Korábbi ígéret",
        created_at=timezone.now(),
    )
    queue = client.get(reverse("desk:queue")).content.decode()
    assert queue.index("Korábbi ígéret") < queue.index("Díjhátralék részletei")
    assert 'class="overdue"' in queue
    client.post(reverse("desk:promise-done", args=[older.pk]))
    assert "Korábbi ígéret" not in client.get(reverse("desk:queue")).content.decode()
    assert promise.handling == handling


def test_a_promise_in_the_past_is_refused_and_the_form_keeps_the_input(
    agent, login, client, firm, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    page = client.post(
        reverse("desk:promise", args=[handling.ticket_id]),
        {
            "kind": "callback",
            "due_at": "2020-01-01T10:00",
            "contact": "+36301234567",
            "subject": "Visszahívás kérése",
        },
    ).content.decode()
    assert 'value="Visszahívás kérése"' in page
    assert not DeskRequest.objects.exists()


def test_written_request_guidance_is_sent_by_email(
    agent, login, client, firm, on_call, django_capture_on_commit_callbacks, celery_eager
):
    handling = on_call(agent, firm)
    login(agent)
    kind = WrittenRequestType.objects.create(
        code="test-address",
        title="Címváltozás",
        form_name="Változásbejelentő",
        fax="+36 1 999 9999",
        email="valtozas@biztosito.example.hu",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:guidance", args=[handling.ticket_id]),
            {"request_type": kind.pk, "email": "iroda@alkusz.example.hu"},
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["iroda@alkusz.example.hu"]
    assert "+36 1 999 9999" in message.body and kind.form_name in message.body
    assert DeskRequest.objects.get().kind == "written_guidance"
    # The exact text stays on the call, marked sent, and the call screen says so.
    email = DeskEmail.objects.get(handling=handling).email
    assert email.body == message.body and email.sent_at is not None and email.attempts == 1
    assert message.body.startswith("Tisztelt Partnerünk!\n\nA szerződés adatai")
    assert message.extra_headers["Message-ID"] == email.message_id
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert f'id="email-{email.pk}"' in page and "elküldve" in page


def test_closing_makes_the_call_immutable_and_remarks_are_appended(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    close_url = reverse("desk:close", args=[handling.ticket_id])
    # No outcome: refused, notes kept.
    page = client.post(close_url, {"notes": "Díjat egyeztettük", "action": "close"})
    assert "Díjat egyeztettük" in page.content.decode()
    assert CallHandling.objects.get().closed_at is None
    client.post(close_url, {"notes": "Díjat egyeztettük", "outcome": "answered", "action": "close"})
    handling.refresh_from_db()
    assert handling.closed_at is not None and handling.outcome == "answered"
    assert handling.ticket.state == CallTicket.State.COMPLETED
    # Later changes are refused; the notes stay.
    client.post(close_url, {"notes": "átírva", "outcome": "dropped", "action": "close"})
    with pytest.raises(services.HandlingClosed):
        services.call_notes_save(handling=handling, notes="átírva")
    handling.refresh_from_db()
    assert handling.notes == "Díjat egyeztettük" and handling.outcome == "answered"
    client.post(reverse("desk:remark", args=[handling.ticket_id]), {"text": "Ügyfél visszaírt."})
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert "Ügyfél visszaírt." in page and "Díjat egyeztettük" in page
