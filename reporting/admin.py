from django.contrib import admin

from reporting.models import (
    Activity,
    CategoryPlan,
    CouncilDecision,
    Goal,
    Kpi,
    KpiMeasurement,
    Strategy,
)
from spink.admin_safety import StrictHistoryAdmin, StrictLookupAdmin


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0


class CouncilDecisionInline(admin.TabularInline):
    model = CouncilDecision
    extra = 0


@admin.register(CategoryPlan)
class CategoryPlanAdmin(StrictHistoryAdmin):
    list_display = ["area", "year", "municipality"]
    list_filter = ["municipality", "area", "year"]
    inlines = [GoalInline, CouncilDecisionInline]


@admin.register(Strategy)
class StrategyAdmin(StrictLookupAdmin):
    list_display = ["title", "goal"]
    list_filter = ["goal__plan"]


@admin.register(Activity)
class ActivityAdmin(StrictHistoryAdmin):
    list_display = ["title", "strategy", "status"]
    list_filter = ["status", "strategy__goal__plan"]


class KpiMeasurementInline(admin.TabularInline):
    model = KpiMeasurement
    extra = 0


@admin.register(Kpi)
class KpiAdmin(StrictHistoryAdmin):
    list_display = ["name", "strategy", "source"]
    list_filter = ["source", "strategy__goal__plan"]
    inlines = [KpiMeasurementInline]
