"""Writes for category plans. Views and the API call these; nothing else saves plan rows.

The views find plans within the user's municipality; the writes check it again, so that no
caller can write into another municipality's plan (or create a plan for one).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from reporting.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    CouncilDecision,
    Goal,
    Kpi,
    KpiMeasurement,
    Strategy,
)
from reporting.plans import kpis as kpi_rules
from reporting.plans.kpis import Period
from spink import concurrency
from spink.accounts import access
from spink.accounts.access import Capability

PlanRecord = TypeVar("PlanRecord", CategoryPlan, Goal, Strategy, Activity, Kpi)

MEASUREMENTS_SALT = "reporting.plans.measurements"


def _require_editor(actor) -> None:
    if not access.has_capability(actor, Capability.EDIT_CATEGORY_PLANS):
        raise PermissionDenied


def _require_municipality(actor, plan: CategoryPlan) -> None:
    """A plan is written by its own municipality's users, or by an administrator."""
    if access.is_administrator(actor):
        return
    if plan.municipality_id is None or plan.municipality_id != actor.municipality_id:
        raise PermissionDenied


def _plan_of(instance) -> CategoryPlan | None:
    """The plan a plan row, goal, strategy, activity or KPI belongs to."""
    if isinstance(instance, CategoryPlan):
        return instance
    if isinstance(instance, Goal):
        return instance.plan
    if isinstance(instance, Strategy):
        return instance.goal.plan
    if isinstance(instance, (Activity, Kpi)):
        return instance.strategy.goal.plan
    return None


def _with_history_user(instance, actor):
    if hasattr(type(instance), "history"):
        instance._history_user = actor
    return instance


@transaction.atomic
def save_plan_record(
    *, actor, record: PlanRecord, version_fields: Sequence[str], seen: str | None = None
) -> PlanRecord:
    """Save a plan, goal, strategy, activity or KPI (new, or changed in memory by its editor).

    A change is checked, under a lock of the row, against the version its editor saw
    (`seen`, a form's token or an If-Match value, over `version_fields`): a save over
    someone else's later change is refused (concurrency.StaleEdit). None claims nothing."""
    _require_editor(actor)
    if record.pk is not None:
        row = type(record).objects.select_for_update().get(pk=record.pk)
        concurrency.check(row, version_fields, seen=seen)
    plan = _plan_of(record)
    if plan is not None:
        _require_municipality(actor, plan)
    _with_history_user(record, actor).save()
    return record


@transaction.atomic
def set_activity_status(
    *, actor, activity_id: int, status: str, from_status: str | None = None
) -> Activity:
    """`from_status` is the status the person's page showed: an activity someone else moved
    on meanwhile is refused (concurrency.StaleState); None claims nothing."""
    _require_editor(actor)
    if status not in ActivityStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    activity = access.within_municipality(
        actor,
        Activity.objects.select_for_update(of=("self",)),
        "strategy__goal__plan__municipality",
    ).get(pk=activity_id)
    concurrency.check_state(activity, "status", seen=from_status)
    if activity.status != status:
        activity.status = status
        _with_history_user(activity, actor).save(update_fields=["status"])
    return activity


def _period_key(start, end) -> str:
    return f"{start.isoformat()}/{end.isoformat()}"


def _entered(measurement: KpiMeasurement) -> str:
    return f"{measurement.value}|{measurement.note}"


def measurements_seen(kpi: Kpi) -> str:
    """What a KPI's value form carries: the values the page showed, per period, signed (the
    KPI's `seen` for record_measurement)."""
    values = {
        _period_key(m.period_start, m.period_end): _entered(m)
        for m in KpiMeasurement.objects.filter(kpi=kpi)
    }
    return signing.dumps({"kpi": kpi.pk, "values": values}, salt=MEASUREMENTS_SALT, compress=True)


def _check_measurement_seen(kpi: Kpi, period: Period, seen: str | None) -> None:
    """Refuse to enter a period's value over one someone else entered or corrected after the
    page was rendered (values of other periods may change meanwhile)."""
    if seen is None:
        return
    try:
        data = signing.loads(seen, salt=MEASUREMENTS_SALT)
    except signing.BadSignature:
        raise concurrency.StaleEdit() from None
    if data.get("kpi") != kpi.pk:
        raise concurrency.StaleEdit()
    current = KpiMeasurement.objects.filter(
        kpi=kpi, period_start=period.start, period_end=period.end
    ).first()
    now = _entered(current) if current is not None else None
    if data.get("values", {}).get(_period_key(period.start, period.end)) != now:
        raise concurrency.StaleEdit(
            [str(capfirst(KpiMeasurement._meta.get_field("value").verbose_name))]
        )


@transaction.atomic
def record_measurement(
    *,
    actor,
    kpi: Kpi,
    period: Period,
    value: Decimal | None,
    note: str = "",
    seen: str | None = None,
) -> KpiMeasurement:
    """Enter (or correct) a manual KPI value for a period. `seen` is the KPI's values as the
    person's page showed them (measurements_seen): a value someone else entered for the
    period meanwhile is not overwritten (concurrency.StaleEdit). None claims nothing."""
    _require_editor(actor)
    _require_municipality(actor, kpi.strategy.goal.plan)
    if kpi.is_computed:
        raise ValidationError(
            {"value": _("This KPI is computed from Spink's data; its values are not entered.")}
        )
    Kpi.objects.select_for_update().get(pk=kpi.pk)  # one entry per KPI at a time
    _check_measurement_seen(kpi, period, seen)
    measurement, _created = KpiMeasurement.objects.update_or_create(
        kpi=kpi,
        period_start=period.start,
        period_end=period.end,
        defaults={"value": value, "note": note.strip(), "entered_by": actor, "computed": False},
    )
    return measurement


@transaction.atomic
def record_decision(*, actor, plan: CategoryPlan, decision: CouncilDecision) -> CouncilDecision:
    """Record a council decision (new, unsaved) on the plan."""
    _require_editor(actor)
    _require_municipality(actor, plan)
    decision.plan = plan
    decision.recorded_by = actor
    decision.save()
    return decision


@transaction.atomic
def compute_kpis(*, actor, plan: CategoryPlan, period: Period) -> list[KpiMeasurement]:
    """Compute every computed KPI of the plan for the period; running it again updates the
    same rows (one per KPI and period). `actor` None: a job acting for the system."""
    if actor is not None:
        _require_editor(actor)
        _require_municipality(actor, plan)
    results = []
    for kpi in Kpi.objects.filter(strategy__goal__plan=plan).exclude(source="manual"):
        value = kpi_rules.compute(kpi, plan, period)
        measurement, _created = KpiMeasurement.objects.update_or_create(
            kpi=kpi,
            period_start=period.start,
            period_end=period.end,
            defaults={"value": value, "computed": True, "entered_by": None, "note": ""},
        )
        results.append(measurement)
    return results
