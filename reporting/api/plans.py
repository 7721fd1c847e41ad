"""REST API of the category plans: read the plans, and the KPI values with their status.

Like the pages, the API answers a user's own municipality's plans only (an administrator's:
every municipality's); another municipality's plan answers 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from categories.models import CategoryArea
from reporting.models import Activity, CategoryPlan, CouncilDecision, Goal, Kpi, Strategy
from reporting.plans import selectors
from spink.accounts.access import Capability
from spink.accounts.api.permissions import RolePermission
from spink.accounts.http import AuthenticatedRequest
from spink.api import ID_PATH_PATTERN, ModelSerializer


class ActivitySerializer(ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "title", "description", "owner", "status", "start_date", "end_date"]


class KpiSerializer(ModelSerializer):
    class Meta:
        model = Kpi
        fields = [
            "id",
            "name",
            "unit",
            "target_text",
            "target_value",
            "direction",
            "source",
            "service",
        ]


class StrategySerializer(ModelSerializer):
    activities = ActivitySerializer(many=True, read_only=True)
    kpis = KpiSerializer(many=True, read_only=True)

    class Meta:
        model = Strategy
        fields = ["id", "title", "description", "activities", "kpis"]


class GoalSerializer(ModelSerializer):
    strategies = StrategySerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = ["id", "title", "description", "strategies"]


class DecisionSerializer(ModelSerializer):
    class Meta:
        model = CouncilDecision
        fields = ["id", "decided_on", "decision", "decided_by"]


class PlanSerializer(ModelSerializer):
    area = serializers.SlugRelatedField[CategoryArea](slug_field="code", read_only=True)
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)

    class Meta:
        model = CategoryPlan
        fields = ["id", "municipality", "municipality_name", "area", "year", "title", "adopted_on"]


class PlanDetailSerializer(PlanSerializer):
    goals = GoalSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [
            *PlanSerializer.Meta.fields,
            "current_state_analysis",
            "progress",
            "goals",
            "decisions",
        ]

    def get_progress(self, plan) -> dict:
        progress = selectors.activity_progress(plan)
        return {"completed": progress.completed, "total": progress.total}


class KpiValueSerializer(KpiSerializer):
    latest_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    latest_start = serializers.DateField(allow_null=True)
    latest_end = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    strategy = serializers.PrimaryKeyRelatedField[Strategy](read_only=True)

    class Meta(KpiSerializer.Meta):
        fields = [
            *KpiSerializer.Meta.fields,
            "strategy",
            "latest_value",
            "latest_start",
            "latest_end",
            "status",
        ]


class CategoryPlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Category plans with goals, strategies, activities, KPIs and council decisions."""

    request: AuthenticatedRequest
    permission_classes = [RolePermission]
    required_capability = Capability.VIEW_CATEGORY_PLANS
    lookup_value_regex = ID_PATH_PATTERN
    filterset_fields = {"municipality": ["exact"], "area__code": ["exact"], "year": ["exact"]}

    def get_queryset(self) -> QuerySet[CategoryPlan]:
        return selectors.visible_plans(self.request.user).prefetch_related(
            "goals__strategies__activities", "goals__strategies__kpis", "decisions"
        )

    def get_serializer_class(self):
        return PlanSerializer if self.action == "list" else PlanDetailSerializer

    @extend_schema(responses=KpiValueSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def kpis(self, request, pk=None):
        """Each KPI of the plan with its latest value and status against target
        (met / not_met / no_data / information)."""
        plan = self.get_object()
        return Response(KpiValueSerializer(selectors.plan_kpis(plan), many=True).data)
