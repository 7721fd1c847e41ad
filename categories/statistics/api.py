"""Statistics API: the yearly request statistics and follow-up statistics as JSON.

Same capability (VIEW_STATISTICS), scope and filters as the pages; bad parameters answer 400
with field errors."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from categories.statistics import selectors
from categories.statistics.forms import StatisticsFilterForm
from categories.statistics.selectors import Comparison
from spink.accounts import access
from spink.accounts.access import Capability

PARAMETERS = [
    OpenApiParameter("year", int, required=True),
    OpenApiParameter("municipality", int, description="Administrators only."),
    OpenApiParameter("administration", int),
]


class CanViewStatistics(BasePermission):
    def has_permission(self, request, view) -> bool:
        return access.has_capability(request.user, Capability.VIEW_STATISTICS)


def _counts(counts: Comparison) -> dict:
    return {
        "previous": counts.previous,
        "current": counts.current,
        "difference": counts.difference,
        "percent": counts.percent,
    }


class StatisticsView(APIView):
    permission_classes = [CanViewStatistics]

    def filters(self, request):
        form = StatisticsFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        return form.filters()


@extend_schema(parameters=PARAMETERS, responses=OpenApiTypes.OBJECT)
class RequestStatisticsView(StatisticsView):
    """Requests per category area, service and subcategory, year vs previous year."""

    def get(self, request):
        filters = self.filters(request)
        table = selectors.requests_per_category(request.user, filters)
        summary = selectors.summary(request.user, filters)
        return Response(
            {
                "year": filters.year,
                "previous_year": filters.previous,
                "areas": [
                    {
                        "code": area.code,
                        "name": area.name,
                        **_counts(area.counts),
                        "services": [
                            {
                                "code": service.code,
                                "name": service.name,
                                **_counts(service.counts),
                                "subcategories": [
                                    {"name": sub.name, **_counts(sub.counts)}
                                    for sub in service.subcategories
                                ],
                            }
                            for service in area.services
                        ],
                    }
                    for area in table.areas
                ],
                "total": _counts(table.total),
                "summary": {
                    "requests": summary.requests,
                    "unique_persons": summary.persons,
                    "requests_per_person": summary.requests_per_person,
                    "placed": summary.placed,
                    "not_placed": summary.not_placed,
                    "withdrawn": summary.withdrawn,
                    "open": summary.open,
                    "lead_time_median_hours": summary.lead_time_median_hours,
                    "lead_time_p90_hours": summary.lead_time_p90_hours,
                    "eu_assignments": summary.eu_assignments,
                },
            }
        )


@extend_schema(parameters=PARAMETERS, responses=OpenApiTypes.OBJECT)
class MonthlyStatisticsView(StatisticsView):
    """Requests per month, year vs previous year."""

    def get(self, request):
        filters = self.filters(request)
        months = selectors.requests_per_month(request.user, filters)
        return Response(
            {
                "year": filters.year,
                "previous_year": filters.previous,
                "months": [{"month": row.month, **_counts(row.counts)} for row in months],
            }
        )


@extend_schema(parameters=PARAMETERS, responses=OpenApiTypes.OBJECT)
class AdministrationStatisticsView(StatisticsView):
    """Requests and unique persons per administration."""

    def get(self, request):
        filters = self.filters(request)
        rows = selectors.requests_per_administration(request.user, filters)
        return Response(
            {
                "year": filters.year,
                "previous_year": filters.previous,
                "administrations": [
                    {
                        "id": row.administration_id,
                        "name": row.name,
                        "municipality": row.municipality,
                        **_counts(row.counts),
                        "unique_persons": row.persons,
                        "requests_per_person": row.requests_per_person,
                    }
                    for row in rows
                ],
            }
        )


@extend_schema(
    parameters=[OpenApiParameter("year", int, required=True)], responses=OpenApiTypes.OBJECT
)
class FollowupStatisticsView(APIView):
    """Controls, feedback, deep controls, site visits and signals of a year (regional)."""

    permission_classes = [CanViewStatistics]

    def get(self, request):
        raw = request.query_params.get("year", str(timezone.localdate().year))
        if not raw.isdigit() or not selectors.MIN_YEAR <= int(raw) <= selectors.MAX_YEAR:
            raise ValidationError({"year": ["Enter a year between 2000 and 2100."]})
        year = int(raw)
        data = selectors.followup_statistics(year)
        return Response(
            {
                "year": year,
                "controls": [
                    {
                        "period": p.label,
                        "controlled": p.controlled,
                        "approved": p.approved,
                        "not_approved": p.not_approved,
                        "reasons": [r["reason"] for r in p.rejections],
                    }
                    for p in data.controls
                ],
                "feedback": data.feedback,
                "deep_controls": dict(data.deep_controls),
                "site_visits": {
                    **data.site_visits,
                    "per_area": dict(data.site_visits["per_area"]),
                    "per_form": dict(data.site_visits["per_form"]),
                },
                "signals": dict(data.signals),
            }
        )
