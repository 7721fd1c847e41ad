"""Statistics API: the yearly request statistics and follow-up statistics as JSON.

Same capability (VIEW_STATISTICS), scope and filters as the pages; bad parameters answer 400
with field errors, like every other endpoint (spink.api)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from reporting.statistics import selectors
from reporting.statistics.forms import StatisticsFilterForm
from reporting.statistics.selectors import Comparison
from spink.accounts import access
from spink.accounts.access import Capability
from spink.api import IdModelChoiceField, IntegerFormField, refuse_empty_parameters
from spink.forms import model_choice_field

PARAMETERS = [
    OpenApiParameter(
        "year",
        {"type": "integer", "minimum": selectors.MIN_YEAR, "maximum": selectors.MAX_YEAR},
        required=True,
    ),
    OpenApiParameter(
        "municipality", {"type": "integer", "minimum": 1}, description="Administrators only."
    ),
    OpenApiParameter("administration", {"type": "integer", "minimum": 1}),
]


class CanViewStatistics(BasePermission):
    def has_permission(self, request, view) -> bool:
        return access.has_capability(request.user, Capability.VIEW_STATISTICS)


def _form_errors(form: forms.Form) -> ValidationError:
    """A form's errors in the API's shape: {"field": ["message", ...]}."""
    return ValidationError(
        {
            # An ErrorList yields its messages.
            ("non_field_errors" if name == "__all__" else name): [str(error) for error in errors]
            for name, errors in form.errors.items()
        }
    )


class ApiStatisticsFilterForm(StatisticsFilterForm):
    """The pages' filters, with the API's strict numbers (a year and ids in ASCII digits)
    and no empty parameters."""

    def clean(self):
        cleaned = super().clean()
        refuse_empty_parameters(self)
        return cleaned

    def __init__(self, data, *, user, **kwargs):
        super().__init__(data, user=user, **kwargs)
        self.fields["year"] = IntegerFormField(
            label=_("Year"), min_value=selectors.MIN_YEAR, max_value=selectors.MAX_YEAR
        )
        for name in ("municipality", "administration"):
            if name in self.fields:
                field = model_choice_field(self, name)
                self.fields[name] = IdModelChoiceField(
                    queryset=field.queryset, required=False, label=field.label
                )


class FollowupYearForm(forms.Form):
    year = IntegerFormField(
        label=_("Year"),
        min_value=selectors.MIN_YEAR,
        max_value=selectors.MAX_YEAR,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        refuse_empty_parameters(self)
        return cleaned


# --- Response documentation -------------------------------------------------------------------


class CountsSerializer(serializers.Serializer):
    previous = serializers.IntegerField(help_text="The year before.")
    current = serializers.IntegerField(help_text="The year.")
    difference = serializers.IntegerField()
    percent = serializers.IntegerField(
        allow_null=True, help_text="Change in per cent; null when the year before had none."
    )


class SubcategoryCountsSerializer(CountsSerializer):
    name = serializers.CharField()


class ServiceCountsSerializer(CountsSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    subcategories = SubcategoryCountsSerializer(many=True)


class AreaCountsSerializer(CountsSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    services = ServiceCountsSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    unique_persons = serializers.IntegerField()
    requests_per_person = serializers.FloatField(allow_null=True)
    placed = serializers.IntegerField()
    not_placed = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    open = serializers.IntegerField()
    lead_time_median_hours = serializers.FloatField(allow_null=True)
    lead_time_p90_hours = serializers.FloatField(allow_null=True)
    eu_assignments = serializers.IntegerField()


class RequestStatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    previous_year = serializers.IntegerField()
    areas = AreaCountsSerializer(many=True)
    total = CountsSerializer()
    summary = SummarySerializer()


class MonthCountsSerializer(CountsSerializer):
    month = serializers.IntegerField(min_value=1, max_value=12)


class MonthlyStatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    previous_year = serializers.IntegerField()
    months = MonthCountsSerializer(many=True)


class AdministrationCountsSerializer(CountsSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    municipality = serializers.CharField(help_text="The municipality's name.")
    unique_persons = serializers.IntegerField()
    requests_per_person = serializers.FloatField(allow_null=True)


class AdministrationStatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    previous_year = serializers.IntegerField()
    administrations = AdministrationCountsSerializer(many=True)


class ControlPeriodSerializer(serializers.Serializer):
    period = serializers.CharField()
    controlled = serializers.IntegerField()
    approved = serializers.IntegerField()
    not_approved = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class FeedbackStatisticsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    per_category = serializers.DictField(child=serializers.IntegerField())
    per_closing = serializers.DictField(child=serializers.IntegerField())


class SiteVisitStatisticsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    per_area = serializers.DictField(child=serializers.IntegerField())
    per_form = serializers.DictField(child=serializers.IntegerField())
    joint = serializers.IntegerField()
    appropriate = serializers.IntegerField()
    not_appropriate = serializers.IntegerField()


class FollowupStatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    controls = ControlPeriodSerializer(many=True)
    feedback = FeedbackStatisticsSerializer()
    deep_controls = serializers.DictField(
        child=serializers.IntegerField(), help_text="Decided deep controls per outcome."
    )
    site_visits = SiteVisitStatisticsSerializer()
    signals = serializers.DictField(
        child=serializers.IntegerField(), help_text="Signals raised per kind."
    )


# --- Views ------------------------------------------------------------------------------------


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
        form = ApiStatisticsFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise _form_errors(form)
        return form.filters()


@extend_schema(parameters=PARAMETERS, responses=RequestStatisticsSerializer)
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


@extend_schema(parameters=PARAMETERS, responses=MonthlyStatisticsSerializer)
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


@extend_schema(parameters=PARAMETERS, responses=AdministrationStatisticsSerializer)
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
    parameters=[
        OpenApiParameter(
            "year",
            {"type": "integer", "minimum": selectors.MIN_YEAR, "maximum": selectors.MAX_YEAR},
            description="The current year when left out.",
        )
    ],
    responses=FollowupStatisticsSerializer,
)
class FollowupStatisticsView(APIView):
    """Controls, feedback, deep controls, site visits and signals of a year (regional)."""

    permission_classes = [CanViewStatistics]

    def get(self, request):
        form = FollowupYearForm(request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        year = form.cleaned_data["year"] or timezone.localdate().year
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
