"""The call screen, search, contract and claim views, identification, disclosures."""

import pytest
from django.urls import reverse

from calls.desk import services
from calls.desk.models import Disclosure, IdentificationCheck
from calls.models import CallTicket
from tests.desk.conftest import identify

pytestmark = pytest.mark.django_db


def contract_url(handling, policy_number):
    return reverse("desk:contract", args=[handling.ticket_id, policy_number])


def test_call_screen_shows_the_verified_caller_history_and_reminder(
    agent, login, client, firm, make_waiting, on_call
):
    earlier = make_waiting(firm, from_number="+36305550000")
    CallTicket.objects.filter(pk=earlier.pk).update(state=CallTicket.State.COMPLETED)
    handling = on_call(agent, firm, menu="2", from_number="+36301234567")
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert "Első Alkusz Kft." in page and firm.grid in page and "+36301234567" in page
    assert "2 – " in page  # the menu chosen
    assert earlier.started_at.astimezone().strftime("%Y. %m. %d.") in page  # last 30 days
    assert 'role="note"' in page  # the data-protection reminder


def test_the_firms_older_calls_are_folded_so_the_call_screen_fits(
    agent, login, client, firm, make_waiting, on_call
):
    for n in range(8):
        make_waiting(firm, from_number=f"+3630555000{n}")
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    shown, folded = page.split('id="recent-calls-more" hidden')
    assert shown.split('id="recent-calls"')[1].count("<tr>") == 1 + 5  # header and the newest five
    assert folded.split("</table>")[0].count("<tr>") == 3
    assert "További 3 hívás" in page


def test_search_finds_only_the_verified_firms_portfolio(
    agent, login, client, firm, contract, other_contract, claim, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:call", args=[handling.ticket_id])
    assert contract.policy_number in client.get(url, {"q": contract.policy_number}).content.decode()
    by_name = client.get(url, {"q": "kiss"}).content.decode()
    assert f"contract/{contract.policy_number}/" in by_name
    assert "Kiss Boglárka" not in by_name  # the name is not disclosed by the search
    assert claim.claim_number in client.get(url, {"q": claim.claim_number}).content.decode()
    other = client.get(url, {"q": other_contract.policy_number}).content.decode()
    assert f"contract/{other_contract.policy_number}/" not in other


def test_another_firms_contract_is_a_404_like_a_wrong_number(
    agent, login, client, firm, other_contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    assert client.get(contract_url(handling, other_contract.policy_number)).status_code == 404
    assert client.get(contract_url(handling, "GFB-NOPE")).status_code == 404
    assert not Disclosure.objects.exists()


def test_contract_view_masks_personal_data_until_two_facts_match(
    agent, login, client, firm, contract, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = contract_url(handling, contract.policy_number)
    page = client.get(url).content.decode()
    assert "Kiss Boglárka" not in page and "K•••" in page
    # One fact right, one wrong: not identified, and what was typed stays in the form.
    response = client.post(url, {"action": "identify", "name": "Kiss Boglárka", "postcode": "1111"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Kiss Boglárka" in page.split('id="identify"')[1]  # kept in the form only
    assert 'class="holder-name">K•' in page
    # Two facts right: identified, and the data shows.
    response = client.post(
        url, {"action": "identify", "name": " kiss  boglárka", "birth_date": "1985-03-14"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'class="holder-name">Kiss Boglárka<' in page
    checks = list(IdentificationCheck.objects.order_by("at"))
    assert [c.passed for c in checks] == [False, True]
    assert checks[1].facts_matched == ["name", "birth_date"]
    assert "1985" not in str(checks[1].facts_given)  # values are never stored
    kinds = set(Disclosure.objects.values_list("record_type", flat=True))
    assert kinds == {Disclosure.Record.CONTRACT, Disclosure.Record.PERSONAL}


def test_identification_needs_two_facts_and_stops_after_repeated_failures(
    agent, login, client, firm, contract, on_call, settings
):
    settings.DESK_IDENTIFICATION_TRIES = 2
    handling = on_call(agent, firm)
    login(agent)
    url = contract_url(handling, contract.policy_number)
    page = client.post(url, {"action": "identify", "name": "Kiss Boglárka"}).content.decode()
    assert "legalább két" in page or "at least two" in page
    for _ in range(2):
        client.post(url, {"action": "identify", "name": "Nagy Ede", "postcode": "1111"})
    page = client.post(
        url, {"action": "identify", "name": "Kiss Boglárka", "postcode": "6720"}
    ).content.decode()
    assert IdentificationCheck.objects.filter(passed=True).count() == 0
    assert "túl sok sikertelen azonosítás" in page


def test_every_contract_and_claim_view_is_logged(
    agent, login, client, firm, contract, claim, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    client.get(contract_url(handling, contract.policy_number))
    client.get(reverse("desk:claim", args=[handling.ticket_id, claim.claim_number]))
    rows = list(Disclosure.objects.order_by("at").values_list("agent", "ticket", "record_ref"))
    assert rows == [
        (agent.pk, handling.ticket_id, contract.policy_number),
        (agent.pk, handling.ticket_id, claim.claim_number),
    ]


def test_the_log_keeps_the_first_showing_of_a_record_on_each_call(
    agent, login, client, firm, contract, on_call
):
    first = on_call(agent, firm)
    login(agent)
    for _ in range(3):  # the agent goes back to the contract during the call
        client.get(contract_url(first, contract.policy_number))
    client.get(reverse("desk:claim-report", args=[first.ticket_id, contract.policy_number]))
    assert Disclosure.objects.filter(record_ref=contract.policy_number).count() == 1
    services.call_close(handling=first, notes="", outcome="answered")
    second = on_call(agent, firm)  # the same contract on the next call is logged again
    client.get(contract_url(second, contract.policy_number))
    tickets = Disclosure.objects.filter(record_ref=contract.policy_number).values_list(
        "ticket", flat=True
    )
    assert sorted(tickets) == [first.ticket_id, second.ticket_id]


def test_claim_details_are_told_only_after_the_client_is_identified(
    agent, login, client, firm, claim, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:claim", args=[handling.ticket_id, claim.claim_number])
    page = client.get(url).content.decode()
    assert claim.claim_number in page and 'id="claim-masked"' in page
    assert claim.adjuster.phone not in page and "350000" not in page
    assert claim.get_status_display() not in page
    identify(handling, claim.contract)
    page = client.get(url).content.decode()
    assert 'id="claim-masked"' not in page
    assert claim.adjuster.phone in page and claim.adjuster.email in page
    assert "350000" in page.replace("\u00a0", "").replace(" ", "")


def test_another_firms_claim_is_a_404(agent, login, client, firm, other_contract, on_call):
    from tests.factories import ClaimFactory

    foreign = ClaimFactory(contract=other_contract)
    handling = on_call(agent, firm)
    login(agent)
    url = reverse("desk:claim", args=[handling.ticket_id, foreign.claim_number])
    assert client.get(url).status_code == 404


def test_contract_view_has_a_fixed_number_of_queries_whatever_the_fleet(
    agent, login, client, firm, on_call, django_assert_num_queries
):
    import datetime

    from partners.models import Contract, ContractVehicle, Vehicle
    from tests.factories import ContractFactory, InvoiceFactory, PaymentFactory

    def fleet(number, size):
        contract = ContractFactory(
            policy_number=number,
            firm=firm,
            product=Contract.Product.CASCO_FLEET,
            with_vehicle=False,
        )
        vehicles = Vehicle.objects.bulk_create(
            Vehicle(
                external_id=f"{number}-{i}",
                plate=f"FL-{i:04d}",
                chassis_number=f"{number[-4:]}CH{i:011d}",
                make="Ford",
                category="A",
            )
            for i in range(size)
        )
        ContractVehicle.objects.bulk_create(
            ContractVehicle(contract=contract, vehicle=v, insured_from=datetime.date(2024, 1, 1))
            for v in vehicles
        )
        for n in range(size // 50 + 1):
            InvoiceFactory(contract=contract, number=f"{number}-I{n}")
            PaymentFactory(contract=contract, external_id=f"{number}-P{n}")
        return contract

    warm = fleet("CFL-T0000001", 1)
    small, big = fleet("CFL-T0000005", 5), fleet("CFL-T0000500", 500)
    handling = on_call(agent, firm)
    login(agent)
    client.get(contract_url(handling, warm.policy_number))  # warm caches (content types…)
    # Both measured views are each contract's first on the call (each writes its disclosure).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small_run:
        assert client.get(contract_url(handling, small.policy_number)).status_code == 200
    with django_assert_num_queries(len(small_run.captured_queries)):
        page = client.get(contract_url(handling, big.policy_number)).content.decode()
    assert "500" in page and "FL-0000" in page and "FL-0499" not in page  # paginated
    assert len(small_run.captured_queries) <= 30
    # The premium status (shown, and the rule of every document offered) is read once.
    ledger = [q for q in small_run.captured_queries if 'SUM("partners_payment"' in q["sql"]]
    assert len(ledger) == 1
