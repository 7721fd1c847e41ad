"""Notification jobs: thin Celery tasks over notifications.services.

`send_email` takes the id of one notification (queued through spink.outbox when it is made);
the reminders take nothing and are run by celery beat (migration 0002), each idempotent: a
second run the same day makes no new notification and sends no new mail.
"""

from __future__ import annotations

from celery import shared_task

from notifications import services
from spink.tasks import RETRY_ON_TRANSIENT_ERRORS


@shared_task(name=services.SEND_EMAIL_TASK, **RETRY_ON_TRANSIENT_ERRORS)
def send_email(notification_id: int) -> bool:
    return services.send_email(notification=notification_id)


@shared_task(name="notifications.remind_choice_waiting", **RETRY_ON_TRANSIENT_ERRORS)
def remind_choice_waiting() -> int:
    return services.remind_choice_waiting()


@shared_task(name="notifications.remind_start_soon", **RETRY_ON_TRANSIENT_ERRORS)
def remind_start_soon() -> int:
    return services.remind_start_soon()


@shared_task(name="notifications.remind_stale_drafts", **RETRY_ON_TRANSIENT_ERRORS)
def remind_stale_drafts() -> int:
    return services.remind_stale_drafts()
