"""Reads for category plans: the plan tree, activity progress, KPI values, agreement facts.

A plan belongs to one municipality: every read of a plan, or of a part of it reached by its id,
starts from the `visible_*` querysets here, so that a user of another municipality finds
nothing (404, like a record that does not exist) and an administrator finds every plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from categories.models import OperatingForm, Service
from reporting.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    Goal,
    Kpi,
    KpiMeasurement,
    Strategy,
)
from reporting.plans import kpis as kpi_rules
from reporting.plans.kpis import Period
from spink.accounts import access

if TYPE_CHECKING:
    from spink.accounts.models import User


def visible_plans(user: User) -> QuerySet[CategoryPlan]:
    """The plans of the user's municipality; every plan for an administrator."""
    return access.within_municipality(
        user, CategoryPlan.objects.select_related("area", "municipality"), "municipality"
    )


def visible_goals(user: User) -> QuerySet[Goal]:
    return access.within_municipality(
        user, Goal.objects.select_related("plan__area"), "plan__municipality"
    )


def visible_strategies(user: User) -> QuerySet[Strategy]:
    return access.within_municipality(
        user, Strategy.objects.select_related("goal__plan__area"), "goal__plan__municipality"
    )


def visible_activities(user: User) -> QuerySet[Activity]:
    return access.within_municipality(
        user,
        Activity.objects.select_related("strategy__goal__plan__area"),
        "strategy__goal__plan__municipality",
    )


def visible_kpis(user: User) -> QuerySet[Kpi]:
    return access.within_municipality(
        user,
        Kpi.objects.select_related("strategy__goal__plan__area"),
        "strategy__goal__plan__municipality",
    )


def plans(
    user: User, area_code: str | None = None, year: int | None = None
) -> QuerySet[CategoryPlan]:
    queryset = visible_plans(user)
    if area_code:
        queryset = queryset.filter(area__code=area_code)
    if year:
        queryset = queryset.filter(year=year)
    return queryset.order_by("-year", "area__position", "municipality__name")


@dataclass(frozen=True)
class Progress:
    completed: int
    total: int


def activity_progress(plan: CategoryPlan) -> Progress:
    """Completed activities out of all the plan's activities, counted in the database."""
    counts = Activity.objects.filter(strategy__goal__plan=plan).aggregate(
        total=Count("pk"), completed=Count("pk", filter=Q(status=ActivityStatus.COMPLETED))
    )
    return Progress(completed=counts["completed"], total=counts["total"])


def kpis_with_latest() -> QuerySet[Kpi]:
    """KPIs annotated with their latest value and its period."""
    latest = KpiMeasurement.objects.filter(kpi=OuterRef("pk")).order_by(
        "-period_end", "-period_start"
    )
    return Kpi.objects.select_related("service").annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_start=Subquery(latest.values("period_start")[:1]),
        latest_end=Subquery(latest.values("period_end")[:1]),
        latest_computed=Subquery(latest.values("computed")[:1]),
        has_value=Subquery(latest.values("pk")[:1]),
    )


def with_status(kpi: Any) -> Kpi:
    # `kpi` comes annotated with its latest value (kpis_with_latest) and is given its status.
    kpi.status = kpi_rules.status(kpi, kpi.latest_value)
    kpi.status_label = kpi_rules.KpiStatus.LABELS[kpi.status]
    return kpi


def plan_tree(plan: CategoryPlan) -> list:
    """Goals → strategies → activities and KPIs (each KPI with its latest value and status)."""
    strategies = Strategy.objects.prefetch_related(
        Prefetch("activities", queryset=Activity.objects.all()),
        Prefetch("kpis", queryset=kpis_with_latest()),
    )
    goals = list(plan.goals.prefetch_related(Prefetch("strategies", queryset=strategies)))
    for goal in goals:
        for strategy in goal.strategies.all():
            for kpi in strategy.kpis.all():
                with_status(kpi)
    return goals


def plan_kpis(plan: CategoryPlan) -> list[Kpi]:
    kpis = kpis_with_latest().filter(strategy__goal__plan=plan).select_related("strategy")
    return [with_status(kpi) for kpi in kpis.order_by("strategy__goal__position", "position", "pk")]


def measurements(kpi: Kpi) -> QuerySet[KpiMeasurement]:
    return kpi.measurements.select_related("entered_by")


@dataclass(frozen=True)
class AgreementFacts:
    service: Service
    agreements: int
    valid_from: object
    valid_to: object
    units: int
    placements: int
    framework_placements: int
    external_placements: int

    @property
    def framework_share(self) -> Decimal | None:
        if not self.placements:
            return None
        return (Decimal(100 * self.framework_placements) / self.placements).quantize(Decimal("1"))

    @property
    def external_share(self) -> Decimal | None:
        if not self.placements:
            return None
        return (Decimal(100 * self.external_placements) / self.placements).quantize(Decimal("1"))


def framework_facts(plan: CategoryPlan, period: Period) -> list[AgreementFacts]:
    """Per service of the plan's area: agreements in force during the period (how many, their
    span, units on them) and the period's placements of the plan's municipality, how many
    bought on framework and externally. The agreements are the region's (the register is
    shared); the placements are the municipality's, as the plan's KPIs are. Read from the
    register and the placements; nothing is typed in twice."""
    from placements.models import PlacementRequest, RequestStatus
    from providers.models import AgreementUnit, FrameworkAgreement

    start, end = period.bounds()
    in_force = Q(valid_from__lte=period.end, valid_to__gte=period.start)
    agreements = FrameworkAgreement.objects.filter(in_force, services=OuterRef("pk"))
    placed = PlacementRequest.objects.filter(
        administration__municipality_id=plan.municipality_id,
        service=OuterRef("pk"),
        status=RequestStatus.PLACED,
        closed_at__gte=start,
        closed_at__lt=end,
    )
    form = "chosen_recommendation__offering__operating_form__code"

    def count(queryset, **filters):
        return Coalesce(
            Subquery(
                queryset.filter(**filters)
                .order_by()
                .values(group=Value(1))
                .annotate(n=Count("pk", distinct=True))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    units = AgreementUnit.objects.filter(
        agreement__services=OuterRef("pk"),
        agreement__valid_from__lte=period.end,
        agreement__valid_to__gte=period.start,
        admitted_on__lte=period.end,
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=period.start))
    services = (
        Service.objects.filter(area_id=plan.area_id, is_active=True)
        .annotate(
            n_agreements=count(agreements),
            n_units=Coalesce(
                Subquery(
                    units.order_by()
                    .values(group=Value(1))
                    .annotate(n=Count("unit", distinct=True))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            first_from=Subquery(agreements.order_by("valid_from").values("valid_from")[:1]),
            last_to=Subquery(agreements.order_by("-valid_to").values("valid_to")[:1]),
            n_placed=count(placed),
            n_framework=count(placed, **{form: OperatingForm.FRAMEWORK}),
            n_own=count(placed, **{form: OperatingForm.OWN}),
        )
        .order_by("position", "code")
    )
    return [
        AgreementFacts(
            service=s,
            agreements=s.n_agreements,
            valid_from=s.first_from,
            valid_to=s.last_to,
            units=s.n_units,
            placements=s.n_placed,
            framework_placements=s.n_framework,
            external_placements=s.n_placed - s.n_own,
        )
        for s in services
    ]
