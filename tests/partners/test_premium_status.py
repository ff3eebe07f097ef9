import datetime

import pytest

from partners.models import Contract
from partners.selectors import contract_premium_status
from tests.factories import ContractFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def quarter_invoices(contract, year=2026):
    for q in range(4):
        start = datetime.date(year, 3 * q + 1, 1)
        end = (datetime.date(year, 3 * q + 4, 1) if q < 3 else datetime.date(year + 1, 1, 1)) - (
            datetime.timedelta(days=1)
        )
        InvoiceFactory(
            contract=contract, due_on=start, period_start=start, period_end=end, amount=12_000
        )


def test_settled_contract_is_paid_until_the_end_of_the_last_covered_period():
    contract = ContractFactory()
    quarter_invoices(contract)
    for _ in range(3):
        PaymentFactory(contract=contract, amount=12_000)
    status = contract_premium_status(contract=contract, today=datetime.date(2026, 8, 1))
    assert status.paid_until == datetime.date(2026, 9, 30)
    assert status.arrears == 0 and status.is_settled
    assert status.next_due_on == datetime.date(2026, 10, 1)
    assert status.next_due_amount == 12_000


def test_arrears_count_what_is_due_and_unpaid_including_a_part_payment():
    contract = ContractFactory(product=Contract.Product.CASCO)
    quarter_invoices(contract)
    PaymentFactory(contract=contract, amount=12_000)
    PaymentFactory(contract=contract, amount=5_000)
    status = contract_premium_status(contract=contract, today=datetime.date(2026, 8, 1))
    assert status.paid_until == datetime.date(2026, 3, 31)
    assert status.arrears == 7_000 + 12_000
    assert status.overdue_since == datetime.date(2026, 4, 1)
    assert status.next_due_on == datetime.date(2026, 10, 1)


def test_no_invoices_means_nothing_due(django_assert_num_queries):
    contract = ContractFactory()
    with django_assert_num_queries(2):
        status = contract_premium_status(contract=contract, today=datetime.date(2026, 8, 1))
    assert status.paid_until is None and status.arrears == 0 and status.next_due_on is None


def test_gfb_unpaid_sixty_days_after_its_due_date_has_ended_and_owes_only_to_that_day():
    contract = ContractFactory()
    quarter_invoices(contract)
    PaymentFactory(contract=contract, amount=12_000)
    status = contract_premium_status(contract=contract, today=datetime.date(2026, 8, 1))
    # Due 1 April, unpaid: cover ended on 31 May (day 60), 61 of the quarter's 91 days.
    assert status.lapse_on == datetime.date(2026, 5, 31)
    assert status.has_lapsed and not status.will_lapse
    assert status.cover_end == datetime.date(2026, 5, 31)
    assert status.arrears == round(12_000 * 61 / 91)
    assert status.next_due_on is None


def test_gfb_in_arrears_within_sixty_days_shows_the_lapse_date_ahead():
    contract = ContractFactory()
    quarter_invoices(contract)
    PaymentFactory(contract=contract, amount=12_000)
    status = contract_premium_status(contract=contract, today=datetime.date(2026, 5, 10))
    assert status.will_lapse and not status.has_lapsed
    assert status.lapse_on == datetime.date(2026, 5, 31)
    assert status.cover_end is None
    assert status.arrears == 12_000


def test_an_ended_contract_owes_its_last_period_pro_rata():
    contract = ContractFactory(
        product=Contract.Product.CASCO,
        bonus_malus_class="",
        status=Contract.Status.TERMINATED,
        end_date=datetime.date(2026, 1, 31),
    )
    quarter_invoices(contract)
    status = contract_premium_status(contract=contract, today=datetime.date(2026, 8, 1))
    assert status.arrears == round(12_000 * 31 / 90)
    assert status.lapse_on is None
