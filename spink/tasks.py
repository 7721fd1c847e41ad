from __future__ import annotations

from typing import Any

import kombu.exceptions
from celery import shared_task
from django import db
from django.conf import settings

# A database that is away (restarting, failing over, connections full) answers these; the
# task is tried again rather than dropped.
DATABASE_ERRORS: tuple[type[Exception], ...] = (db.OperationalError, db.InterfaceError)
# The broker going away while a task publishes (a retry, a follow-up task).
BROKER_ERRORS: tuple[type[Exception], ...] = (kombu.exceptions.OperationalError,)
# OSError: the mail server or a network that is down for a moment.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OSError, *DATABASE_ERRORS, *BROKER_ERRORS)

# For idempotent tasks: back off exponentially (randomised, so that tasks failing together do
# not come back together) up to settings.TASK_RETRY_WAIT_MAX between tries, which covers an
# outage of about an hour.
RETRY_ON_TRANSIENT_ERRORS: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": settings.TASK_RETRY_WAIT_MAX,
    "retry_jitter": True,
    "max_retries": 24,
}


@shared_task(name="spink.ping")
def ping(token: str) -> str:
    """A round trip through broker and worker; /healthz and the tests use it."""
    return f"pong:{token}"
