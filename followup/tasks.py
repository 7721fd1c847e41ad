"""Follow-up jobs. Tasks take IDs and are idempotent: a repeated delivery changes nothing.

They are thin: each hands its job to followup.monitoring (the runner, the notifications);
only the attempts and retries of a monitoring run, which are Celery's, are decided here. The
runner queues these tasks by name (runner.RUN_TASK, runner.NOTIFY_TASK) and never imports
this module."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from followup import services
from followup.monitoring import notifications, runner
from followup.monitoring.records import SourceError, SourceUnavailable
from spink.tasks import DATABASE_ERRORS, RETRY_ON_TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


# --- Basic monitoring -----------------------------------------------------------------------------


# Tries of a run while the database is away (after 1, 2, 4 … seconds, at most
# settings.TASK_RETRY_WAIT_MAX apart): about 25 minutes.
DATABASE_RETRIES = 12


@shared_task(
    bind=True,
    name=runner.RUN_TASK,
    # The run's own attempt count (runner.MAX_ATTEMPTS) limits retries of a source that is
    # down; Celery's count only stops a database that never comes back.
    max_retries=runner.MAX_ATTEMPTS + DATABASE_RETRIES,
    soft_time_limit=settings.MONITORING_SOFT_TIME_LIMIT,
    time_limit=settings.MONITORING_TIME_LIMIT,
)
def run_monitoring_source(
    self, source_id: int, run_id: int | None = None, backoff: float | None = None
) -> dict | None:
    """One run of one source. A source that is down is tried again after `backoff` seconds
    (default settings.MONITORING_RETRY_BACKOFF), doubling each time, MAX_ATTEMPTS in all;
    then the run fails with the reason. A finished run is never run again. While the database
    is away the same run is tried again later instead of being dropped."""
    run = None
    try:
        with translation.override(settings.LANGUAGE_CODE):
            run = runner.start_attempt(source_id, run_id)
            if run is None:
                return None
            return _attempt(self, run, backoff)
    except DATABASE_ERRORS as error:
        # Nothing the attempt read was written (the run's writes are one transaction), and the
        # run cannot be failed without a database: try it again once the database is back.
        wait = min(2**self.request.retries, settings.TASK_RETRY_WAIT_MAX)
        logger.warning(
            "monitoring run %s of source %s: database unreachable, trying again in %ss",
            run.pk if run else run_id,
            source_id,
            wait,
        )
        raise self.retry(
            args=(source_id, run.pk if run else run_id),
            kwargs={"backoff": backoff},
            countdown=wait,
            exc=error,
        ) from error


def _attempt(task, run, backoff: float | None) -> dict:
    try:
        with runner.heartbeat(run.pk):
            run = runner.execute(run)
    except SourceUnavailable as error:
        if run.attempts < runner.MAX_ATTEMPTS:
            base = settings.MONITORING_RETRY_BACKOFF if backoff is None else backoff
            wait = min(base * 2 ** (run.attempts - 1), settings.TASK_RETRY_WAIT_MAX)
            runner.note_failed_attempt(
                run.pk,
                _("Attempt %(attempt)s of %(max)s failed, trying again: %(error)s")
                % {"attempt": run.attempts, "max": runner.MAX_ATTEMPTS, "error": error},
                retry_in=wait,
            )
            raise task.retry(
                args=(run.source_id, run.pk), kwargs={"backoff": backoff}, countdown=wait
            ) from error
        run = runner.fail(
            run.pk,
            _("The source could not be read in %(attempts)s attempts: %(error)s")
            % {"attempts": run.attempts, "error": error},
        )
    except SourceError as error:
        run = runner.fail(run.pk, str(error))
    except DATABASE_ERRORS:
        raise  # tried again by the task
    except SoftTimeLimitExceeded:
        logger.warning("monitoring run %s stopped at its time limit", run.pk)
        run = runner.fail(
            run.pk,
            _("The run took longer than %(minutes)s minutes and was stopped.")
            % {"minutes": settings.MONITORING_SOFT_TIME_LIMIT // 60},
        )
    except Exception:
        # The run must not stay "running" for ever; details go to the log only.
        logger.exception("monitoring run %s stopped on an unexpected error", run.pk)
        runner.fail(run.pk, _("The run stopped on an unexpected error (see the log)."))
        raise
    return {"run": run.pk, "status": run.status}


@shared_task(name="followup.run_all_monitoring", **RETRY_ON_TRANSIENT_ERRORS)
def run_all_monitoring(backoff: float | None = None) -> list[int]:
    """The nightly job: one run per active source (each its own task, so one failing source
    never holds up the others). Returns the IDs of the runs queued."""
    with translation.override(settings.LANGUAGE_CODE):
        return runner.queue_all(backoff)


@shared_task(name="followup.restart_stopped_monitoring_runs")
def restart_stopped_monitoring_runs() -> list[int]:
    """Celery beat, every minute: fail each run a stopped worker left "running" and run its
    source again (runner.restart_stopped_runs). Not retried: the next minute is the retry."""
    with translation.override(settings.LANGUAGE_CODE):
        return runner.restart_stopped_runs()


@shared_task(name=runner.NOTIFY_TASK, **RETRY_ON_TRANSIENT_ERRORS)
def notify_quality_team(signal_id: int) -> bool:
    """The e-mail to the quality & control team about an IVO permit revocation, at most once
    per signal (followup.monitoring.notifications). Tried again while the mail server or the
    database is away."""
    return notifications.notify_quality_team(signal=signal_id)


@shared_task(name="followup.remind_expiring_permits", **RETRY_ON_TRANSIENT_ERRORS)
def remind_expiring_permits() -> int:
    """Every morning (migration 0006): a signal for each IVO permit ending soon, once."""
    return services.remind_expiring_permits()
