"""check --deploy refuses every secret that is published with the demo."""

from tests.gratisz.test_settings import PRODUCTION, manage


def test_check_deploy_refuses_the_demo_secret_key():
    from gratisz.settings import DEMO_SECRET_KEY

    result = manage("check", "--deploy", **{**PRODUCTION, "DJANGO_SECRET_KEY": DEMO_SECRET_KEY})
    assert result.returncode != 0
    assert "gratisz.E006" in result.stderr


def test_check_deploy_refuses_the_default_secret_key_when_none_is_set():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "gratisz.E006" in result.stderr


def test_check_deploy_accepts_a_real_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gratisz.E006" not in result.stdout + result.stderr
