"""The phone claim report (first notice of loss): draft, validation, submitted once."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calls.desk import services
from calls.desk.models import ClaimReport
from claims.models import Claim
from partners.models import Contract
from tests.desk.conftest import motor_answers
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def report_url(handling, contract):
    return reverse("desk:claim-report", args=[handling.ticket_id, contract.policy_number])


def test_a_draft_keeps_what_was_typed_across_a_pause(agent, login, client, firm, contract, on_call):
    handling = on_call(agent, firm)
    login(agent)
    url = report_url(handling, contract)
    response = client.post(url, {"action": "draft", "place": "Szeged, Tisza Lajos krt."})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'value="Szeged, Tisza Lajos krt."' in page
    assert ClaimReport.objects.get().state == ClaimReport.State.DRAFT
    assert not Claim.objects.exists()


def test_a_report_with_errors_keeps_the_input_and_says_what_is_wrong(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        report_url(handling, contract), motor_answers(contract, event_at=future, place="")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Parkolóban tolatás" in page
    assert page.count('class="errorlist"') >= 2
    assert not Claim.objects.exists()


def test_submitting_twice_makes_one_claim_shown_and_emailed(
    agent, login, client, firm, contract, on_call, django_capture_on_commit_callbacks, celery_eager
):
    handling = on_call(agent, firm)
    login(agent)
    url = report_url(handling, contract)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, motor_answers(contract))
    claim = Claim.objects.get()
    assert claim.origin == Claim.Origin.PHONE and claim.claim_number.startswith("TK")
    assert claim.vehicle is not None  # matched by plate, spaces ignored
    assert first.url == reverse("desk:claim", args=[handling.ticket_id, claim.claim_number])
    page = client.get(first.url).content.decode()
    # Reported on this very call: its details are shown without a further identification.
    assert claim.claim_number in page and 'id="claim-masked"' not in page
    assert mail.outbox[0].to == [firm.email] and claim.claim_number in mail.outbox[0].body
    # The same report submitted again (a double click) returns the same claim.
    report = ClaimReport.objects.get()
    again = services.claim_report_submit(report_id=report.pk, handling=handling, cleaned={}, raw={})
    assert again == claim and Claim.objects.count() == 1


def test_property_report_uses_the_property_fields(agent, login, client, firm, on_call):
    home = ContractFactory(firm=firm, product=Contract.Product.HOME, policy_number="OTT-T1")
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(report_url(handling, home)).content.decode()
    assert 'name="insured_mothers_name"' in page and 'name="damaged_plate"' not in page
    event = timezone.localtime() - datetime.timedelta(days=1)
    client.post(
        report_url(handling, home),
        {
            "event_at": event.strftime("%Y-%m-%dT%H:%M"),
            "noticed_at": event.strftime("%Y-%m-%dT%H:%M"),
            "description": "Csőtörés a fürdőszobában.",
            "event_type": "water",
            "insured_name": "Kiss Boglárka",
            "insured_birth_date": "1985-03-14",
            "insured_mothers_name": "Nagy Ilona",
            "risk_address": "6720 Szeged, Kárász utca 5.",
            "contact": "+36301234567",
            "estimated_amount": "450000",
            "action": "submit",
        },
    )
    assert Claim.objects.get().cover == Claim.Cover.WATER


def test_claim_report_of_another_firms_contract_or_a_closed_call_is_refused(
    agent, login, client, firm, other_contract, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    assert client.get(report_url(handling, other_contract)).status_code == 404
    services.call_close(handling=handling, notes="", outcome="dropped")
    assert client.get(report_url(handling, contract)).status_code == 403


def test_closing_asks_about_a_report_that_was_started_and_not_submitted(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    client.post(report_url(handling, contract), {"action": "draft", "place": "Szeged"})
    close_url = reverse("desk:close", args=[handling.ticket_id])
    # The caller hung up mid-report: closing is stopped, with what was typed kept.
    response = client.post(
        close_url, {"notes": "A hívó megszakadt.", "outcome": "dropped", "action": "close"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "nem küldték be" in page and "A hívó megszakadt." in page
    handling.refresh_from_db()
    assert handling.closed_at is None
    # Ticking that the report is to be discarded closes the call; the draft is kept, discarded.
    response = client.post(
        close_url,
        {
            "notes": "A hívó megszakadt.",
            "outcome": "dropped",
            "discard_drafts": "on",
            "action": "close",
        },
    )
    assert response.status_code == 302
    handling.refresh_from_db()
    assert handling.closed_at is not None
    assert ClaimReport.objects.get().state == ClaimReport.State.DISCARDED


def test_claim_reported_is_refused_as_an_outcome_when_no_claim_was_reported(
    agent, login, client, firm, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    response = client.post(
        reverse("desk:close", args=[handling.ticket_id]),
        {"notes": "", "outcome": "claim_reported", "action": "close"},
    )
    assert response.status_code == 200
    assert "nem történt kárbejelentés" in response.content.decode()
    handling.refresh_from_db()
    assert handling.closed_at is None


def test_the_submitted_form_sent_again_makes_no_second_claim(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = report_url(handling, contract)
    form_key = re.search(r'name="form_key" value="(\w+)"', client.get(url).content.decode())[1]
    answers = motor_answers(contract, form_key=form_key)
    first = client.post(url, answers)
    claim = Claim.objects.get()
    # The back button and the same form again: the agent is shown the claim already made.
    again = client.post(url, answers)
    assert again.status_code == 302 and again.url == first.url
    assert Claim.objects.count() == 1 and ClaimReport.objects.count() == 1
    assert claim.claim_number in client.get(again.url).content.decode()


def test_opening_the_form_creates_nothing(agent, login, client, firm, contract, on_call):
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(report_url(handling, contract)).content.decode()
    assert 'name="damaged_plate"' in page and 'name="report" value=""' in page
    assert not ClaimReport.objects.exists()
    close_url = reverse("desk:close", args=[handling.ticket_id])
    closed = client.post(close_url, {"notes": "", "outcome": "answered", "action": "close"})
    assert closed.status_code == 302, "nothing was started, so nothing blocks the close"


def test_the_draft_saves_itself_and_a_reload_keeps_the_typed_fields(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = report_url(handling, contract)
    form_key = re.search(r'name="form_key" value="(\w+)"', client.get(url).content.decode())[1]
    typed = {"action": "draft", "form_key": form_key, "place": "Szeged, Kálvária sgt."}
    saved = client.post(url, typed, headers={"X-Requested-With": "fetch"})
    assert saved.status_code == 200
    report = ClaimReport.objects.get()
    assert saved.json()["report"] == report.pk and report.form_key == form_key
    typed["description"] = "Tolatás közben"
    client.post(url, {**typed, "report": report.pk}, headers={"X-Requested-With": "fetch"})
    assert ClaimReport.objects.count() == 1
    page = client.get(url).content.decode()
    assert 'value="Szeged, Kálvária sgt."' in page and "Tolatás közben" in page
    assert f'name="report" value="{report.pk}"' in page


def test_a_submit_with_errors_keeps_the_fields_for_a_reload(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = report_url(handling, contract)
    response = client.post(url, motor_answers(contract, place="", description="Koccanás"))
    assert response.status_code == 200 and not Claim.objects.exists()
    assert "Koccanás" in client.get(url).content.decode()


def test_the_autosave_is_only_for_the_agent_on_the_call(
    agent, make_user, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    url = report_url(handling, contract)
    fetch = {"X-Requested-With": "fetch"}
    assert client.post(url, {"action": "draft"}, headers=fetch).status_code == 302  # to login
    login(make_user("agent"))
    assert client.post(url, {"action": "draft"}, headers=fetch).status_code == 404
    login(make_user("referent"))
    assert client.post(url, {"action": "draft"}, headers=fetch).status_code == 403
    assert not ClaimReport.objects.exists()
