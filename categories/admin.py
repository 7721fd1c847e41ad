from django.contrib import admin

from categories.models import (
    Activity,
    CategoryArea,
    CategoryPlan,
    CouncilDecision,
    Goal,
    Kpi,
    KpiMeasurement,
    OperatingForm,
    Service,
    Strategy,
    Subcategory,
)
from spink.admin_safety import StrictHistoryAdmin, StrictLookupAdmin


class SubcategoryInline(admin.TabularInline):
    model = Subcategory
    extra = 0


@admin.register(OperatingForm)
class OperatingFormAdmin(StrictHistoryAdmin):
    list_display = ["name_sv", "name_en", "code", "preference_rank"]


@admin.register(CategoryArea)
class CategoryAreaAdmin(StrictHistoryAdmin):
    list_display = ["name_sv", "name_en", "code", "position"]


@admin.register(Service)
class ServiceAdmin(StrictHistoryAdmin):
    list_display = ["name_sv", "name_en", "area", "code", "is_active"]
    list_filter = ["area", "operating_forms", "is_active"]
    filter_horizontal = ["operating_forms"]
    inlines = [SubcategoryInline]
    search_fields = ["name_sv", "name_en", "code"]


@admin.register(Subcategory)
class SubcategoryAdmin(StrictHistoryAdmin):
    list_display = ["name_sv", "name_en", "service", "code", "is_active"]
    list_filter = ["service__area", "service"]
    search_fields = ["name_sv", "name_en", "code"]


# --- Category plans -----------------------------------------------------------------------------


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
