"""Search as agents type: accents, case, separators and partial numbers forgiven, ranked, with
what matched; scoped to the call's firm; a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from calls.desk import selectors, services
from claims.selectors import claim_search
from partners.models import ContractVehicle, Offer
from partners.search import compact, fold
from partners.selectors import portfolio_search
from tests.factories import (
    ClaimFactory,
    ContractFactory,
    PolicyholderFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(firm, other_firm):
    """Kovács Éva's motor contract (plate ABC-123) and home contract in the firm's portfolio;
    a namesake with the same plate number in another firm's."""
    eva = PolicyholderFactory(name="Kovács Éva")
    motor = ContractFactory(
        firm=firm, policy_number="GFB-DEMO-0001", policyholder=eva, with_vehicle=False
    )
    ContractVehicle.objects.create(
        contract=motor,
        vehicle=VehicleFactory(plate="ABC-123", chassis_number="TSMLYD21S00999888"),
        insured_from=motor.start_date,
    )
    home = ContractFactory(
        firm=firm,
        policy_number="VAG-DEMO-0001",
        policyholder=eva,
        product="home",
        with_vehicle=False,
        start_date=datetime.date(2025, 1, 1),
    )
    other = ContractFactory(
        firm=firm,
        policy_number="GFB-DEMO-0010",
        policyholder=PolicyholderFactory(name="Tóth Ödön"),
        with_vehicle=False,
    )
    foreign = ContractFactory(
        firm=other_firm,
        policy_number="GFB-DEMO-0002",
        policyholder=PolicyholderFactory(name="Kovács Éva"),
        with_vehicle=False,
    )
    ContractVehicle.objects.create(
        contract=foreign,
        vehicle=VehicleFactory(plate="ABC-124", chassis_number="TSMLYD21S00999777"),
        insured_from=foreign.start_date,
    )
    return {"motor": motor, "home": home, "other": other, "foreign": foreign}


def numbers(contracts):
    return [c.policy_number for c in contracts]


def test_fold_and_compact_forgive_accents_case_and_separators():
    assert fold("  Kovács-Nagy ÉVA Őrs Ű ") == "kovacs nagy eva ors u"
    assert compact("GFB-DEMO 0001") == "gfbdemo0001"
    assert compact("AB CD-123") == "abcd123"


@pytest.mark.parametrize(
    ("query", "first", "kind", "value"),
    [
        ("kovacs eva", "VAG-DEMO-0001", "name", ""),  # both of hers; the newer first
        ("KOVÁCS", "VAG-DEMO-0001", "name", ""),
        ("éva kovács", "VAG-DEMO-0001", "name", ""),
        ("gfb demo 0001", "GFB-DEMO-0001", "policy_number", "GFB-DEMO-0001"),
        ("gfbdemo0001", "GFB-DEMO-0001", "policy_number", "GFB-DEMO-0001"),
        ("ABC123", "GFB-DEMO-0001", "plate", "ABC-123"),
        ("abc 123", "GFB-DEMO-0001", "plate", "ABC-123"),
        ("00999888", "GFB-DEMO-0001", "chassis_number", "TSMLYD21S00999888"),
    ],
)
def test_search_finds_what_agents_type(portfolio, firm, query, first, kind, value):
    found = portfolio_search(firm=firm, query=query)
    assert found and found[0].policy_number == first
    assert (found[0].match_kind, found[0].match_value) == (kind, value)
    assert "GFB-DEMO-0002" not in numbers(found)


def test_both_of_her_contracts_are_found_by_her_name(portfolio, firm):
    assert numbers(portfolio_search(firm=firm, query="kovacs eva")) == [
        "VAG-DEMO-0001",
        "GFB-DEMO-0001",
    ]


def test_a_partial_number_finds_every_contract_ending_so_and_the_whole_number_ranks_first(
    portfolio, firm
):
    assert numbers(portfolio_search(firm=firm, query="0001")) == ["VAG-DEMO-0001", "GFB-DEMO-0001"]
    assert numbers(portfolio_search(firm=firm, query="gfb-demo-00")) == [
        "GFB-DEMO-0001",
        "GFB-DEMO-0010",
    ]
    # The whole number first, then numbers it is part of (a plate XGFBDEMO0010).
    ContractVehicle.objects.create(
        contract=portfolio["home"],
        vehicle=VehicleFactory(plate="XGFBDEMO0010"),
        insured_from=portfolio["home"].start_date,
    )
    assert numbers(portfolio_search(firm=firm, query="GFB-DEMO-0010")) == [
        "GFB-DEMO-0010",
        "VAG-DEMO-0001",
    ]


def test_an_offer_number_finds_its_contract(portfolio, firm):
    motor = portfolio["motor"]
    Offer.objects.create(
        offer_number="AJ-DEMO-0042",
        firm=firm,
        policyholder=motor.policyholder,
        product="gfb",
        status="accepted",
        submitted_on=motor.start_date,
        annual_premium=1,
        contract=motor,
    )
    found = portfolio_search(firm=firm, query="aj demo 0042")
    assert numbers(found) == ["GFB-DEMO-0001"] and found[0].match_value == "AJ-DEMO-0042"


def test_another_firms_contract_never_appears(portfolio, firm, other_firm):
    for query in ("GFB-DEMO-0002", "gfbdemo0002", "0002", "ABC124", "Kovács Éva", "TSMLYD"):
        assert "GFB-DEMO-0002" not in numbers(portfolio_search(firm=firm, query=query))
    assert numbers(portfolio_search(firm=other_firm, query="kovacs eva")) == ["GFB-DEMO-0002"]
    assert portfolio_search(firm=other_firm, query="ABC123") == []


def test_too_little_to_search_finds_nothing(portfolio, firm):
    assert portfolio_search(firm=firm, query=" k ") == []
    assert portfolio_search(firm=firm, query="--") == []


def test_claims_are_found_by_a_part_of_their_number_in_the_firm_only(portfolio, firm, other_firm):
    mine = ClaimFactory(claim_number="K2026000123", contract=portfolio["motor"])
    ClaimFactory(claim_number="K2026000124", contract=portfolio["foreign"])
    assert claim_search(firm=firm, query="k 2026 000123") == [mine]
    assert claim_search(firm=firm, query="000123") == [mine]
    assert claim_search(firm=firm, query="K202600012") == [mine]
    assert claim_search(firm=other_firm, query="000123") == []


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_search_costs_the_same_queries_however_large_the_portfolio(portfolio, firm):
    def run():
        portfolio_search(firm=firm, query="0001")
        portfolio_search(firm=firm, query="kovacs")

    before = _queries(run)
    eva = portfolio["motor"].policyholder
    for n in range(30):
        contract = ContractFactory(
            firm=firm, policy_number=f"CAS-DEMO-{n:02d}01", policyholder=eva, product="casco"
        )
        Offer.objects.create(
            offer_number=f"AJ-X-{n:02d}01",
            firm=firm,
            policyholder=eva,
            product="casco",
            status="accepted",
            submitted_on=contract.start_date,
            annual_premium=1,
            contract=contract,
        )
    # At most four queries a search (its own rows, vehicles, offers, the contracts found only
    # through those), whatever the portfolio's size: the last one depends on what matched.
    assert before <= 8
    assert _queries(run) <= 8


# --- the call screen's fragment -------------------------------------------------------------


def search_url(handling):
    return reverse("desk:search", args=[handling.ticket_id])


def test_the_fragment_shows_the_hits_the_masked_policyholder_and_what_matched(
    agent, login, client, firm, portfolio, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    with translation.override("hu"):
        page = client.get(search_url(handling), {"q": "abc123"}).content.decode()
    assert f"/desk/call/{handling.ticket_id}/contract/GFB-DEMO-0001/" in page
    assert "rendszám ABC-123" in page  # what matched
    assert "K•••••" in page and "Kovács Éva" not in page  # the policyholder, masked
    assert "GFB-DEMO-0002" not in page
    page = client.get(search_url(handling), {"q": "kovacs eva"}).content.decode()
    assert "Kovács Éva" not in page and "VAG-DEMO-0001" in page


def test_the_fragment_says_when_nothing_matches_and_refuses_an_overlong_query(
    agent, login, client, firm, portfolio, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(search_url(handling), {"q": "GFB-DEMO-0002"}).content.decode()
    assert "Ennek a cégnek az állományában nincs találat" in page or "nincs" in page
    response = client.get(search_url(handling), {"q": "x" * 500})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_the_fragment_costs_a_fixed_number_of_queries(
    agent, login, client, firm, portfolio, on_call, django_assert_max_num_queries
):
    handling = on_call(agent, firm)
    login(agent)
    client.get(search_url(handling), {"q": "0001"})
    with django_assert_max_num_queries(14):
        client.get(search_url(handling), {"q": "0001"})


def test_the_fragment_is_the_agents_own_open_call_only(
    make_user, agent, login, client, firm, portfolio, on_call, referent
):
    handling = on_call(agent, firm)
    url = search_url(handling)
    response = client.get(url, {"q": "0001"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    login(referent)
    assert client.get(url, {"q": "0001"}).status_code == 403
    login(make_user("agent"))
    assert client.get(url, {"q": "0001"}).status_code == 404  # another agent's call
    login(agent)
    services.call_close(handling=handling, notes="", outcome="answered")
    assert client.get(url, {"q": "0001"}).status_code == 403


def test_the_call_screen_renders_the_same_hits_without_javascript(
    agent, login, client, firm, portfolio, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    page = client.get(reverse("desk:call", args=[handling.ticket_id]), {"q": "gfb demo 0001"})
    assert 'class="search-hits"' in page.content.decode()
    assert selectors.call_search(handling=handling, query="0002").contracts == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_postgresql_searches_through_unaccent_and_trigram_indexes(portfolio, firm):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname IN ('unaccent', 'pg_trgm')")
        assert {row[0] for row in cursor.fetchall()} == {"pg_trgm", "unaccent"}
        cursor.execute("SELECT gratisz_fold('Kovács-Nagy ÉVA Őrs'), gratisz_compact('AB CD-123')")
        assert cursor.fetchone() == ("kovacs nagy eva ors", "abcd123")
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef ILIKE '%gin_trgm_ops%'")
        names = {row[0] for row in cursor.fetchall()}
        assert {"policyholder_name_fold_trgm", "vehicle_plate_compact_trgm"} <= names
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM partners_policyholder WHERE gratisz_fold(name) LIKE '%kovacs%'"
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "policyholder_name_fold_trgm" in plan


# --- notes that save themselves ------------------------------------------------------------


def notes_url(handling):
    return reverse("desk:notes", args=[handling.ticket_id])


def test_notes_save_themselves_and_a_reload_shows_them(agent, login, client, firm, on_call):
    handling = on_call(agent, firm)
    login(agent)
    response = client.post(notes_url(handling), {"notes": "Zöldkártyát kér, visszahívjuk."})
    assert response.status_code == 200 and response.json()["saved_at"]
    handling.refresh_from_db()
    assert handling.notes == "Zöldkártyát kér, visszahívjuk."
    page = client.get(reverse("desk:call", args=[handling.ticket_id])).content.decode()
    assert "Zöldkártyát kér, visszahívjuk." in page.split('id="close"')[1]


def test_notes_refuse_what_cannot_be_stored_and_a_closed_call_keeps_its_notes(
    agent, login, client, firm, on_call
):
    handling = on_call(agent, firm)
    login(agent)
    response = client.post(notes_url(handling), {"notes": "a\x00b"})
    assert response.status_code == 400 and response.json()["error"]
    services.call_close(handling=handling, notes="végleges", outcome="answered")
    assert client.post(notes_url(handling), {"notes": "később"}).status_code == 409
    handling.refresh_from_db()
    assert handling.notes == "végleges"


def test_notes_are_the_agents_own_call_only(
    make_user, agent, login, client, firm, on_call, referent
):
    handling = on_call(agent, firm)
    url = notes_url(handling)
    assert client.post(url, {"notes": "x"}).status_code == 302  # to the login
    login(referent)
    assert client.post(url, {"notes": "x"}).status_code == 403
    login(make_user("agent"))
    assert client.post(url, {"notes": "x"}).status_code == 404
    login(agent)
    assert client.get(url).status_code == 405
    handling.refresh_from_db()
    assert handling.notes == ""
