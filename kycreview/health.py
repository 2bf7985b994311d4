"""GET /health: each dependency's state; 503 when one the service needs is down.

`database` always; `cache` when it is shared (Redis); `broker` when tasks go through one
(not when they run eagerly). The answer names states only, never addresses or errors: the
endpoint is public for load balancers. Details go to the log.
"""

import logging

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from kycreview.celery import app as celery_app

logger = logging.getLogger(__name__)

OK, DOWN = "ok", "down"


def health_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health: database down (%s: %s)", type(exc).__name__, exc)
        return DOWN
    return OK


def health_cache() -> str | None:
    if isinstance(caches["default"], LocMemCache | DummyCache):  # in-process: nothing to reach
        return None
    try:
        cache.set("kyc:health", 1, timeout=10)
        if cache.get("kyc:health") != 1:
            raise RuntimeError("a value written was not read back")
    except Exception as exc:  # any backend's connection fault
        logger.warning("Health: cache down (%s: %s)", type(exc).__name__, exc)
        return DOWN
    return OK


def health_broker() -> str | None:
    if celery_app.conf.task_always_eager:
        return None
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                 timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
    except Exception as exc:  # kombu's and the transport's connection faults
        logger.warning("Health: broker down (%s: %s)", type(exc).__name__, exc)
        return DOWN
    return OK


@never_cache
@transaction.non_atomic_requests  # ATOMIC_REQUESTS would need the database before this view runs
def health(request):
    checks = {"database": health_database(), "cache": health_cache(), "broker": health_broker()}
    checks = {name: state for name, state in checks.items() if state is not None}
    down = [name for name, state in checks.items() if state == DOWN]
    return JsonResponse({"status": "unavailable" if down else "ok", "checks": checks}, status=503 if down else 200)
