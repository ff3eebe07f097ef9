import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from gratisz.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db


def test_every_role_group_exists_with_its_permissions():
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        if role == Role.ADMINISTRATOR:
            assert have == {
                f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()
            }
        else:
            assert have == set(names)


@pytest.mark.parametrize(
    ("role", "perm", "expected"),
    [
        (Role.AGENT, "gratisz.use_desk", True),
        (Role.AGENT, "gratisz.review_calls", False),
        (Role.AGENT, "partners.view_contract", False),
        (Role.SUPERVISOR, "gratisz.review_calls", True),
        (Role.SUPERVISOR, "partners.change_contract", False),
        (Role.REFERENT, "gratisz.care_for_partners", True),
        (Role.REFERENT, "gratisz.use_desk", False),
        (Role.PARTNER_MANAGER, "gratisz.manage_own_firm", True),
        (Role.PARTNER_MANAGER, "gratisz.use_desk", False),
        (Role.PARTNER_MANAGER, "partners.view_partnerfirm", False),
    ],
)
def test_role_permissions(make_user, role, perm, expected):
    assert make_user(role).has_perm(perm) is expected


def test_admin_is_closed_to_agents_and_partner_managers(client, login, make_user):
    for role in (Role.AGENT, Role.PARTNER_MANAGER):
        client.logout()
        login(make_user(role))
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_admin_needs_the_second_factor(client, supervisor):
    from tests.conftest import PASSWORD

    client.post(reverse("login"), {"username": supervisor.username, "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))


def test_supervisor_sees_the_portfolio_read_only_in_the_admin(client, login, supervisor):
    from tests.factories import ContractFactory

    contract = ContractFactory()
    login(supervisor)
    assert client.get(reverse("admin:partners_contract_changelist")).status_code == 200
    page = client.get(reverse("admin:partners_contract_change", args=[contract.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:partners_contract_add")).status_code == 403
    response = client.post(
        reverse("admin:partners_contract_delete", args=[contract.pk]), {"post": "yes"}
    )
    assert response.status_code == 403


def test_referent_cannot_open_the_portfolio_in_the_admin(client, login, referent):
    login(referent)
    assert client.get(reverse("admin:partners_contract_changelist")).status_code == 403
    assert client.get(reverse("admin:partners_partnerfirm_changelist")).status_code == 200


def test_partner_managers_land_on_the_portal_and_staff_on_home(client, login, make_user):
    login(make_user(Role.PARTNER_MANAGER))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("partner-portal:home")
    client.logout()
    login(make_user(Role.AGENT))
    page = client.get(reverse("home")).content.decode()
    assert reverse("desk:home") in page
    assert reverse("review:board") not in page


def test_audit_and_invitations_are_read_only_in_the_admin_without_the_token(
    client, login, administrator
):
    login(administrator)
    assert client.get(reverse("admin:partners_firmauditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:partners_firmauditentry_add")).status_code == 403
    page = client.get(reverse("admin:partners_managerinvitation_changelist"))
    assert page.status_code == 200
    assert "token" not in page.content.decode().lower().replace("csrfmiddlewaretoken", "")
