from django.contrib import admin

from categories.models import CategoryArea, OperatingForm, Service, Subcategory
from spink.admin_safety import StrictHistoryAdmin


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
