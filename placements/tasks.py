"""Notifications about placement requests. E-mails carry the reference and a link only:
never a name, identity number or address, whether or not the identity is protected."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from placements.models import Recommendation
from spink.tasks import RETRY_ON_TRANSIENT_ERRORS


@shared_task(name="placements.notify_recommendation", **RETRY_ON_TRANSIENT_ERRORS)
def notify_recommendation(recommendation_id: int) -> bool:
    """Tell the social worker a recommendation arrived. Idempotent: sends at most once (the
    outbox may deliver the task twice; the row lock and notified_at make the second a no-op).
    Tried again while the mail server or the database is away."""
    with transaction.atomic():
        recommendation = (
            Recommendation.objects.select_for_update(of=("self",))
            .select_related("request__social_worker")
            .filter(pk=recommendation_id)
            .first()
        )
        if recommendation is None or recommendation.notified_at is not None:
            return False
        request = recommendation.request
        worker = request.social_worker
        if not worker.email:
            return False
        with translation.override("sv"):
            subject = _("Spink: new recommendation for %(reference)s") % {
                "reference": request.reference
            }
            body = _(
                "A placement officer has sent a recommendation for placement request "
                "%(reference)s.\n\nOpen the request in Spink to see it and report your "
                "choice:\n%(url)s\n"
            ) % {
                "reference": request.reference,
                "url": settings.SITE_URL + reverse("placements:request-detail", args=[request.pk]),
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [worker.email])
        recommendation.notified_at = timezone.now()
        recommendation.save(update_fields=["notified_at"])
    return True
