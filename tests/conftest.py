"""Shared fixtures: users per role, logged in through the real password + TOTP flow, and the
browser (Playwright driving Debian's chromium) for the e2e tests, one for the whole session."""

import importlib
import itertools
import os
import re
import shutil

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db.models.signals import post_migrate
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gratisz.models import User
from gratisz.roles import STAFF_ROLES, Role

PASSWORD = "correct-horse-battery"
DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR)
_extensions = itertools.count(1)


def shows_code(code: str, text: str) -> bool:
    """Tell whether the Direkt code ``code`` stands in ``text`` as a word of its own. A random
    four-digit code can be a piece of a longer number or token (the GRID 111222333 holds 2233,
    a time, a CSRF token), which shows no code."""
    return re.search(rf"\b{re.escape(code)}\b", text) is not None


def subclasses(cls):
    """Every subclass of ``cls``, at any depth (of the classes imported so far)."""
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def current_token(device: TOTPDevice) -> str:
    """Compute the code an authenticator app would show now for ``device``."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(request):
    """Hash the tests' passwords with a fast hasher: Argon2 costs 100 MiB and about 100 ms for
    every test user and every login, minutes over the suite. Hashes made otherwise (the data
    migrations' users) still verify. ``@pytest.mark.production_hashers`` keeps the production
    list, for the test of the hashers themselves. (Not pytest-django's ``settings`` fixture:
    that would be torn down after the other autouse fixtures, with their settings changed.)"""
    if request.node.get_closest_marker("production_hashers") is not None:
        yield
        return
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *django_settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=fast):
        yield


@pytest.fixture
def make_user(db):
    def make(role: str | None = None, username: str | None = None, enrolled: bool = True) -> User:
        username = username or f"{role or 'nobody'}-{User.objects.count() + 1}"
        user = User.objects.create_user(
            username=username,
            password=PASSWORD,
            is_staff=role in STAFF_ROLES,
            # Desk users have a phone: a call from the queue is put through to it.
            extension=f"9{next(_extensions):04d}" if role in DESK_ROLES else "",
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


@pytest.fixture
def celery_eager():
    """Run Celery tasks in the caller, at once (the tests of a real worker start one)."""
    from gratisz.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


# --- browser tests -----------------------------------------------------------------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}: CI must run the browser tests")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while it lives; the tests still
    # touch the database synchronously (to set up data), which Django would otherwise refuse.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    # An English browser: the screens must still come in Hungarian.
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def browser_login(page):
    """Log ``user`` in through the real pages, typing the current TOTP code."""

    def do_login(user):
        page.goto("/")
        page.get_by_label("Felhasználónév").fill(user.username)
        page.get_by_label("Jelszó").fill(PASSWORD)
        page.get_by_role("button", name="Tovább").click()
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.get_by_label("Kód a hitelesítő alkalmazásból").fill(current_token(device))
        page.get_by_role("button", name="Bejelentkezés").click()
        return page

    return do_login


# --- the data migrations' rows, after a flush ---------------------------------------------------

_DATA_MIGRATIONS = [
    ("calls.migrations.0002_default_prompts_and_hours", "load"),
    ("calls.desk.migrations.0002_default_written_request_types", "add"),
    ("calls.review.migrations.0002_default_criteria", "add"),
    ("calls.migrations.0007_hungarian_prompt_wording", "reword"),
    ("calls.desk.migrations.0012_rules_written_request_channels", "change"),
    ("calls.review.migrations.0005_review_criteria_in_english", "add"),
    ("calls.review.migrations.0006_hungarian_criteria_wording", "reword"),
]


def _restore_migration_data(sender, **kwargs):
    """A transactional test ends with a flush, which empties the rows the data migrations wrote
    (prompts, opening hours, written-request types, quality criteria). Under pytest-xdist the
    next test in that database may be an ordinary one that needs them; the flush emits
    post_migrate, so put them back then (each loader is idempotent)."""
    for module, loader in _DATA_MIGRATIONS:
        getattr(importlib.import_module(module), loader)(django_apps, None)


post_migrate.connect(
    _restore_migration_data,
    sender=django_apps.get_app_config("review"),
    dispatch_uid="tests-restore-migration-data",
)


@pytest.fixture
def broker_down():
    """Point the Celery app at a port where no broker listens, for the duration of a block:
    publishing a task then fails as it does while Redis is down."""
    import contextlib
    import socket

    from gratisz.celery import app as celery_app

    @contextlib.contextmanager
    def down():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
        conf = celery_app.conf
        saved = (conf.broker_url, conf.broker_write_url, conf.task_always_eager)
        conf.broker_url = conf.broker_write_url = dead
        conf.task_always_eager = False
        celery_app._pool = celery_app.amqp._producer_pool = None
        try:
            yield
        finally:
            conf.broker_url, conf.broker_write_url, conf.task_always_eager = saved
            celery_app._pool = celery_app.amqp._producer_pool = None

    return down
