import datetime

import pytest

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
    contract = ContractFactory()
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
