"""KPIs: status against target, and the KPIs computed from Spink's own data.

Every computed value is aggregated in the database for one municipality, one category area (or
one service of it) and one period — a plan's KPIs count its own municipality's requests only,
as the statistics do; `status` is the one function that judges a value against its target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, FloatField, Func, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm
from reporting.models import CategoryPlan, Kpi, KpiDirection, KpiSource
from spink.db import Percentile


@dataclass(frozen=True)
class Period:
    """A period of whole days, both ends included."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("period ends before it starts")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes in the local time zone."""
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end


class KpiStatus:
    MET = "met"
    NOT_MET = "not_met"
    NO_DATA = "no_data"
    INFORMATION = "information"

    LABELS = {
        MET: _("Target met"),
        NOT_MET: _("Target not met"),
        NO_DATA: _("No data"),
        INFORMATION: _("Information only"),
    }


def status(kpi: Kpi, value: Decimal | float | None) -> str:
    """The one judgement of a KPI value against its target."""
    if kpi.direction == KpiDirection.INFORMATION or kpi.target_value is None:
        return KpiStatus.INFORMATION
    if value is None:
        return KpiStatus.NO_DATA
    value = Decimal(str(value))
    target = kpi.target_value
    met_by_direction: dict[str, bool] = {
        KpiDirection.AT_LEAST: value >= target,
        KpiDirection.AT_MOST: value <= target,
        KpiDirection.EQUAL: value == target,
    }
    met = met_by_direction[kpi.direction]
    return KpiStatus.MET if met else KpiStatus.NOT_MET


# --- Computed KPIs ----------------------------------------------------------------------------


def _requests(municipality_id: int, area_id: int, service_id: int | None) -> QuerySet:
    from placements.models import PlacementRequest

    # The municipality through the administration, the same path the statistics count by.
    requests = PlacementRequest.objects.filter(
        administration__municipality_id=municipality_id, service__area_id=area_id
    )
    if service_id is not None:
        requests = requests.filter(service_id=service_id)
    return requests


def _placed(municipality_id: int, area_id: int, service_id: int | None, period: Period) -> QuerySet:
    from placements.models import RequestStatus

    start, end = period.bounds()
    return _requests(municipality_id, area_id, service_id).filter(
        status=RequestStatus.PLACED, closed_at__gte=start, closed_at__lt=end
    )


FORM = "chosen_recommendation__offering__operating_form__code"


def _share(
    municipality_id: int, area_id: int, service_id: int | None, period: Period, form_code: str
) -> Decimal | None:
    counts = _placed(municipality_id, area_id, service_id, period).aggregate(
        total=Count("pk"), matching=Count("pk", filter=Q(**{FORM: form_code}))
    )
    if not counts["total"]:
        return None
    return Decimal(100 * counts["matching"]) / counts["total"]


def requests_submitted(
    municipality_id: int, area_id: int, service_id: int | None, period: Period
) -> Decimal:
    start, end = period.bounds()
    return Decimal(
        _requests(municipality_id, area_id, service_id)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .count()
    )


def framework_share(
    municipality_id: int, area_id: int, service_id: int | None, period: Period
) -> Decimal | None:
    return _share(municipality_id, area_id, service_id, period, OperatingForm.FRAMEWORK)


def own_operation_share(
    municipality_id: int, area_id: int, service_id: int | None, period: Period
) -> Decimal | None:
    return _share(municipality_id, area_id, service_id, period, OperatingForm.OWN)


def direct_procurements(
    municipality_id: int, area_id: int, service_id: int | None, period: Period
) -> Decimal:
    return Decimal(
        _placed(municipality_id, area_id, service_id, period)
        .filter(**{FORM: OperatingForm.DIRECT})
        .count()
    )


class _EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()


def lead_time_hours(
    municipality_id: int, area_id: int, service_id: int | None, period: Period
) -> Decimal | None:
    """Median hours from submission to first recommendation, of requests submitted in the period."""
    start, end = period.bounds()
    median = (
        _requests(municipality_id, area_id, service_id)
        .filter(submitted_at__gte=start, submitted_at__lt=end, first_recommended_at__isnull=False)
        .aggregate(
            median=Percentile(_EpochSeconds(F("first_recommended_at") - F("submitted_at")), 0.5)
        )["median"]
    )
    return None if median is None else Decimal(str(median)) / 3600


COMPUTATIONS: dict[str, Callable[[int, int, int | None, Period], Decimal | None]] = {
    KpiSource.REQUESTS_PER_SERVICE: requests_submitted,
    KpiSource.FRAMEWORK_SHARE: framework_share,
    KpiSource.OWN_OPERATION_SHARE: own_operation_share,
    KpiSource.DIRECT_PROCUREMENTS: direct_procurements,
    KpiSource.LEAD_TIME: lead_time_hours,
}


def compute(kpi: Kpi, plan: CategoryPlan, period: Period) -> Decimal | None:
    """The value of a computed KPI of `plan` for a period, from the requests of the plan's
    municipality and area, rounded to two decimals; None: no data."""
    value = COMPUTATIONS[kpi.source](plan.municipality_id, plan.area_id, kpi.service_id, period)
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
