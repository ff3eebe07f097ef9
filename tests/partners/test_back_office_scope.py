"""The back office respects a referent's firms.

A referent reads their own firms in the admin and writes nothing there; they write in the
portal's referent pages, scoped to their firms. An administrator writes in the admin, through
the same audited services (audit entry with who, when, address and reason; the firm's managers
and referent e-mailed). Every write path is tried by a referent of firm A on firm B, by a
referent with no firms, and by the right person.
"""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from gratisz.celery import app as celery_app
from partners import services
from partners.models import DirektThrottle, FirmAuditEntry, PartnerFirm, PartnerManager
from partners.verification import direkt_verify
from tests.factories import PartnerFirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DIREKT_THROTTLE_FACTOR = 0
    settings.DIREKT_FAILURES_PER_NUMBER_PER_DAY = 100
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def _with_email(user, address):
    user.email = address
    user.save()
    return user


@pytest.fixture
def world(make_user):
    """Firms A and B, each with its referent and a leader; a referent with no firms; an
    administrator; a partner manager of A with no firm B (the attacker's accomplice)."""
    w = {"nobody": make_user("referent", username="referens-nincs-cege")}
    for key, grid in (("a", "111111119"), ("b", "222222229")):
        referent = _with_email(
            make_user("referent", username=f"referens-{key}"), f"referens-{key}@bizt.example.hu"
        )
        firm = PartnerFirmFactory(
            grid=grid, referent=referent, name=f"{key.upper()} Alkusz Kft.", email=f"{key}@x.hu"
        )
        leader = _with_email(
            make_user("partner_manager", username=f"vezeto-{key}"), f"vezeto-{key}@alkusz.hu"
        )
        PartnerManager.objects.create(firm=firm, user=leader, is_leader=True)
        w[key] = {"firm": firm, "referent": referent, "leader": leader}
    w["admin"] = make_user("administrator", username="rendszergazda")
    return w


@pytest.fixture
def as_user(login):
    return lambda user: login(user, Client())


def _b_untouched(world):
    b = PartnerFirm.objects.get(pk=world["b"]["firm"].pk)
    assert (b.email, b.status, b.referent_id) == ("b@x.hu", "active", world["b"]["referent"].pk)
    assert not PartnerManager.objects.filter(firm=b, user=world["a"]["leader"]).exists()
    assert PartnerManager.objects.get(user=world["b"]["leader"]).revoked_at is None
    assert not FirmAuditEntry.objects.filter(firm=b).exists()


def _firm_form(firm, **changes):
    """The admin's change form of ``firm`` as it is shown, with ``changes`` typed in."""
    data = {
        field: getattr(firm, field)
        for field in ("name", "kind", "mnb_register_number", "status", "email", "fax")
        + ("postal_code", "city", "address_line")
    }
    data.update(
        referent=firm.referent_id,
        reason="x",
        **{"managers-TOTAL_FORMS": "0", "managers-INITIAL_FORMS": "0"},
        **{"direkt_codes-TOTAL_FORMS": "0", "direkt_codes-INITIAL_FORMS": "0"},
    )
    data.update(changes)
    return data


def _admin_writes(world):
    """Every write the admin has on firms, managers and locks, aimed at firm B."""
    b = world["b"]["firm"]
    b_leader = PartnerManager.objects.get(user=world["b"]["leader"])
    throttle = DirektThrottle.objects.get_or_create(grid=b.grid)[0]
    return [
        (
            reverse("admin:partners_partnerfirm_change", args=[b.pk]),
            _firm_form(
                b, status="suspended", referent=world["a"]["referent"].pk, email="tamado@x.hu"
            ),
        ),
        (
            reverse("admin:partners_partnermanager_add"),
            {"firm": b.pk, "user": world["a"]["leader"].pk, "is_leader": "on", "reason": "x"},
        ),
        (
            reverse("admin:partners_partnermanager_change", args=[b_leader.pk]),
            {"firm": b.pk, "user": b_leader.user_id, "revoked_at_0": "2026-01-01"},
        ),
        (
            reverse("admin:partners_partnermanager_delete", args=[b_leader.pk]),
            {"post": "yes"},
        ),
        (
            reverse("admin:partners_partnermanager_changelist"),
            {"action": "revoke", "_selected_action": [b_leader.pk], "reason": "x"},
        ),
        (
            reverse("admin:partners_partnerfirm_delete", args=[b.pk]),
            {"post": "yes"},
        ),
        (
            reverse("admin:partners_direktthrottle_changelist"),
            {"action": "unlock", "_selected_action": [throttle.pk], "reason": "x"},
        ),
    ]


@pytest.mark.parametrize("who", ["a", "nobody"])
def test_a_referent_changes_nothing_of_firm_b_in_the_admin(world, as_user, who):
    referent = world[who]["referent"] if who == "a" else world["nobody"]
    c = as_user(referent)
    for url, data in _admin_writes(world):
        response = c.post(url, data)
        assert response.status_code in (200, 302, 403, 404), url  # 200: action not offered
    _b_untouched(world)


@pytest.mark.parametrize("who", ["a", "nobody"])
def test_a_referent_sees_no_firm_but_their_own_in_the_admin(world, as_user, who):
    referent = world[who]["referent"] if who == "a" else world["nobody"]
    c = as_user(referent)
    b = world["b"]["firm"]
    listing = c.get(reverse("admin:partners_partnerfirm_changelist")).content.decode()
    assert b.name not in listing
    assert (world["a"]["firm"].name in listing) == (who == "a")
    managers = c.get(reverse("admin:partners_partnermanager_changelist")).content.decode()
    assert "vezeto-b" not in managers
    for url in (
        reverse("admin:partners_partnerfirm_change", args=[b.pk]),
        reverse("admin:partners_partnerfirm_history", args=[b.pk]),
        reverse(
            "admin:partners_partnermanager_change",
            args=[PartnerManager.objects.get(user=world["b"]["leader"]).pk],
        ),
    ):
        response = c.get(url)
        # The admin answers an object outside the queryset by going back to the index.
        assert response.status_code == 302, url
        assert b.name not in c.get(response["Location"]).content.decode()
    # Autocomplete (the firm field of the manager form) lists only their own firms.
    found = c.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "partners",
            "model_name": "partnermanager",
            "field_name": "firm",
            "term": "Alkusz",
        },
    )
    assert b.name not in found.content.decode()
    assert c.get(reverse("admin:partners_partnermanager_add")).status_code == 403


def test_the_referent_reads_their_firm_in_the_admin_without_a_save_button(world, as_user):
    c = as_user(world["a"]["referent"])
    page = c.get(reverse("admin:partners_partnerfirm_change", args=[world["a"]["firm"].pk]))
    assert page.status_code == 200
    assert "vezeto-a" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    response = c.post(
        reverse("admin:partners_partnerfirm_change", args=[world["a"]["firm"].pk]),
        {"email": "uj@a.hu", "reason": "x"},
    )
    assert response.status_code == 403
    assert PartnerFirm.objects.get(pk=world["a"]["firm"].pk).email == "a@x.hu"


def _recipients():
    return sorted({address for m in mail.outbox for address in m.to})


def test_administrator_changes_a_firm_through_the_audited_service(
    world, as_user, django_capture_on_commit_callbacks
):
    c = as_user(world["admin"])
    b = world["b"]["firm"]
    data = _firm_form(b, email="tamado@x.hu", reason="A cég e-mail címe változott")
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            reverse("admin:partners_partnerfirm_change", args=[b.pk]),
            data,
            REMOTE_ADDR="10.1.2.3",
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    b.refresh_from_db()
    assert b.email == "tamado@x.hu"
    entry = FirmAuditEntry.objects.get(firm=b)
    assert entry.action == FirmAuditEntry.Action.FIRM_CHANGED
    assert (entry.by, entry.ip_address) == (world["admin"], "10.1.2.3")
    assert entry.detail == "A cég e-mail címe változott (email: b@x.hu → tamado@x.hu)"
    assert _recipients() == ["referens-b@bizt.example.hu", "vezeto-b@alkusz.hu"]


def test_administrator_grants_and_revokes_a_manager_with_audit_and_mail(
    world, as_user, django_capture_on_commit_callbacks
):
    c = as_user(world["admin"])
    b = world["b"]["firm"]
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            reverse("admin:partners_partnermanager_add"),
            {"firm": b.pk, "user": world["a"]["leader"].pk, "reason": "A két cég összeolvadt"},
        )
    assert response.status_code == 302
    granted = PartnerManager.objects.get(firm=b, user=world["a"]["leader"])
    assert granted.authorised_by == world["admin"]
    entry = FirmAuditEntry.objects.get(firm=b, action=FirmAuditEntry.Action.MANAGER_GRANTED)
    assert entry.by == world["admin"] and "A két cég összeolvadt" in entry.detail
    assert "referens-b@bizt.example.hu" in _recipients()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            reverse("admin:partners_partnermanager_changelist"),
            {"action": "revoke", "_selected_action": [granted.pk], "reason": "Tévedés volt"},
        )
    granted.refresh_from_db()
    assert granted.revoked_at is not None
    entry = FirmAuditEntry.objects.get(firm=b, action=FirmAuditEntry.Action.MANAGER_REVOKED)
    assert "Tévedés volt" in entry.detail
    assert _recipients() == ["referens-b@bizt.example.hu", "vezeto-b@alkusz.hu"]


def test_the_admin_grants_only_partner_manager_logins(world, as_user):
    c = as_user(world["admin"])
    response = c.post(
        reverse("admin:partners_partnermanager_add"),
        {"firm": world["b"]["firm"].pk, "user": world["a"]["referent"].pk, "reason": "x"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not PartnerManager.objects.filter(user=world["a"]["referent"]).exists()


def test_administrator_unlocks_in_the_admin_through_the_audited_service(
    world, as_user, django_capture_on_commit_callbacks, settings
):
    b = world["b"]["firm"]
    for _ in range(settings.DIREKT_LOCK_AFTER_FAILURES):
        direkt_verify(grid=b.grid, code="0000", calling_number="+3630")
    throttle = DirektThrottle.objects.get(grid=b.grid)
    assert throttle.is_locked
    mail.outbox.clear()
    c = as_user(world["admin"])
    url = reverse("admin:partners_direktthrottle_changelist")
    c.post(url, {"action": "unlock", "_selected_action": [throttle.pk], "reason": ""})
    throttle.refresh_from_db()
    assert throttle.is_locked  # no reason, no unlock
    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            url,
            {"action": "unlock", "_selected_action": [throttle.pk], "reason": "Jogos hívó"},
            REMOTE_ADDR="10.9.8.7",
        )
    throttle.refresh_from_db()
    assert not throttle.is_locked
    entry = FirmAuditEntry.objects.get(firm=b, action=FirmAuditEntry.Action.GRID_UNLOCKED)
    assert (entry.by, entry.detail, entry.ip_address) == (world["admin"], "Jogos hívó", "10.9.8.7")
    assert _recipients() == ["referens-b@bizt.example.hu", "vezeto-b@alkusz.hu"]


def test_the_referent_changes_their_firms_data_in_the_portal(
    world, as_user, django_capture_on_commit_callbacks
):
    a = world["a"]["firm"]
    c = as_user(world["a"]["referent"])
    assert (
        "firm-email"
        in c.get(reverse("partner-portal:referent-firm", args=[a.grid])).content.decode()
    )
    url = reverse("partner-portal:referent-firm-edit", args=[a.grid])
    assert c.post(url, {"firm-email": "uj@a.hu"}).status_code == 400  # no reason
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            url,
            {
                "firm-email": "uj@a.hu",
                "firm-fax": a.fax,
                "firm-postal_code": a.postal_code,
                "firm-city": a.city,
                "firm-address_line": a.address_line,
                "firm-reason": "A partner kérte telefonon",
            },
            REMOTE_ADDR="10.0.0.5",
        )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.email == "uj@a.hu"
    entry = FirmAuditEntry.objects.get(firm=a)
    assert entry.action == FirmAuditEntry.Action.FIRM_CHANGED
    assert (entry.by, entry.ip_address) == (world["a"]["referent"], "10.0.0.5")
    assert "a@x.hu → uj@a.hu" in entry.detail
    assert _recipients() == ["referens-a@bizt.example.hu", "vezeto-a@alkusz.hu"]


# --- the services check who may write, whatever the caller forgot ---------------------------


@pytest.mark.parametrize("who", ["a", "nobody"])
def test_every_service_refuses_a_referent_of_another_firm(world, who):
    referent = world[who]["referent"] if who == "a" else world["nobody"]
    b = world["b"]["firm"]
    b_leader = PartnerManager.objects.get(user=world["b"]["leader"])
    calls = [
        lambda: services.firm_update(firm=b, by=referent, reason="x", changes={"email": "t@x.hu"}),
        lambda: services.manager_grant(
            firm=b, user=world["a"]["leader"], is_leader=True, by=referent, reason="x"
        ),
        lambda: services.manager_invite(firm=b, email="t@x.hu", is_leader=True, by=referent),
        lambda: services.manager_revoke(manager=b_leader, by=referent, reason="x"),
        lambda: services.grid_unlock(grid=b.grid, by=referent, reason="x"),
        lambda: services.firm_reregistration_start(firm=b, by=referent, reason="x"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    _b_untouched(world)


def test_a_referent_changes_only_the_contact_data_of_their_own_firm(world):
    a = world["a"]["firm"]
    for field, value in (("status", "suspended"), ("referent", world["nobody"]), ("name", "X")):
        with pytest.raises(PermissionDenied):
            services.firm_update(
                firm=a, by=world["a"]["referent"], reason="x", changes={field: value}
            )
    a.refresh_from_db()
    assert (a.status, a.referent, a.name) == ("active", world["a"]["referent"], "A Alkusz Kft.")


def test_a_leader_invites_colleagues_but_not_leaders(world):
    a = world["a"]["firm"]
    with pytest.raises(PermissionDenied):
        services.manager_invite(firm=a, email="t@x.hu", is_leader=True, by=world["a"]["leader"])
    services.manager_invite(firm=a, email="t@x.hu", is_leader=False, by=world["a"]["leader"])
    assert Group.objects.filter(name="partner_manager").exists()
