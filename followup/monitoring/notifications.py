"""The e-mail to the quality & control team about an IVO permit revocation (the runner queues
it with the signal; followup.tasks.notify_quality_team sends it)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followup.models import Signal
from providers.models import PublicationStatus, UnitEvent
from spink.accounts.models import Role, User

logger = logging.getLogger(__name__)


def notify_quality_team(*, signal: Signal | int) -> bool:
    """One e-mail to every active member of the quality & control team about an IVO permit
    revocation. Idempotent: sends at most once per signal (the outbox may deliver the task
    twice). No person data: the signal is about a provider's permit. Returns whether it was
    sent."""
    signal_id = signal.pk if isinstance(signal, Model) else signal
    with transaction.atomic():
        locked = (
            Signal.objects.select_for_update(of=("self",))
            .select_related("unit", "provider")
            .filter(pk=signal_id)
            .first()
        )
        if locked is None or locked.notified_at is not None:
            return False
        recipients = sorted(
            set(
                User.objects.filter(is_active=True, role=Role.QUALITY_CONTROL)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
        if not recipients:
            logger.warning("signal %s: no quality & control team member to notify", locked.pk)
            return False
        paused = UnitEvent.objects.filter(
            source=f"signal:{locked.pk}", to_status=PublicationStatus.PAUSED
        ).exists()
        with translation.override("sv"):
            subject = _("Spink: IVO permit revoked – %(title)s") % {"title": locked.title}
            if paused:
                assert locked.unit is not None  # what was paused is the signal's unit
                action = _("The unit %(unit)s has been paused automatically.") % {
                    "unit": locked.unit.name
                }
            else:
                action = _("No unit was paused: check the register.")
            body = _(
                "Basic monitoring found an IVO permit revocation.\n\n%(title)s\n%(action)s\n\n"
                "Open the signal in Spink:\n%(url)s\n"
            ) % {
                "title": locked.title,
                "action": action,
                "url": settings.SITE_URL + reverse("monitoring:signal-detail", args=[locked.pk]),
            }
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
        locked.notified_at = timezone.now()
        locked.save(update_fields=["notified_at"])
    logger.info("signal %s: quality & control team notified", signal_id)
    return True
