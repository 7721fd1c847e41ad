"""Notifications about placement requests: thin Celery tasks over placements.services (ids in,
the service does the work)."""

from __future__ import annotations

from celery import shared_task

from placements import services
from spink.tasks import RETRY_ON_TRANSIENT_ERRORS


@shared_task(name="placements.notify_recommendation_set", **RETRY_ON_TRANSIENT_ERRORS)
def notify_recommendation_set(recommendation_set_id: int) -> bool:
    """Tell the social worker recommendations arrived (services.notify_recommendation_set:
    one e-mail per sending, at most once, reference and link only). Tried again while the
    mail server or the database is away."""
    return services.notify_recommendation_set(recommendation_set=recommendation_set_id)
