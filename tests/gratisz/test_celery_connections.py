"""A Celery worker keeps its database connections from task to task, as a web worker does from
request to request, and replaces one that broke before the next task. (Celery's Django fixup
closed the process's whole connection pool around every task: two new PostgreSQL backends a
task.) A real worker with the production pool (prefork) on PostgreSQL and Redis."""

import uuid

import pytest
from django.db import connection

from certificates.tasks import sweep_deliveries
from tests.celery_worker import wait_for, worker_running

pytestmark = pytest.mark.django_db(transaction=True)


def _backends(worker) -> set[int]:
    """The worker's PostgreSQL backends, by the name its connections give (``PGAPPNAME``)."""
    name = worker.env["PGAPPNAME"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name])
        return {pid for (pid,) in cursor.fetchall()}


def _run_tasks(worker, n: int) -> None:
    """Send ``n`` tasks that read the database and wait until the worker has run them all."""
    done = worker.log.read_text().count("succeeded in")
    for _ in range(n):
        sweep_deliveries.delay()
    wait_for(
        lambda: worker.log.read_text().count("succeeded in") >= done + n,
        what=f"{n} tasks to succeed",
    )


@pytest.fixture
def worker(tmp_path):
    with worker_running(
        tmp_path / "worker.log",
        "--pool=prefork",
        "--concurrency=1",
        PGAPPNAME=f"gratisz-test-{uuid.uuid4().hex[:8]}",  # libpq names its connections so
        DATABASE_POOL_MIN_SIZE="1",
    ) as running:
        yield running


def test_a_workers_tasks_keep_its_database_connections(worker):
    _run_tasks(worker, 1)
    first = _backends(worker)  # the task's process's, and its parent's since it started
    assert first
    _run_tasks(worker, 6)
    assert _backends(worker) == first
    assert "raised" not in worker.log.read_text()


def test_a_broken_connection_is_replaced_before_the_next_task(worker):
    _run_tasks(worker, 1)
    broken = _backends(worker)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid", [[*broken]])
    wait_for(lambda: not broken & _backends(worker), what="the backends to end")
    _run_tasks(worker, 2)
    assert "raised" not in worker.log.read_text()
    assert _backends(worker)  # new ones
