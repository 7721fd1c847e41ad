"""Follow-up jobs. Tasks take IDs and are idempotent: a repeated delivery changes nothing."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followup.models import Signal
from followup.monitoring import runner
from followup.monitoring.records import SourceError, SourceUnavailable
from providers.models import PublicationStatus, UnitEvent
from spink.accounts.models import Role, User

logger = logging.getLogger(__name__)


# --- Basic monitoring -----------------------------------------------------------------------------


@shared_task(bind=True, name="followup.run_monitoring_source", max_retries=runner.MAX_ATTEMPTS - 1)
def run_monitoring_source(
    self, source_id: int, run_id: int | None = None, backoff: float | None = None
) -> dict | None:
    """One run of one source. A source that is down is tried again after `backoff` seconds
    (default settings.MONITORING_RETRY_BACKOFF), doubling each time, MAX_ATTEMPTS in all;
    then the run fails with the reason. A finished run is never run again."""
    with translation.override(settings.LANGUAGE_CODE):
        run = runner.start_attempt(source_id, run_id)
        if run is None:
            return None
        try:
            run = runner.execute(run)
        except SourceUnavailable as error:
            if run.attempts < runner.MAX_ATTEMPTS:
                runner.note_failed_attempt(
                    run.pk,
                    _("Attempt %(attempt)s of %(max)s failed, trying again: %(error)s")
                    % {"attempt": run.attempts, "max": runner.MAX_ATTEMPTS, "error": error},
                )
                base = settings.MONITORING_RETRY_BACKOFF if backoff is None else backoff
                raise self.retry(
                    args=(source_id, run.pk),
                    kwargs={"backoff": backoff},
                    countdown=base * 2 ** (run.attempts - 1),
                ) from error
            run = runner.fail(
                run.pk,
                _("The source could not be read in %(attempts)s attempts: %(error)s")
                % {"attempts": run.attempts, "error": error},
            )
        except SourceError as error:
            run = runner.fail(run.pk, str(error))
        except Exception:
            # The run must not stay "running" for ever; details go to the log only.
            logger.exception("monitoring run %s stopped on an unexpected error", run.pk)
            runner.fail(run.pk, _("The run stopped on an unexpected error (see the log)."))
            raise
        return {"run": run.pk, "status": run.status}


@shared_task(name="followup.run_all_monitoring")
def run_all_monitoring(backoff: float | None = None) -> list[int]:
    """The nightly job: one run per active source (each its own task, so one failing source
    never holds up the others). Returns the IDs of the runs queued."""
    with translation.override(settings.LANGUAGE_CODE):
        return runner.queue_all(backoff)


@shared_task(
    name="followup.notify_quality_team",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_quality_team(signal_id: int) -> bool:
    """One e-mail to every active member of the quality & control team about an IVO permit
    revocation. Idempotent: sends at most once per signal. No person data: the signal is
    about a provider's permit."""
    with transaction.atomic():
        signal = (
            Signal.objects.select_for_update(of=("self",))
            .select_related("unit", "provider")
            .filter(pk=signal_id)
            .first()
        )
        if signal is None or signal.notified_at is not None:
            return False
        recipients = sorted(
            set(
                User.objects.filter(is_active=True, role=Role.QUALITY_CONTROL)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
        if not recipients:
            logger.warning("signal %s: no quality & control team member to notify", signal.pk)
            return False
        paused = UnitEvent.objects.filter(
            source=f"signal:{signal.pk}", to_status=PublicationStatus.PAUSED
        ).exists()
        with translation.override("sv"):
            subject = _("Spink: IVO permit revoked – %(title)s") % {"title": signal.title}
            if paused:
                action = _("The unit %(unit)s has been paused automatically.") % {
                    "unit": signal.unit.name
                }
            else:
                action = _("No unit was paused: check the register.")
            body = _(
                "Basic monitoring found an IVO permit revocation.\n\n%(title)s\n%(action)s\n\n"
                "Open the signal in Spink:\n%(url)s\n"
            ) % {
                "title": signal.title,
                "action": action,
                "url": settings.SITE_URL + reverse("monitoring:signal-detail", args=[signal.pk]),
            }
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
        signal.notified_at = timezone.now()
        signal.save(update_fields=["notified_at"])
    logger.info("signal %s: quality & control team notified", signal_id)
    return True
