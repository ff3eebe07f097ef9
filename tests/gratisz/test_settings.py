import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        # The browser tests allow async-unsafe calls in this process; a deployment never does.
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "kV9#pL2@xQ7!mN4&zR8*wT1^bY6(cF3)hJ5%dG0~sA-eU_oI+Lq8Zr3",
    "DIREKT_CODE_PEPPER": "p3pp3r-" * 8,
    "TELEPHONY_AUTH_TOKEN": "f" * 32,
    "TELEPHONY_ACCOUNT_SID": "AC" + "1" * 32,
    "TELEPHONY_SIP_DOMAIN": "gratisz.sip.twilio.com",
    "DJANGO_ALLOWED_HOSTS": "gratisz.example.hu",
    "GREEN_CARD_BUREAU": "Magyar Biztosítók Szövetsége (MABISZ), Budapest",
    "GREEN_CARD_INSURER_CODE": "123",
    "INSURER_TAX_NUMBER": "12345678-2-44",
    "INSURER_REGISTRATION_NUMBER": "01-10-123456",
}


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_the_demo_pepper():
    result = manage("check", "--deploy", **{**PRODUCTION, "DIREKT_CODE_PEPPER": ""})
    assert result.returncode != 0
    assert "gratisz.E003" in result.stderr


def test_check_deploy_refuses_the_green_card_and_insurer_placeholders():
    demo = {
        k: v
        for k, v in PRODUCTION.items()
        if k not in ("GREEN_CARD_INSURER_CODE", "INSURER_TAX_NUMBER")
    }
    result = manage("check", "--deploy", **demo)
    assert result.returncode != 0
    assert "GREEN_CARD_INSURER_CODE is the demo placeholder" in result.stderr
    assert "INSURER_TAX_NUMBER is the demo placeholder" in result.stderr
    assert "GREEN_CARD_BUREAU" not in result.stderr


@pytest.mark.django_db
def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_budapest_time_and_hungarian_by_default(settings):
    assert settings.TIME_ZONE == "Europe/Budapest"
    assert settings.LANGUAGE_CODE == "hu"
    assert [code for code, _name in settings.LANGUAGES] == ["hu", "en"]


def database_options(**env) -> str:
    """The default database's OPTIONS as the settings compute them from ``env``."""
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        **{"DATABASE_URL": "postgres://gratisz@db.invalid:5432/gratisz", **env},
    )
    assert result.returncode == 0 or env.get("DATABASE_POOL"), result.stderr
    return result.stdout + result.stderr


def test_postgresql_connections_come_from_a_pool_shared_by_the_web_workers():
    # make serve: 5 web workers share 60 connections; each process holds at most 12.
    options = database_options(WEB_CONCURRENCY="5", DATABASE_CONNECTIONS="60")
    assert "'pool': {'min_size': 2, 'max_size': 12, 'timeout': 10.0}" in options
    assert "'max_size': 4" in database_options(WEB_CONCURRENCY="5", DATABASE_POOL_MAX_SIZE="4")


def test_persistent_connections_instead_of_the_pool_only_when_asked():
    assert "pool" not in database_options(DATABASE_CONN_MAX_AGE="60")
    assert "pool" not in database_options(DATABASE_POOL="0")
    # Django allows no pool with persistent connections: refused at start, not at a query.
    refused = database_options(DATABASE_POOL="1", DATABASE_CONN_MAX_AGE="60")
    assert "DATABASE_POOL needs DATABASE_CONN_MAX_AGE=0" in refused
