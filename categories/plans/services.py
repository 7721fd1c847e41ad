"""Writes for category plans. Views and the API call these; nothing else saves plan rows."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from categories.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    CouncilDecision,
    Kpi,
    KpiMeasurement,
)
from categories.plans import kpis as kpi_rules
from categories.plans.kpis import Period
from spink.accounts import access
from spink.accounts.access import Capability


def _require_editor(actor) -> None:
    if not access.has_capability(actor, Capability.EDIT_CATEGORY_PLANS):
        raise PermissionDenied


def _with_history_user(instance, actor):
    if hasattr(type(instance), "history"):
        instance._history_user = actor
    return instance


@transaction.atomic
def save_form(actor, form):
    """Save a plan, goal, strategy, activity or KPI form (validated by the caller)."""
    _require_editor(actor)
    instance = _with_history_user(form.save(commit=False), actor)
    instance.save()
    form.save_m2m()
    return instance


@transaction.atomic
def set_activity_status(actor, activity_id: int, status: str) -> Activity:
    _require_editor(actor)
    if status not in ActivityStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    if activity.status != status:
        activity.status = status
        _with_history_user(activity, actor).save(update_fields=["status"])
    return activity


@transaction.atomic
def record_measurement(
    actor, kpi: Kpi, period: Period, value: Decimal | None, note: str = ""
) -> KpiMeasurement:
    """Enter (or correct) a manual KPI value for a period."""
    _require_editor(actor)
    if kpi.is_computed:
        raise ValidationError(
            {"value": _("This KPI is computed from Spink's data; its values are not entered.")}
        )
    measurement, _created = KpiMeasurement.objects.update_or_create(
        kpi=kpi,
        period_start=period.start,
        period_end=period.end,
        defaults={"value": value, "note": note.strip(), "entered_by": actor, "computed": False},
    )
    return measurement


@transaction.atomic
def record_decision(actor, plan: CategoryPlan, form) -> CouncilDecision:
    _require_editor(actor)
    decision = form.save(commit=False)
    decision.plan = plan
    decision.recorded_by = actor
    decision.save()
    return decision


@transaction.atomic
def compute_kpis(plan: CategoryPlan, period: Period) -> list[KpiMeasurement]:
    """Compute every computed KPI of the plan for the period; running it again updates the
    same rows (one per KPI and period)."""
    results = []
    for kpi in Kpi.objects.filter(strategy__goal__plan=plan).exclude(source="manual"):
        value = kpi_rules.compute(kpi, plan.area_id, period)
        measurement, _created = KpiMeasurement.objects.update_or_create(
            kpi=kpi,
            period_start=period.start,
            period_end=period.end,
            defaults={"value": value, "computed": True, "entered_by": None, "note": ""},
        )
        results.append(measurement)
    return results
