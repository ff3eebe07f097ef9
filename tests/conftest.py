"""Shared fixtures: users per role, logged in through the real password + TOTP flow."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gratisz.models import User
from gratisz.roles import STAFF_ROLES, Role

PASSWORD = "correct-horse-battery"


def current_token(device: TOTPDevice) -> str:
    """Compute the code an authenticator app would show now for ``device``."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def make_user(db):
    def make(role: str | None = None, username: str | None = None, enrolled: bool = True) -> User:
        username = username or f"{role or 'nobody'}-{User.objects.count() + 1}"
        user = User.objects.create_user(
            username=username, password=PASSWORD, is_staff=role in STAFF_ROLES
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        if enrolled:
            TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


@pytest.fixture
def login(client):
    """Log ``user`` in through the login page and the TOTP step, as a person would."""

    def do_login(user: User, the_client=None):
        c = the_client or client
        response = c.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        response = c.post(reverse("otp-verify"), {"token": current_token(device)})
        assert response.status_code == 302, response.content
        return c

    return do_login


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT)


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def referent(make_user):
    return make_user(Role.REFERENT)


@pytest.fixture
def administrator(make_user):
    return make_user(Role.ADMINISTRATOR)
