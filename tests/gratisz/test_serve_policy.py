"""make serve runs the IVR's workers under the real-time policy where the system allows it,
and under the normal one where it does not, or when asked (``IVR_REALTIME=0``)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

IVR_SERVER = ".venv/bin/gunicorn gratisz.ivr_wsgi"


def _serve_commands(tmp_path: Path, chrt_exit: int, *variables: str) -> str:
    """What ``make serve`` would run, on a system whose ``chrt`` exits with ``chrt_exit``
    (1: the system refuses the real-time policy, as for a user without CAP_SYS_NICE)."""
    chrt = tmp_path / "chrt"
    chrt.write_text(f"#!/bin/sh\nexit {chrt_exit}\n")
    chrt.chmod(0o755)
    shown = subprocess.run(  # noqa: S603 (fixed command)
        ["make", "--dry-run", "serve", *variables],  # noqa: S607 (make from the PATH)
        cwd=settings.BASE_DIR,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout


def test_where_the_system_allows_it_the_ivr_runs_under_the_real_time_policy(tmp_path):
    commands = _serve_commands(tmp_path, 0)
    assert f"chrt --rr 10 {IVR_SERVER}" in commands
    assert "(real-time scheduling policy)" in commands
    # Only the IVR's: the pages stay below it.
    assert "nice -n 5 .venv/bin/gunicorn gratisz.wsgi" in commands
    assert commands.count("chrt") == 1


def test_where_the_system_refuses_it_the_ivr_still_starts_under_the_normal_policy(tmp_path):
    commands = _serve_commands(tmp_path, 1)
    assert "chrt --rr" not in commands
    assert any(line.strip().startswith(IVR_SERVER) for line in commands.splitlines())
    assert "(normal scheduling policy)" in commands


def test_it_can_be_turned_off(tmp_path):
    commands = _serve_commands(tmp_path, 0, "IVR_REALTIME=0")
    assert "chrt --rr" not in commands
    assert "(normal scheduling policy)" in commands
