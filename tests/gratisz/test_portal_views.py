"""The portal's screens: who may open what, and what a manager or referent sees and does."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratisz.celery import app as celery_app
from partners.models import (
    DirektCode,
    DirektThrottle,
    FirmAuditEntry,
    ManagerInvitation,
    PartnerManager,
)
from partners.selectors import direkt_code_is_valid
from partners.services import firm_register, manager_invite
from partners.verification import direkt_verify
from tests.factories import PartnerFirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DIREKT_THROTTLE_FACTOR = 0
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def as_user(login):
    """Return a client of its own, logged in as ``user`` through password + TOTP."""
    return lambda user: login(user, Client())


def _manager(make_user, firm, name, *, leader):
    user = make_user("partner_manager", username=name)
    user.email = f"{name}@alkusz.example.hu"
    user.save()
    PartnerManager.objects.create(firm=firm, user=user, is_leader=leader)
    return user


@pytest.fixture
def world(make_user):
    """Two firms, each with its referent, leader and colleague."""
    w = {}
    for key, grid in (("a", "111111119"), ("b", "222222229")):
        referent = make_user("referent", username=f"referens-{key}")
        firm = PartnerFirmFactory(grid=grid, referent=referent, name=f"{key.upper()} Alkusz Kft.")
        w[key] = {
            "firm": firm,
            "referent": referent,
            "leader": _manager(make_user, firm, f"vezeto-{key}", leader=True),
            "colleague": _manager(make_user, firm, f"kollega-{key}", leader=False),
        }
    return w


def manager_urls(firm, manager_id):
    g = firm.grid
    return [
        ("get", reverse("partner-portal:firm", args=[g])),
        ("get", reverse("partner-portal:register", args=[g])),
        ("get", reverse("partner-portal:rotate", args=[g])),
        ("post", reverse("partner-portal:unlock", args=[g])),
        ("get", reverse("partner-portal:managers", args=[g])),
        ("post", reverse("partner-portal:managers", args=[g])),
        ("post", reverse("partner-portal:manager-revoke", args=[g, manager_id])),
    ]


def referent_urls(firm, manager_id):
    g = firm.grid
    return [
        ("get", reverse("partner-portal:referent-firm", args=[g])),
        ("post", reverse("partner-portal:referent-firm-edit", args=[g])),
        ("post", reverse("partner-portal:referent-invite", args=[g])),
        ("post", reverse("partner-portal:referent-unlock", args=[g])),
        ("post", reverse("partner-portal:referent-reregister", args=[g])),
        ("post", reverse("partner-portal:referent-manager-revoke", args=[g, manager_id])),
    ]


# --- scope and permissions --------------------------------------------------------------------


def test_manager_of_firm_a_gets_404_on_everything_of_firm_b(world, as_user):
    c = as_user(world["a"]["leader"])
    b = world["b"]
    b_manager = PartnerManager.objects.get(user=b["colleague"])
    for method, url in manager_urls(b["firm"], b_manager.pk):
        response = getattr(c, method)(url, {"email": "x@example.hu", "reason": "x"})
        assert response.status_code == 404, (method, url)
    # ... and nothing of firm B changed.
    assert not FirmAuditEntry.objects.filter(firm=b["firm"]).exists()
    assert PartnerManager.objects.get(pk=b_manager.pk).revoked_at is None


def test_manager_cannot_revoke_a_manager_of_another_firm_through_their_own_firm(world, as_user):
    c = as_user(world["a"]["leader"])
    b_manager = PartnerManager.objects.get(user=world["b"]["colleague"])
    url = reverse("partner-portal:manager-revoke", args=[world["a"]["firm"].grid, b_manager.pk])
    assert c.post(url).status_code == 404
    assert PartnerManager.objects.get(pk=b_manager.pk).revoked_at is None


def test_revoked_manager_gets_404_on_the_firm(world, as_user):
    row = PartnerManager.objects.get(user=world["a"]["colleague"])
    row.revoked_at = timezone.now()
    row.save()
    c = as_user(world["a"]["colleague"])
    for method, url in manager_urls(world["a"]["firm"], row.pk):
        assert getattr(c, method)(url).status_code == 404, url


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agent_and_supervisor_get_403_on_the_portal(world, as_user, make_user, role):
    c = as_user(make_user(role))
    firm = world["a"]["firm"]
    manager_id = PartnerManager.objects.get(user=world["a"]["colleague"]).pk
    urls = [
        ("get", reverse("partner-portal:home")),
        ("get", reverse("partner-portal:referent-home")),
    ]
    for method, url in urls + manager_urls(firm, manager_id) + referent_urls(firm, manager_id):
        assert getattr(c, method)(url).status_code == 403, url


def test_partner_manager_gets_403_on_the_referent_pages(world, as_user):
    c = as_user(world["a"]["leader"])
    firm = world["a"]["firm"]
    manager_id = PartnerManager.objects.get(user=world["a"]["colleague"]).pk
    assert c.get(reverse("partner-portal:referent-home")).status_code == 403
    for method, url in referent_urls(firm, manager_id):
        assert getattr(c, method)(url).status_code == 403, url


def test_referent_gets_404_on_a_firm_that_is_not_theirs(world, as_user):
    c = as_user(world["a"]["referent"])
    b = world["b"]
    manager_id = PartnerManager.objects.get(user=b["colleague"]).pk
    for method, url in referent_urls(b["firm"], manager_id):
        data = {"unlock-reason": "x", "reregister-reason": "x", "firm-reason": "x"}
        data["firm-email"] = "tamado@example.hu"
        response = getattr(c, method)(url, data)
        assert response.status_code == 404, url
    assert not FirmAuditEntry.objects.filter(firm=b["firm"]).exists()
    b["firm"].refresh_from_db()
    assert b["firm"].email != "tamado@example.hu"


def test_referent_is_no_manager_of_their_firms(world, as_user):
    c = as_user(world["a"]["referent"])
    assert c.get(reverse("partner-portal:firm", args=[world["a"]["firm"].grid])).status_code == 403


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("partner-portal:firm", args=[world["a"]["firm"].grid]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- invitation -------------------------------------------------------------------------------


def test_invitation_link_lets_the_person_choose_a_login_once(world, client):
    firm = world["a"]["firm"]
    _inv, token = manager_invite(
        firm=firm, email="uj@alkusz.example.hu", is_leader=True, by=world["a"]["referent"]
    )
    url = reverse("partner-portal:invitation", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert firm.name in page.content.decode()
    data = {
        "username": "uj-vezeto",
        "password1": "Hosszu-jelszo-42",
        "password2": "Hosszu-jelszo-42",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert PartnerManager.objects.filter(firm=firm, user__username="uj-vezeto").exists()
    # The link is used up.
    assert client.get(url).status_code == 404
    assert client.post(url, {**data, "username": "masodik"}).status_code == 404
    # The first login asks to enrol an authenticator.
    login = client.post(reverse("login"), {"username": "uj-vezeto", "password": "Hosszu-jelszo-42"})
    assert login["Location"].startswith(reverse("otp-enrol"))


def test_invitation_refuses_a_weak_password_or_a_taken_username(world, client):
    _inv, token = manager_invite(
        firm=world["a"]["firm"],
        email="uj@alkusz.example.hu",
        is_leader=False,
        by=world["a"]["referent"],
    )
    url = reverse("partner-portal:invitation", args=[token])
    weak = client.post(url, {"username": "uj", "password1": "12345", "password2": "12345"})
    assert weak.status_code == 200 and weak.context["form"].errors["password1"]
    taken = client.post(
        url,
        {"username": "vezeto-b", "password1": "Hosszu-jelszo-42", "password2": "Hosszu-jelszo-42"},
    )
    assert taken.context["form"].errors["username"]
    assert not ManagerInvitation.objects.get().accepted_at


def test_expired_invitation_link_is_refused(world, client):
    inv, token = manager_invite(
        firm=world["a"]["firm"],
        email="uj@alkusz.example.hu",
        is_leader=False,
        by=world["a"]["referent"],
    )
    ManagerInvitation.objects.filter(pk=inv.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.get(reverse("partner-portal:invitation", args=[token]))
    assert response.status_code == 404


# --- registration and rotation ----------------------------------------------------------------


def test_registration_needs_the_terms_then_shows_the_codes_once(
    world, as_user, django_capture_on_commit_callbacks
):
    a = world["a"]
    c = as_user(a["leader"])
    url = reverse("partner-portal:register", args=[a["firm"].grid])
    refused = c.post(url, {"mode": "random"})
    assert refused.status_code == 200 and refused.context["form"].errors["terms"]
    assert not DirektCode.objects.filter(firm=a["firm"]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        shown = c.post(url, {"terms": "on", "mode": "random"})
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    codes = dict(shown.context["codes"])
    assert direkt_code_is_valid(firm=a["firm"], role="staff", code=codes["staff"])
    assert codes["staff"] in shown.content.decode()
    assert {m.to[0] for m in mail.outbox} == {
        "vezeto-a@alkusz.example.hu",
        "kollega-a@alkusz.example.hu",
    }
    # Never again: not on the firm's page, not by registering again.
    firm_page = c.get(reverse("partner-portal:firm", args=[a["firm"].grid])).content.decode()
    assert not _shows(codes["staff"], firm_page) and not _shows(codes["manager"], firm_page)
    again = c.post(url, {"terms": "on", "mode": "random"})
    assert again.status_code == 302
    assert not _shows(codes["staff"], c.get(again["Location"]).content.decode())


def _shows(code: str, html: str) -> bool:
    """Whether the page shows ``code`` as a number of its own (not four digits that happen to
    sit inside the CSRF token or an asset's hash)."""
    return re.search(rf"(?<![\w]){code}(?![\w])", html) is not None


def test_registration_with_own_codes_shows_policy_errors_on_the_fields(world, as_user):
    a = world["a"]
    c = as_user(a["leader"])
    url = reverse("partner-portal:register", args=[a["firm"].grid])
    response = c.post(
        url, {"terms": "on", "mode": "own", "staff_code": "1234", "manager_code": "1234"}
    )
    errors = response.context["form"].errors
    assert "staff_code" in errors
    assert not DirektCode.objects.filter(firm=a["firm"]).exists()
    response = c.post(
        url, {"terms": "on", "mode": "own", "staff_code": "3907", "manager_code": "3907"}
    )
    assert "manager_code" in response.context["form"].errors
    response = c.post(
        url, {"terms": "on", "mode": "own", "staff_code": "3907", "manager_code": "5816"}
    )
    assert dict(response.context["codes"]) == {"staff": "3907", "manager": "5816"}


def test_colleague_rotates_the_staff_code_and_every_manager_is_told(
    world, as_user, django_capture_on_commit_callbacks
):
    a = world["a"]
    old = firm_register(firm=a["firm"], by=a["leader"], terms_accepted=True)
    c = as_user(a["colleague"])
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            reverse("partner-portal:rotate", args=[a["firm"].grid]),
            {"which": "staff", "mode": "random"},
            REMOTE_ADDR="203.0.113.9",
        )
    new = dict(response.context["codes"])
    assert list(new) == ["staff"]
    assert direkt_verify(grid=a["firm"].grid, code=new["staff"], calling_number="+3611").ok
    assert not direkt_verify(grid=a["firm"].grid, code=old["staff"], calling_number="+3611").ok
    assert {m.to[0] for m in mail.outbox} == {
        "vezeto-a@alkusz.example.hu",
        "kollega-a@alkusz.example.hu",
    }
    assert "203.0.113.9" in mail.outbox[0].body
    history = c.get(reverse("partner-portal:firm", args=[a["firm"].grid])).content.decode()
    assert "203.0.113.9" in history  # the audit on the firm's page


def test_rotation_before_registration_leads_to_registration(world, as_user):
    a = world["a"]
    c = as_user(a["leader"])
    response = c.get(reverse("partner-portal:rotate", args=[a["firm"].grid]))
    assert response["Location"] == reverse("partner-portal:register", args=[a["firm"].grid])


# --- lock -------------------------------------------------------------------------------------


def _lock(firm, settings):
    for _ in range(settings.DIREKT_LOCK_AFTER_FAILURES):
        direkt_verify(grid=firm.grid, code="9999", calling_number="+36301112233")


def test_manager_sees_the_lock_and_unlocks_it(world, as_user, settings):
    a = world["a"]
    codes = firm_register(firm=a["firm"], by=a["leader"], terms_accepted=True)
    _lock(a["firm"], settings)
    c = as_user(a["colleague"])
    page = c.get(reverse("partner-portal:firm", args=[a["firm"].grid])).content.decode()
    assert "Unlock now" in page or "Azonnali feloldás" in page
    response = c.post(reverse("partner-portal:unlock", args=[a["firm"].grid]))
    assert response.status_code == 302
    assert not DirektThrottle.objects.get(grid=a["firm"].grid).is_locked
    assert direkt_verify(grid=a["firm"].grid, code=codes["staff"], calling_number="+3611").ok


def test_referent_unlocks_only_with_a_reason(world, as_user, settings):
    a = world["a"]
    firm_register(firm=a["firm"], by=a["leader"], terms_accepted=True)
    _lock(a["firm"], settings)
    c = as_user(a["referent"])
    url = reverse("partner-portal:referent-unlock", args=[a["firm"].grid])
    assert c.post(url, {"unlock-reason": ""}).status_code == 400
    assert DirektThrottle.objects.get(grid=a["firm"].grid).is_locked
    assert c.post(url, {"unlock-reason": "Telefonon egyeztetve a vezetővel"}).status_code == 302
    assert not DirektThrottle.objects.get(grid=a["firm"].grid).is_locked
    assert FirmAuditEntry.objects.get(action="grid_unlocked").detail == (
        "Telefonon egyeztetve a vezetővel"
    )


# --- managers ---------------------------------------------------------------------------------


def test_leader_authorises_and_revokes_a_colleague(
    world, as_user, django_capture_on_commit_callbacks
):
    a = world["a"]
    c = as_user(a["leader"])
    url = reverse("partner-portal:managers", args=[a["firm"].grid])
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(url, {"email": "harmadik@alkusz.example.hu"}).status_code == 302
    assert mail.outbox[-1].to == ["harmadik@alkusz.example.hu"]
    assert not ManagerInvitation.objects.get().is_leader
    colleague = PartnerManager.objects.get(user=a["colleague"])
    revoke = reverse("partner-portal:manager-revoke", args=[a["firm"].grid, colleague.pk])
    assert c.post(revoke).status_code == 302
    colleague.refresh_from_db()
    assert colleague.revoked_at is not None


def test_a_colleague_who_is_not_leader_cannot_authorise_or_revoke(world, as_user):
    a = world["a"]
    c = as_user(a["colleague"])
    url = reverse("partner-portal:managers", args=[a["firm"].grid])
    assert c.get(url).status_code == 200
    assert c.post(url, {"email": "harmadik@alkusz.example.hu"}).status_code == 403
    leader = PartnerManager.objects.get(user=a["leader"])
    revoke = reverse("partner-portal:manager-revoke", args=[a["firm"].grid, leader.pk])
    assert c.post(revoke).status_code == 403
    assert not ManagerInvitation.objects.exists()
    assert PartnerManager.objects.get(pk=leader.pk).revoked_at is None


# --- referents --------------------------------------------------------------------------------


def test_referent_sees_only_their_partners_with_state(
    world, as_user, settings, django_assert_max_num_queries
):
    a = world["a"]
    firm_register(firm=a["firm"], by=a["leader"], terms_accepted=True)
    _lock(a["firm"], settings)
    for n in range(5):
        PartnerFirmFactory(referent=a["referent"], name=f"Z{n} Kft.")
    c = as_user(a["referent"])
    with django_assert_max_num_queries(12):
        response = c.get(reverse("partner-portal:referent-home"))
    rows = response.context["rows"]
    assert {r["firm"].grid for r in rows} >= {a["firm"].grid}
    assert world["b"]["firm"].grid not in {r["firm"].grid for r in rows}
    row = next(r for r in rows if r["firm"] == a["firm"])
    assert row["throttle"].is_locked
    assert row["firm"].registered_at is not None
    assert {m.user.username for m in row["firm"].active_managers} == {"vezeto-a", "kollega-a"}
    # The failure count leads to the list of the firm's failed verifications.
    failures = reverse("partner-portal:referent-failures", args=[a["firm"].grid])
    assert f'href="{failures}"' in response.content.decode()


def test_administrator_sees_every_partner(world, as_user, administrator):
    response = as_user(administrator).get(reverse("partner-portal:referent-home"))
    grids = {r["firm"].grid for r in response.context["rows"]}
    assert grids >= {world["a"]["firm"].grid, world["b"]["firm"].grid}


def test_referent_invites_a_leader_by_email(world, as_user, django_capture_on_commit_callbacks):
    a = world["a"]
    c = as_user(a["referent"])
    url = reverse("partner-portal:referent-invite", args=[a["firm"].grid])
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(url, {"email": "uj@alkusz.example.hu", "is_leader": "on"})
    assert response.status_code == 302
    assert ManagerInvitation.objects.get().is_leader
    assert "/partner/invitation/" in mail.outbox[-1].body


def test_referent_reregisters_a_firm_and_its_managers_register_again(
    world, as_user, django_capture_on_commit_callbacks
):
    a = world["a"]
    old = firm_register(firm=a["firm"], by=a["leader"], terms_accepted=True)
    c = as_user(a["referent"])
    url = reverse("partner-portal:referent-reregister", args=[a["firm"].grid])
    assert c.post(url, {"reregister-reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(url, {"reregister-reason": "A kód végleg elveszett"}).status_code == 302
    assert not direkt_verify(grid=a["firm"].grid, code=old["staff"], calling_number="+3611").ok
    assert {m.to[0] for m in mail.outbox} == {
        "vezeto-a@alkusz.example.hu",
        "kollega-a@alkusz.example.hu",
    }
    leader = as_user(a["leader"])
    page = leader.get(reverse("partner-portal:firm", args=[a["firm"].grid])).content.decode()
    assert reverse("partner-portal:register", args=[a["firm"].grid]) in page


def test_referent_revokes_a_manager(world, as_user):
    a = world["a"]
    leader = PartnerManager.objects.get(user=a["leader"])
    c = as_user(a["referent"])
    url = reverse("partner-portal:referent-manager-revoke", args=[a["firm"].grid, leader.pk])
    assert c.post(url, {"reason": "Kilépett a cégtől"}).status_code == 302
    leader.refresh_from_db()
    assert leader.revoked_at is not None
    entry = FirmAuditEntry.objects.get(action=FirmAuditEntry.Action.MANAGER_REVOKED)
    assert (entry.by, entry.detail) == (a["referent"], "vezeto-a: Kilépett a cégtől")
    assert (
        as_user(a["leader"]).get(reverse("partner-portal:firm", args=[a["firm"].grid])).status_code
        == 404
    )
