import pytest
from django.core.exceptions import ValidationError

from partners import direkt
from partners.models import DirektCode
from partners.selectors import direkt_code_is_valid
from partners.services import direkt_code_policy_errors
from tests.factories import PartnerFirmFactory, set_direkt_code

pytestmark = pytest.mark.django_db


def test_only_a_keyed_hash_is_stored(settings):
    firm = PartnerFirmFactory()
    row = set_direkt_code(firm, "3907")
    stored = " ".join(str(v) for v in DirektCode.objects.filter(pk=row.pk).values().get().values())
    assert row.code_hash == direkt.keyed_hash(grid=firm.grid, salt=row.salt, code="3907")
    assert "3907" not in stored.replace(row.code_hash, "").replace(row.salt, "")
    # Without the pepper the hash is worthless: another pepper no longer matches the code.
    settings.DIREKT_CODE_PEPPER = "another-pepper-of-sufficient-length-000"
    assert not direkt_code_is_valid(firm=firm, role="staff", code="3907")


def test_same_code_hashes_differently_for_two_firms():
    a = set_direkt_code(PartnerFirmFactory(), "3907")
    b = set_direkt_code(PartnerFirmFactory(), "3907")
    assert a.code_hash != b.code_hash


def test_valid_code_matches_and_others_do_not():
    firm = PartnerFirmFactory()
    set_direkt_code(firm, "3907")
    set_direkt_code(firm, "5820", role=DirektCode.Role.MANAGER)
    assert direkt_code_is_valid(firm=firm, role="staff", code="3907")
    assert not direkt_code_is_valid(firm=firm, role="staff", code="3908")
    assert not direkt_code_is_valid(firm=firm, role="staff", code="5820")
    assert direkt_code_is_valid(firm=firm, role="manager", code="5820")
    assert not direkt_code_is_valid(firm=PartnerFirmFactory(), role="staff", code="3907")


@pytest.mark.parametrize(
    "code", ["0000", "1111", "1234", "4321", "8901", "1212", "1221", "1987", "2024"]
)
def test_trivial_codes_are_refused(code):
    errors = direkt_code_policy_errors(firm=PartnerFirmFactory(), role="staff", code=code)
    assert "trivial" in errors


@pytest.mark.parametrize("code", ["123", "12345", "12a4", "", " 1234", "١٢٣٤"])
def test_code_must_be_four_ascii_digits(code):
    assert direkt_code_policy_errors(firm=PartnerFirmFactory(), role="staff", code=code) == [
        "format"
    ]


def test_none_of_the_last_five_codes_may_return():
    firm = PartnerFirmFactory()
    history = ["3907", "5820", "6071", "7394", "8162", "9475"]
    for code in history:
        set_direkt_code(firm, code)
    # 3907 is now the sixth-last: allowed again; the five after it are not.
    for code in history[1:]:
        assert "reused" in direkt_code_policy_errors(firm=firm, role="staff", code=code)
    assert direkt_code_policy_errors(firm=firm, role="staff", code="3907") == []


def test_staff_and_manager_codes_differ():
    firm = PartnerFirmFactory()
    set_direkt_code(firm, "3907")
    assert direkt_code_policy_errors(firm=firm, role="manager", code="3907") == [
        "same_as_other_role"
    ]


def test_refused_code_changes_nothing():
    firm = PartnerFirmFactory()
    current = set_direkt_code(firm, "3907")
    with pytest.raises(ValidationError) as error:
        set_direkt_code(firm, "1234")
    assert error.value.error_list[0].code == "trivial"
    current.refresh_from_db()
    assert current.retired_at is None
    assert DirektCode.objects.filter(firm=firm).count() == 1


def test_random_codes_obey_the_policy():
    firm = PartnerFirmFactory()
    for _ in range(200):
        code = direkt.random_code()
        assert direkt_code_policy_errors(firm=firm, role="staff", code=code) == []
