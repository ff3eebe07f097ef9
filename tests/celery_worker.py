"""A real ``celery worker`` subprocess for the tests that need one (PostgreSQL and Redis only:
the worker is another process and must see the test database and the test's broker)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.certificates.fakes import SMTPServer, free_port


def wait_for(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def skip_unless_real_services():
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, CELERY_BROKER_URL)")


def drop_queued_messages(*queues: str):
    """Empty these Celery queues and the unacked set in the broker (only those keys: the Redis
    database may be shared with the cache)."""
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*queues, "unacked", "unacked_index")


def queued(queue: str) -> int:
    """Return how many messages wait in this Celery queue on the broker."""
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue)


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker on the test database and the test's Redis databases."""
    db = connection.settings_dict
    return {
        # The worker is not a test process: without this it would move to another Redis
        # database under pytest-xdist (see settings.py) and never see the test's messages.
        **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "PUBLIC_BASE_URL": "https://gratisz.example.hu",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **extra,
    }


class Worker:
    """A `celery worker` subprocess (solo pool) that the test can start and SIGKILL."""

    def __init__(self, env: dict, log: Path, *options: str):
        self.env, self.log, self.options = env, log, options
        self.proc: subprocess.Popen | None = None

    def start(self):
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "gratisz",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                *self.options,
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: b"ready." in self.log.read_bytes()[offset:] or self.proc.poll() is not None,
            what="the worker to start",
        )
        assert self.proc.poll() is None, self.log.read_text()[-3000:]

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def worker_running(
    log: Path, *options: str, drop: tuple[str, ...] = ("celery",), **env: str
) -> Iterator[Worker]:
    """Run a real worker with ``env`` on top of the test's (PostgreSQL and Redis only: the test
    is skipped otherwise), on emptied queues ``drop``; stop it and empty them again after."""
    skip_unless_real_services()
    drop_queued_messages(*drop)
    worker = Worker(worker_env(**env), log, *options)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        drop_queued_messages(*drop)


@contextmanager
def mail_worker_running(
    log: Path, *options: str, drop: tuple[str, ...] = ("celery",), **env: str
) -> Iterator[tuple[Worker, SMTPServer]]:
    """``worker_running`` sending its e-mail to a real SMTP server (aiosmtpd) that starts
    down (``SMTPServer.start`` brings it up)."""
    skip_unless_real_services()
    smtp = SMTPServer(free_port())
    try:
        url = f"smtp://127.0.0.1:{smtp.port}"
        with worker_running(log, *options, drop=drop, EMAIL_URL=url, **env) as worker:
            yield worker, smtp
    finally:
        smtp.stop()
