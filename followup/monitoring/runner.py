"""One monitoring run of one source: fetch, match, then write every signal of the run in one
transaction at the end, so a source that fails half-way leaves nothing behind.

The Celery task (followup.tasks.run_monitoring_source) drives the attempts and retries; this
module does the work and keeps the run row (attempts, counts, skipped records, error) true.
It queues the tasks by name through the outbox and never imports followup.tasks, which only
hands each job to this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followup.models import (
    MonitoringFile,
    MonitoringKind,
    MonitoringRun,
    MonitoringSource,
    Severity,
    Signal,
)
from followup.monitoring import fetchers
from followup.monitoring.matching import Matcher, Target, Unmatched
from followup.monitoring.records import Record, Skip
from providers import services as register
from providers.models import Permit, PublicationStatus, Unit
from spink import outbox
from spink.errors import RuleViolation

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# The jobs this module queues (declared, under these names, in followup.tasks).
RUN_TASK = "followup.run_monitoring_source"
NOTIFY_TASK = "followup.notify_quality_team"
# While a worker runs a source it writes the run's heartbeat this often (seconds).
HEARTBEAT_EVERY = 30.0
# A run still "running" with no sign of life for this long was abandoned: its worker stopped
# (killed, crashed) or its task never reached one. Until then it is alive and "run now" waits.
STALE_AFTER = dt.timedelta(minutes=5)

DEFAULT_SEVERITY: dict[str, str] = {
    MonitoringKind.MEDIA: Severity.MEDIUM,
    MonitoringKind.CREDIT: Severity.MEDIUM,
    MonitoringKind.IVO_REVOCATION: Severity.HIGH,
}
SIGNAL_KIND: dict[str, str] = {
    MonitoringKind.MEDIA: Signal.Kind.MEDIA,
    MonitoringKind.CREDIT: Signal.Kind.CREDIT,
    MonitoringKind.IVO_REVOCATION: Signal.Kind.IVO_REVOCATION,
}


@dataclass(frozen=True)
class Draft:
    """A signal the run will write unless one with the same dedup_key exists."""

    dedup_key: str
    kind: str
    severity: str
    title: str
    details: str
    url: str
    target: Target
    date: dt.date | None


# --- Queueing -------------------------------------------------------------------------------------


def _alive(since: dt.datetime) -> Q:
    """A sign of life since `since`: a heartbeat, or, before any worker started the run, its
    creation (queuing it counts as its first sign of life)."""
    return Q(heartbeat_at__gte=since) | Q(heartbeat_at__isnull=True, started_at__gte=since)


def run_under_way(source_id: int) -> bool:
    """A run of the source is really alive: "run now" is refused only then."""
    return (
        MonitoringRun.objects.filter(source_id=source_id, status=MonitoringRun.Status.RUNNING)
        .filter(_alive(timezone.now() - STALE_AFTER))
        .exists()
    )


def queue_run(
    source_id: int, *, triggered_by=None, backoff: float | None = None, attempts: int = 0
) -> MonitoringRun:
    """Create the run row now (the pages show it as running) and record its task in the outbox,
    in the caller's transaction: it starts when the broker can take it."""
    # A dead run of the same source would still run if its task arrived late; it is over.
    abandon_stale_runs(source_id)
    run = MonitoringRun.objects.create(
        source_id=source_id, triggered_by=triggered_by, attempts=attempts
    )
    outbox.enqueue(RUN_TASK, source_id, run.pk, backoff=backoff)
    logger.info("monitoring run %s of source %s queued", run.pk, source_id)
    return run


def _dead_runs(source_id: int | None = None):
    since = timezone.now() - STALE_AFTER
    no_sign_since = Q(heartbeat_at__lt=since) | Q(heartbeat_at__isnull=True, started_at__lt=since)
    runs = MonitoringRun.objects.filter(no_sign_since, status=MonitoringRun.Status.RUNNING)
    return runs if source_id is None else runs.filter(source_id=source_id)


def abandon_stale_runs(source_id: int | None = None) -> int:
    return _dead_runs(source_id).update(
        status=MonitoringRun.Status.FAILED,
        finished_at=timezone.now(),
        error=_("The run never finished (was the worker stopped?)."),
    )


@transaction.atomic
def restart_stopped_runs() -> list[int]:
    """The beat job: a run with no sign of life for STALE_AFTER is failed and its source run
    again (the attempts it used carry over, so a source that kills its worker every time is
    not tried for ever). A run still waiting for the broker or a free worker is left alone.
    Returns the IDs of the runs queued."""
    since = timezone.now() - STALE_AFTER
    restarted: list[int] = []
    dead = _dead_runs().select_for_update(skip_locked=True, of=("self",)).select_related("source")
    for run in dead:
        if run.attempts == 0 and outbox.in_flight(
            RUN_TASK, run.source_id, run.pk, sent_since=since
        ):
            continue  # not started yet, but its task is on its way: not lost
        run.status = MonitoringRun.Status.FAILED
        run.finished_at = timezone.now()
        run.error = _("The worker stopped during the run.")
        run.save(update_fields=["status", "finished_at", "error"])
        if run.attempts >= MAX_ATTEMPTS or not run.source.is_active or run_under_way(run.source_id):
            # No attempt left, nothing to run, or a newer run of the source is going.
            logger.warning("monitoring run %s of source %s: worker stopped", run.pk, run.source_id)
            continue
        again = queue_run(run.source_id, triggered_by=run.triggered_by, attempts=run.attempts)
        run.error = _("The worker stopped during the run; it goes on as run %(run)s.") % {
            "run": again.pk
        }
        run.save(update_fields=["error"])
        restarted.append(again.pk)
        logger.warning(
            "monitoring run %s of source %s: worker stopped, run again as %s",
            run.pk,
            run.source_id,
            again.pk,
        )
    return restarted


@transaction.atomic
def queue_all(backoff: float | None = None) -> list[int]:
    """One run per active source; a source whose last run is still going is left alone."""
    abandon_stale_runs()
    return [
        queue_run(source_id, backoff=backoff).pk
        for source_id in MonitoringSource.objects.filter(is_active=True).values_list(
            "pk", flat=True
        )
        if not run_under_way(source_id)
    ]


# --- Attempts -------------------------------------------------------------------------------------


@transaction.atomic
def start_attempt(source_id: int, run_id: int | None = None) -> MonitoringRun | None:
    """The run to attempt (created when none is given); None when there is nothing to do:
    the run is already finished (a repeated delivery) or the source is gone."""
    run: MonitoringRun | None
    if run_id is None:
        if not MonitoringSource.objects.filter(pk=source_id).exists():
            return None
        run = MonitoringRun.objects.create(source_id=source_id)
    else:
        run = (
            MonitoringRun.objects.select_for_update().filter(pk=run_id, source_id=source_id).first()
        )
        if run is None or run.status != MonitoringRun.Status.RUNNING:
            return None
        if run.attempts >= MAX_ATTEMPTS:
            # Redelivered after its last attempt: the worker died during every one of them
            # (task_reject_on_worker_lost puts the task back). Another try could kill it again.
            run.status = MonitoringRun.Status.FAILED
            run.error = _("The worker stopped during each of the %(max)s attempts.") % {
                "max": MAX_ATTEMPTS
            }
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            logger.warning("monitoring run %s: worker stopped during every attempt", run.pk)
            return None
    run.attempts += 1
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["attempts", "heartbeat_at"])
    return run


def note_failed_attempt(run_id: int, reason: str, retry_in: float = 0) -> None:
    """Record why the attempt failed; the next is due in `retry_in` seconds, and until then the
    run counts as alive (its heartbeat is set to that time)."""
    MonitoringRun.objects.filter(pk=run_id, status=MonitoringRun.Status.RUNNING).update(
        error=reason, heartbeat_at=timezone.now() + dt.timedelta(seconds=retry_in)
    )


@contextlib.contextmanager
def heartbeat(run_id: int, every: float = HEARTBEAT_EVERY) -> Iterator[None]:
    """Keep the run's heartbeat fresh while the body runs: from a thread of its own, so that a
    long fetch or parse still beats, and that a killed worker stops beating."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    MonitoringRun.objects.filter(
                        pk=run_id, status=MonitoringRun.Status.RUNNING
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("monitoring run %s: heartbeat not written", run_id)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"monitoring-heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@transaction.atomic
def fail(run_id: int, reason: str) -> MonitoringRun:
    run = MonitoringRun.objects.select_for_update().get(pk=run_id)
    if run.status == MonitoringRun.Status.RUNNING:
        run.status = MonitoringRun.Status.FAILED
        run.error = reason
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        logger.warning("monitoring run %s of source %s failed", run.pk, run.source_id)
    return run


def execute(run: MonitoringRun) -> MonitoringRun:
    """Fetch and write. SourceUnavailable and SourceError propagate to the task."""
    source = run.source
    already_read = source.files.values_list("name", "sha256")
    fetched = fetchers.fetch(
        source, timeout=settings.MONITORING_HTTP_TIMEOUT, already_read=already_read
    )
    drafts, unmatched = build_drafts(source, fetched.records)
    return write(run.pk, drafts, fetched.skipped + unmatched, fetched.files, fetched.seen)


# --- Records to signals ---------------------------------------------------------------------------


def build_drafts(source: MonitoringSource, records: list[Record]) -> tuple[list[Draft], list[Skip]]:
    matcher = Matcher(records)
    drafts: dict[str, Draft] = {}
    skipped: list[Skip] = []
    for record in records:
        try:
            targets = matcher.match(record)
        except Unmatched as error:
            skipped.append(Skip(record.ref, str(error)))
            continue
        free_text = not (record.permit_number or record.org_number or record.name)
        for target in targets:
            # A news item naming two providers is one signal per provider.
            key = f"{source.pk}:{record.ident}"
            if free_text:
                key = f"{key}:{target.provider.pk}"
            drafts.setdefault(key, _draft(source, record, target, key))
    return list(drafts.values()), skipped


def _draft(source: MonitoringSource, record: Record, target: Target, key: str) -> Draft:
    subject = target.unit.name if target.unit else target.provider.legal_name
    title = record.title or f"{MonitoringKind(source.kind).label}: {subject}"
    facts = [
        (_("Source"), source.name),
        (_("Date"), record.date.isoformat() if record.date else ""),
        (_("Permit number"), record.permit_number),
        (_("Organisation number"), record.org_number),
        (_("Name in the source"), record.name),
        (_("Record"), record.ref),
    ]
    lines = "\n".join(f"{label}: {value}" for label, value in facts if value)
    details = "\n\n".join(part for part in (record.details, lines) if part)
    return Draft(
        dedup_key=key,
        kind=SIGNAL_KIND[source.kind],
        severity=record.severity or DEFAULT_SEVERITY[source.kind],
        title=title[:300],
        details=details,
        url=record.url,
        target=target,
        date=record.date,
    )


@transaction.atomic
def write(
    run_id: int,
    drafts: list[Draft],
    skipped: list[Skip],
    files: list[tuple[str, str]],
    seen: int,
) -> MonitoringRun:
    """All of the run's writes, together: new signals, IVO actions, files read, the outcome."""
    run = MonitoringRun.objects.select_for_update().select_related("source").get(pk=run_id)
    if run.status != MonitoringRun.Status.RUNNING:
        return run  # finished by an earlier delivery of the same task
    existing = set(
        Signal.objects.filter(dedup_key__in=[d.dedup_key for d in drafts]).values_list(
            "dedup_key", flat=True
        )
    )
    created: list[tuple[Signal, Draft]] = []
    for draft in drafts:
        if draft.dedup_key in existing:
            continue
        # get_or_create: a concurrent run that wrote the same record first wins, quietly.
        signal, was_created = Signal.objects.get_or_create(
            dedup_key=draft.dedup_key,
            defaults={
                "kind": draft.kind,
                "severity": draft.severity,
                "title": draft.title,
                "details": draft.details,
                "url": draft.url,
                "provider": draft.target.provider,
                "unit": draft.target.unit,
                "source": run.source,
                "run": run,
            },
        )
        if was_created:
            created.append((signal, draft))
    revocations = [pair for pair in created if pair[0].kind == Signal.Kind.IVO_REVOCATION]
    for signal, draft in revocations:
        act_on_revocation(signal, draft)
    MonitoringFile.objects.bulk_create(
        [MonitoringFile(source=run.source, name=name, sha256=sha, run=run) for name, sha in files],
        ignore_conflicts=True,
    )
    run.status = MonitoringRun.Status.PARTIAL if skipped else MonitoringRun.Status.SUCCEEDED
    run.records_seen = seen
    run.signals_created = len(created)
    run.records_skipped = len(skipped)
    run.skipped = [skip.as_dict() for skip in skipped]
    run.error = ""
    run.finished_at = timezone.now()
    run.save()
    for signal, _draft in revocations:
        # Recorded with the signal, sent when the broker can take it (spink.outbox).
        outbox.enqueue(NOTIFY_TASK, signal.pk)
    logger.info(
        "monitoring run %s of source %s: %s records, %s new signals, %s skipped",
        run.pk,
        run.source_id,
        seen,
        len(created),
        len(skipped),
    )
    return run


# --- IVO permit revocations -----------------------------------------------------------------------


def act_on_revocation(signal: Signal, draft: Draft) -> bool:
    """Record the revocation date on the permit and pause the unit if it is published.

    Called only for a signal just created, so a repeated run changes nothing. Returns whether
    the unit was paused.
    """
    target = draft.target
    if target.permit is not None and draft.date is not None:
        permit = Permit.objects.select_for_update().get(pk=target.permit.pk)
        if permit.revoked_on is None:
            permit.revoked_on = draft.date
            with translation.override("sv"):
                reason = _("Revoked according to monitoring signal %(id)s.") % {"id": signal.pk}
            register.save_with_history(permit, None, reason)
    if target.unit is None:
        return False
    if not Unit.objects.filter(pk=target.unit.pk, status=PublicationStatus.PUBLISHED).exists():
        return False
    with translation.override("sv"):
        reason = _("IVO has revoked the permit (monitoring signal %(id)s: “%(title)s”).") % {
            "id": signal.pk,
            "title": signal.title,
        }
    try:
        register.change_status(
            actor=None,
            unit=target.unit.pk,
            to_status=PublicationStatus.PAUSED,
            reason=reason,
            source=f"signal:{signal.pk}",
        )
    except RuleViolation:
        logger.warning("signal %s: unit %s could not be paused", signal.pk, target.unit.pk)
        return False
    return True
