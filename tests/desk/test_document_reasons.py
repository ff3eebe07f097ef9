"""The contract page says why a document is refused before sending, and when a GFB contract in
arrears ends."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import Contract
from tests.factories import ContractFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def unpaid_since(contract, due_on):
    start = due_on - datetime.timedelta(days=91)
    InvoiceFactory(
        contract=contract,
        due_on=start,
        period_start=start,
        period_end=due_on - datetime.timedelta(days=1),
    )
    InvoiceFactory(
        contract=contract,
        due_on=due_on,
        period_start=due_on,
        period_end=due_on + datetime.timedelta(days=90),
    )
    PaymentFactory(contract=contract, paid_on=start, amount=12_000)


def test_contract_page_shows_the_lapse_date_ahead_for_a_gfb_in_arrears(
    agent, login, client, firm, on_call
):
    today = timezone.localdate()
    gfb = ContractFactory(
        firm=firm, policy_number="GFB-T0000009", start_date=today - datetime.timedelta(days=400)
    )
    due = today - datetime.timedelta(days=20)
    unpaid_since(gfb, due)
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(
        reverse("desk:contract", args=[handling.ticket_id, gfb.policy_number])
    ).content.decode()
    lapse = due + datetime.timedelta(days=60)
    assert "Díjnemfizetéssel megszűnik" in page
    assert f"{lapse:%Y. %m. %d.} · ha a hátralékot addig nem rendezik" in page
    # Each refused document says why in its own choice, before the agent sends.
    choice = page.split('<option value="green_card"')[1].split("</option>")[0]
    assert "Díjhátralék fennállása alatt zöldkártya nem adható ki" in choice


def test_contract_page_says_a_gfb_unpaid_for_sixty_days_has_ended(
    agent, login, client, firm, on_call
):
    today = timezone.localdate()
    gfb = ContractFactory(
        firm=firm, policy_number="GFB-T0000010", start_date=today - datetime.timedelta(days=400)
    )
    due = today - datetime.timedelta(days=75)
    unpaid_since(gfb, due)
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(
        reverse("desk:contract", args=[handling.ticket_id, gfb.policy_number])
    ).content.decode()
    assert "Díjnemfizetéssel megszűnt" in page
    assert f"{due + datetime.timedelta(days=60):%Y. %m. %d.}" in page


def test_a_casco_fleet_offers_no_green_card_and_says_so(agent, login, client, firm, on_call):
    fleet = ContractFactory(
        firm=firm, policy_number="CFL-T0000001", product=Contract.Product.CASCO_FLEET
    )
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(
        reverse("desk:contract", args=[handling.ticket_id, fleet.policy_number])
    ).content.decode()
    choice = page.split('<option value="green_card"')[1].split("</option>")[0]
    assert "kgfb" in choice


# --- written-request guidance -----------------------------------------------------------------


def guidance_mail(client, handling, code, django_capture_on_commit_callbacks):
    from django.core import mail

    from calls.desk.models import WrittenRequestType

    kind = WrittenRequestType.objects.get(code=code)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("desk:guidance", args=[handling.ticket_id]),
            {"request_type": kind.pk, "email": "iroda@alkusz.example.hu"},
        )
    return mail.outbox[-1].body


def test_guidance_names_the_written_request_channels_from_settings(
    agent, login, client, firm, on_call, settings, django_capture_on_commit_callbacks, celery_eager
):
    settings.WRITTEN_REQUEST_FAX = "+36 1 222 3333"
    settings.WRITTEN_REQUEST_EMAIL = "irasbeli@biztosito.example.hu"
    handling = on_call(agent, firm)
    login(agent)
    body = guidance_mail(client, handling, "address-change", django_capture_on_commit_callbacks)
    assert "+36 1 222 3333" in body and "irasbeli@biztosito.example.hu" in body


def test_a_gfb_keeper_change_is_explained_as_a_new_contract(
    agent, login, client, firm, on_call, django_capture_on_commit_callbacks, celery_eager
):
    handling = on_call(agent, firm)
    login(agent)
    body = guidance_mail(client, handling, "owner-change", django_capture_on_commit_callbacks)
    assert "új szerződést kell kötnie" in body


def test_printed_forms_are_ordered_on_their_own_channel(
    agent, login, client, firm, on_call, settings, django_capture_on_commit_callbacks, celery_eager
):
    settings.PRINTED_FORMS_ORDER_EMAIL = "nyomtatvany@biztosito.example.hu"
    handling = on_call(agent, firm)
    login(agent)
    body = guidance_mail(client, handling, "printed-forms", django_capture_on_commit_callbacks)
    assert "nyomtatvany@biztosito.example.hu" in body
    assert settings.WRITTEN_REQUEST_FAX not in body
