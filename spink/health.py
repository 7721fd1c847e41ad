"""/healthz: is the database reachable, and the broker? 503 when either is not."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from spink.unavailable import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # any failure means "not healthy"; the reason goes to the log
        # The error's class only: an outage is expected, not a bug, so no traceback (as in
        # spink/unavailable.py), and a message text could carry connection details.
        logger.warning("health: database check failed (%s)", type(exc).__name__)
        return False


def broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:
        logger.warning("health: broker check failed (%s)", type(exc).__name__)
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: "ok" if ok else "down" for name, ok in checks.items()},
    }
    response = JsonResponse(body, status=200 if healthy else 503)
    if not healthy:
        # The same hint as every other 503 of an outage (spink/unavailable.py).
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        # The failed check is logged above as a WARNING; no ERROR line per probe as well.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response
