"""Health endpoints for load balancers and orchestrators: liveness and readiness."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Answer while the process serves requests at all (no dependency is checked)."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("health:probe", "1", timeout=10)
    if cache.get("health:probe") != "1":
        raise RuntimeError("cache did not return the probe")


def _check_broker() -> None:
    from gratisz.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Check the database, the cache and the Celery broker; 503 when any is down.

    The body names each dependency with ``ok`` or the error class (never a connection string).
    """
    report: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            report[name] = {"status": "ok"}
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            healthy = False
            report[name] = {"status": "error", "error": type(error).__name__}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable", "checks": report}
    if settings.DEBUG:
        body["debug"] = True
    return JsonResponse(body, status=200 if healthy else 503)
