"""The quality & control team's writes in basic monitoring: take and close a signal, run a
source now. Each checks the capability itself and asks the signal's workflow
(followup.rules.SIGNAL), so the pages, the API and the shell agree. Parameters are
keyword-only, the actor first; records are given as model instances or their ids."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from followup import rules
from followup.models import MonitoringRun, MonitoringSource, Signal
from followup.monitoring import runner
from spink import concurrency
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User
from spink.errors import RuleViolation

logger = logging.getLogger(__name__)


def _require(actor: User) -> None:
    if not access.has_capability(actor, Capability.RUN_FOLLOWUP):
        raise PermissionDenied


def _pk(record: Model | int) -> int:
    return record.pk if isinstance(record, Model) else record


def _locked_signal(signal: Signal | int) -> Signal:
    return Signal.objects.select_for_update().get(pk=_pk(signal))


@transaction.atomic
def take_signal(*, actor: User, signal: Signal | int, from_status: str | None = None) -> Signal:
    """A team member starts handling a new signal. `from_status` is the status the person's
    page showed: a signal someone else took or closed meanwhile is refused
    (concurrency.StaleState); None claims nothing."""
    _require(actor)
    signal = _locked_signal(signal)
    concurrency.check_state(signal, "status", seen=from_status)
    rules.SIGNAL.check("take", signal, actor)
    signal.status = Signal.Status.IN_PROGRESS
    signal.handled_by = signal.taken_by = actor
    signal.taken_at = timezone.now()
    signal.save(update_fields=["status", "handled_by", "taken_by", "taken_at"])
    logger.info("signal %s taken by user %s", signal.pk, actor.pk)
    return signal


@transaction.atomic
def close_signal(
    *, actor: User, signal: Signal | int, note: str, from_status: str | None = None
) -> Signal:
    """Close a new or taken signal, saying what was done about it (`from_status` as in
    take_signal: closing a signal someone else took meanwhile is refused)."""
    _require(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done about the signal.")})
    signal = _locked_signal(signal)
    concurrency.check_state(signal, "status", seen=from_status)
    rules.SIGNAL.check("close", signal, actor)
    signal.status = Signal.Status.CLOSED
    signal.closing_note = note
    signal.closed_at = timezone.now()
    signal.handled_by = signal.closed_by = actor
    signal.save(update_fields=["status", "closing_note", "closed_at", "handled_by", "closed_by"])
    logger.info("signal %s closed by user %s", signal.pk, actor.pk)
    return signal


@transaction.atomic
def request_run(*, actor: User, source: MonitoringSource | int) -> MonitoringRun:
    """The team's "run now": one run of the source, started when this transaction commits."""
    _require(actor)
    # The lock makes two quick clicks queue one run, not two.
    source = MonitoringSource.objects.select_for_update().get(pk=_pk(source))
    if runner.run_under_way(source.pk):
        raise RuleViolation(_("A run of this source is already under way."), "run_under_way")
    return runner.queue_run(source.pk, triggered_by=actor)
