"""The portal's rules, service by service: invitations, registration, the code policy,
rotation, re-registration and unlocking."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gratisz.celery import app as celery_app
from partners import direkt
from partners.models import (
    DirektCode,
    DirektLockEvent,
    DirektThrottle,
    FirmAuditEntry,
    ManagerInvitation,
    PartnerManager,
)
from partners.selectors import direkt_code_is_valid
from partners.services import (
    PortalError,
    direkt_code_rotate,
    firm_register,
    firm_reregistration_start,
    grid_unlock,
    invitation_for_token,
    manager_invitation_accept,
    manager_invite,
)
from partners.verification import direkt_verify
from tests.conftest import shows_code
from tests.factories import PartnerFirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_mail(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DIREKT_THROTTLE_FACTOR = 0
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def run_commit_hooks(django_capture_on_commit_callbacks):
    """Run what a service leaves for after the commit (e-mails), as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def firm(make_user):
    referent = make_user("referent", username="referens")
    return PartnerFirmFactory(grid="111222333", referent=referent)


@pytest.fixture
def leader(make_user, firm):
    user = make_user("partner_manager", username="vezeto")
    user.email = "vezeto@alkusz.example.hu"
    user.save()
    PartnerManager.objects.create(firm=firm, user=user, is_leader=True)
    return user


@pytest.fixture
def colleague(make_user, firm):
    user = make_user("partner_manager", username="kolléga")
    user.email = "kollega@alkusz.example.hu"
    user.save()
    PartnerManager.objects.create(firm=firm, user=user)
    return user


# --- invitations ------------------------------------------------------------------------------


def test_invitation_link_is_mailed_and_only_its_digest_is_stored(firm, run_commit_hooks):
    invitation, token = run_commit_hooks(
        manager_invite, firm=firm, email="uj@alkusz.example.hu", is_leader=True, by=firm.referent
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["uj@alkusz.example.hu"]
    assert f"/partner/invitation/{token}/" in mail.outbox[0].body
    stored = " ".join(str(v) for v in ManagerInvitation.objects.values().get().values())
    assert token not in stored
    assert invitation_for_token(token=token) == invitation


def test_accepting_makes_a_manager_without_a_second_factor_yet(firm):
    invitation, token = manager_invite(
        firm=firm, email="uj@alkusz.example.hu", is_leader=True, by=firm.referent
    )
    user = manager_invitation_accept(token=token, username="uj", password="Hosszu-jelszo-42")
    manager = PartnerManager.objects.get(user=user)
    assert manager.firm == firm and manager.is_leader and manager.authorised_by == firm.referent
    assert user.email == "uj@alkusz.example.hu"
    assert user.check_password("Hosszu-jelszo-42")
    assert user.has_perm("gratisz.manage_own_firm")
    assert not user.totpdevice_set.exists()  # the first login enrols one
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_invitation_works_only_once(firm):
    _invitation, token = manager_invite(
        firm=firm, email="uj@alkusz.example.hu", is_leader=False, by=firm.referent
    )
    manager_invitation_accept(token=token, username="uj", password="Hosszu-jelszo-42")
    with pytest.raises(PortalError):
        manager_invitation_accept(token=token, username="masik", password="Hosszu-jelszo-42")
    assert PartnerManager.objects.filter(firm=firm).count() == 1


def test_invitation_expires(firm, settings):
    invitation, token = manager_invite(
        firm=firm, email="uj@alkusz.example.hu", is_leader=False, by=firm.referent
    )
    ManagerInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert invitation_for_token(token=token) is None
    with pytest.raises(PortalError):
        manager_invitation_accept(token=token, username="uj", password="Hosszu-jelszo-42")


def test_invitation_expires_after_the_configured_hours(firm, settings):
    settings.PARTNER_INVITATION_HOURS = 72
    invitation, _token = manager_invite(
        firm=firm, email="uj@alkusz.example.hu", is_leader=False, by=firm.referent
    )
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        datetime.timedelta(hours=72), abs=datetime.timedelta(seconds=5)
    )


def test_a_new_invitation_withdraws_the_earlier_one_to_the_same_address(firm):
    _first, old_token = manager_invite(
        firm=firm, email="uj@alkusz.example.hu", is_leader=False, by=firm.referent
    )
    _second, new_token = manager_invite(
        firm=firm, email="UJ@alkusz.example.hu", is_leader=False, by=firm.referent
    )
    assert invitation_for_token(token=old_token) is None
    assert invitation_for_token(token=new_token) is not None


def test_an_unknown_token_is_no_invitation(firm):
    assert invitation_for_token(token="nincs-ilyen") is None


# --- registration -----------------------------------------------------------------------------


def test_registration_needs_the_terms_accepted(firm, leader):
    with pytest.raises(ValidationError) as error:
        firm_register(firm=firm, by=leader, terms_accepted=False)
    assert "terms" in error.value.error_dict
    firm.refresh_from_db()
    assert firm.registered_at is None
    assert not DirektCode.objects.filter(firm=firm).exists()


def test_registration_creates_both_codes_random_by_default(firm, leader, run_commit_hooks):
    codes = run_commit_hooks(
        firm_register, firm=firm, by=leader, terms_accepted=True, ip="10.1.2.3"
    )
    assert set(codes) == {"staff", "manager"}
    assert codes["staff"] != codes["manager"]
    for role, code in codes.items():
        assert direkt.CODE_RE.match(code) and not direkt.is_trivial(code)
        assert direkt_code_is_valid(firm=firm, role=role, code=code)
    firm.refresh_from_db()
    assert firm.registered_by == leader and firm.registered_at is not None
    entry = FirmAuditEntry.objects.get(firm=firm, action=FirmAuditEntry.Action.REGISTERED)
    assert (entry.by, entry.ip_address) == (leader, "10.1.2.3")
    assert [m.to for m in mail.outbox] == [["vezeto@alkusz.example.hu"]]


def test_registration_with_chosen_codes(firm, leader):
    firm_register(firm=firm, by=leader, terms_accepted=True, staff_code="3907", manager_code="5816")
    assert direkt_code_is_valid(firm=firm, role="staff", code="3907")
    assert direkt_code_is_valid(firm=firm, role="manager", code="5816")


def test_a_firm_registers_only_once(firm, leader):
    firm_register(firm=firm, by=leader, terms_accepted=True)
    with pytest.raises(PortalError):
        firm_register(firm=firm, by=leader, terms_accepted=True)
    assert DirektCode.objects.filter(firm=firm).count() == 2


@pytest.mark.parametrize(
    ("staff", "manager", "rule"),
    [
        ("12a4", "5816", "format"),
        ("123", "5816", "format"),
        ("0000", "5816", "trivial"),
        ("1234", "5816", "trivial"),
        ("1111", "5816", "trivial"),
        ("1212", "5816", "trivial"),
        ("4321", "5816", "trivial"),
        ("1987", "5816", "trivial"),
        ("2024", "5816", "trivial"),
        ("3907", "3907", "same_as_other_role"),
    ],
)
def test_code_policy_refuses_each_rule_and_changes_nothing(firm, leader, staff, manager, rule):
    with pytest.raises(ValidationError) as error:
        firm_register(
            firm=firm, by=leader, terms_accepted=True, staff_code=staff, manager_code=manager
        )
    codes = [e.code for errors in error.value.error_dict.values() for e in errors]
    assert rule in codes
    firm.refresh_from_db()
    assert firm.registered_at is None
    assert not DirektCode.objects.filter(firm=firm).exists()


def test_rotation_refuses_any_of_the_last_five_codes(firm, leader):
    firm_register(firm=firm, by=leader, terms_accepted=True, staff_code="3907", manager_code="5816")
    for code in ("3908", "3917", "3927", "3937"):
        direkt_code_rotate(firm=firm, codes={"staff": code}, by=leader)
    with pytest.raises(ValidationError) as error:
        direkt_code_rotate(firm=firm, codes={"staff": "3907"}, by=leader)  # 5th back
    assert error.value.error_dict["staff"][0].code == "reused"
    direkt_code_rotate(firm=firm, codes={"staff": "3947"}, by=leader)
    direkt_code_rotate(firm=firm, codes={"staff": "3907"}, by=leader)  # now 6th back: allowed


def test_a_code_is_never_stored_in_clear(firm, leader):
    codes = firm_register(firm=firm, by=leader, terms_accepted=True)
    stored = " ".join(
        str(value)
        for row in DirektCode.objects.filter(firm=firm).values("code_hash", "salt", "role")
        for value in row.values()
    )
    audit = " ".join(str(v) for v in FirmAuditEntry.objects.values_list("detail", "roles"))
    for code in codes.values():
        for row in DirektCode.objects.filter(firm=firm):
            assert not shows_code(code, stored.replace(row.code_hash, "").replace(row.salt, ""))
        assert not shows_code(code, audit)


# --- rotation ---------------------------------------------------------------------------------


def test_rotation_replaces_the_code_audits_and_mails_every_manager(
    firm, leader, colleague, run_commit_hooks
):
    old = firm_register(firm=firm, by=leader, terms_accepted=True)
    mail.outbox.clear()
    new = run_commit_hooks(
        direkt_code_rotate, firm=firm, codes={"staff": None}, by=colleague, ip="192.0.2.7"
    )
    assert set(new) == {"staff"} and new["staff"] != old["staff"]
    assert direkt_code_is_valid(firm=firm, role="staff", code=new["staff"])
    assert not direkt_code_is_valid(firm=firm, role="staff", code=old["staff"])
    assert direkt_code_is_valid(firm=firm, role="manager", code=old["manager"])
    entry = FirmAuditEntry.objects.get(action=FirmAuditEntry.Action.CODE_ROTATED)
    assert (entry.by, entry.ip_address, entry.roles) == (colleague, "192.0.2.7", "staff")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "kollega@alkusz.example.hu",
        "vezeto@alkusz.example.hu",
    ]
    body = mail.outbox[0].body
    assert "192.0.2.7" in body and "kolléga" in body
    assert not shows_code(new["staff"], body)
    assert not shows_code(new["staff"], mail.outbox[0].subject)


def test_rotation_before_registration_is_refused(firm, leader):
    with pytest.raises(PortalError):
        direkt_code_rotate(firm=firm, codes={"staff": None}, by=leader)


# --- re-registration and unlock ---------------------------------------------------------------


def test_reregistration_retires_every_code_and_tells_managers_and_referent(
    firm, leader, run_commit_hooks
):
    firm.referent.email = "referens@biztosito.example.hu"
    firm.referent.save()
    codes = firm_register(firm=firm, by=leader, terms_accepted=True)
    mail.outbox.clear()
    run_commit_hooks(
        firm_reregistration_start, firm=firm, by=firm.referent, reason="A vezető elhunyt"
    )
    firm.refresh_from_db()
    assert firm.registered_at is None
    assert not DirektCode.objects.filter(firm=firm, retired_at__isnull=True).exists()
    assert not direkt_verify(grid=firm.grid, code=codes["staff"], calling_number="+3611").ok
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["referens@biztosito.example.hu", "vezeto@alkusz.example.hu"]
    )
    entry = FirmAuditEntry.objects.get(action=FirmAuditEntry.Action.REREGISTRATION)
    assert entry.detail == "A vezető elhunyt"
    # Registration starts again, and the old codes count as recent.
    with pytest.raises(ValidationError):
        firm_register(
            firm=firm, by=leader, terms_accepted=True, staff_code=codes["staff"], manager_code=None
        )
    again = firm_register(firm=firm, by=leader, terms_accepted=True)
    assert direkt_verify(grid=firm.grid, code=again["staff"], calling_number="+3611").ok


def test_reregistration_needs_a_reason(firm):
    with pytest.raises(ValidationError):
        firm_reregistration_start(firm=firm, by=firm.referent, reason="  ")


def _lock(firm, settings):
    for _ in range(settings.DIREKT_LOCK_AFTER_FAILURES):
        direkt_verify(grid=firm.grid, code="9999", calling_number="+36301112233")
    assert DirektThrottle.objects.get(grid=firm.grid).is_locked


@pytest.mark.parametrize("who", ["leader", "referent"])
def test_unlock_by_manager_or_referent_lets_the_right_code_in(firm, leader, settings, who):
    codes = firm_register(firm=firm, by=leader, terms_accepted=True)
    _lock(firm, settings)
    assert not direkt_verify(grid=firm.grid, code=codes["staff"], calling_number="+3611").ok
    user = leader if who == "leader" else firm.referent
    grid_unlock(grid=firm.grid, by=user, reason="a támadó próbálkozott", ip="10.0.0.1")
    assert direkt_verify(grid=firm.grid, code=codes["staff"], calling_number="+3611").ok
    assert DirektLockEvent.objects.filter(kind="unlocked", by=user).exists()
    entry = FirmAuditEntry.objects.get(action=FirmAuditEntry.Action.GRID_UNLOCKED)
    assert (entry.by, entry.detail, entry.ip_address) == (user, "a támadó próbálkozott", "10.0.0.1")


def test_unlock_by_someone_else_is_refused(firm, leader, settings, make_user):
    firm_register(firm=firm, by=leader, terms_accepted=True)
    _lock(firm, settings)
    other_referent = make_user("referent")
    with pytest.raises(PermissionDenied):
        grid_unlock(grid=firm.grid, by=other_referent, reason="x")
    assert DirektThrottle.objects.get(grid=firm.grid).is_locked


def test_partner_manager_group_exists():
    assert Group.objects.filter(name="partner_manager").exists()
