"""The authentication backend gives every user the permissions Django's ModelBackend gives, in
one query a request, and a role taken away holds from the next request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gratisz.backends import OneQueryModelBackend
from gratisz.models import User
from gratisz.roles import Role

pytestmark = pytest.mark.django_db


def test_every_user_has_the_permissions_djangos_backend_gives(make_user):
    users = [make_user(role) for role in Role]
    own = make_user(Role.AGENT)
    own.user_permissions.add(Permission.objects.get(codename="view_contract"))
    users += [own, make_user(), User.objects.create_superuser("root", password="x" * 20)]
    idle = make_user(Role.SUPERVISOR)
    idle.is_active = False
    idle.save()
    users.append(idle)
    for user in users:
        fresh, again = User.objects.get(pk=user.pk), User.objects.get(pk=user.pk)
        expected = ModelBackend().get_all_permissions(fresh)
        assert OneQueryModelBackend().get_all_permissions(again) == expected, user.username
    assert "partners.view_contract" in OneQueryModelBackend().get_all_permissions(own)
    assert OneQueryModelBackend().get_all_permissions(User.objects.get(pk=idle.pk)) == set()


def test_a_page_reads_the_users_permissions_once(agent, login, client):
    login(agent)
    client.get(reverse("desk:home"))
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("desk:home")).status_code == 200
    assert sum("auth_permission" in q["sql"] for q in page.captured_queries) == 1


def test_a_role_taken_away_holds_from_the_next_request(agent, login, client):
    login(agent)
    assert client.get(reverse("desk:home")).status_code == 200
    agent.groups.clear()
    assert client.get(reverse("desk:home")).status_code == 403
