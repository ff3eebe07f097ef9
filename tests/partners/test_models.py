import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from partners.models import Contract, DirektCode, PartnerFirm
from tests.factories import ClaimFactory, ContractFactory, PartnerFirmFactory, set_direkt_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("grid", ["12345678", "1234567890", "12345678a", "１２３４５６７８９"])
def test_grid_must_be_nine_ascii_digits_in_the_database(grid):
    # PostgreSQL refuses an overlong value by its length, SQLite by the check constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        PartnerFirm.objects.create(grid=grid, name="X", kind=PartnerFirm.Kind.BROKER)


def test_grid_format_error_is_readable_in_forms():
    firm = PartnerFirmFactory.build(grid="12345")
    with pytest.raises(ValidationError) as error:
        firm.full_clean()
    assert "grid" in error.value.message_dict


def test_grid_is_unique():
    PartnerFirmFactory(grid="123456789")
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerFirmFactory(grid="123456789")


def test_database_allows_one_active_code_per_firm_and_role():
    firm = PartnerFirmFactory()
    first = set_direkt_code(firm, "3907")
    with pytest.raises(IntegrityError), transaction.atomic():
        DirektCode.objects.create(
            firm=firm, role=DirektCode.Role.STAFF, salt="ab" * 16, code_hash="0" * 64
        )
    # A manager code beside the staff code is fine, and so is a retired staff code.
    set_direkt_code(firm, "5820", role=DirektCode.Role.MANAGER)
    set_direkt_code(firm, "6071")
    first.refresh_from_db()
    assert first.retired_at is not None
    assert DirektCode.objects.filter(firm=firm, retired_at__isnull=True).count() == 2


def test_policy_and_claim_numbers_are_unique():
    contract = ContractFactory(policy_number="GFB-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(policy_number="GFB-1")
    ClaimFactory(claim_number="K-1", contract=contract)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(claim_number="K-1", contract=contract)


def test_bonus_malus_class_only_on_motor_liability():
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(product=Contract.Product.HOME, bonus_malus_class="B04")


def test_contract_cannot_end_before_it_starts():
    contract = ContractFactory.build(end_date=None)
    contract.end_date = contract.start_date.replace(year=contract.start_date.year - 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.firm.save()
        contract.policyholder.save()
        contract.firm_id, contract.policyholder_id = contract.firm.pk, contract.policyholder.pk
        contract.save()
