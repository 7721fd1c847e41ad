from django.contrib import admin

from providers.models import (
    CorporateGroup,
    FrameworkAgreement,
    Permit,
    Provider,
    ProviderPerson,
    Unit,
    UnitEvent,
)
from spink.admin_safety import ReadOnlyAdmin, StrictHistoryAdmin


@admin.register(CorporateGroup)
class CorporateGroupAdmin(StrictHistoryAdmin):
    search_fields = ["name"]


class ProviderPersonInline(admin.TabularInline):
    model = ProviderPerson
    extra = 0


@admin.register(Provider)
class ProviderAdmin(StrictHistoryAdmin):
    list_display = ["legal_name", "org_number", "legal_form", "corporate_group", "municipality"]
    list_filter = ["legal_form", "municipality"]
    search_fields = ["legal_name", "org_number"]
    inlines = [ProviderPersonInline]


@admin.register(Unit)
class UnitAdmin(StrictHistoryAdmin):
    """Status and stops are read-only here: they change only through the register's services."""

    list_display = [
        "name",
        "provider",
        "municipality",
        "status",
        "recommendation_stop",
        "order_stop",
    ]
    list_filter = ["status", "municipality", "recommendation_stop", "order_stop"]
    search_fields = ["name", "provider__legal_name", "provider__org_number"]
    readonly_fields = ["status", "recommendation_stop", "order_stop", "status_changed_at"]
    raw_id_fields = ["provider"]


@admin.register(FrameworkAgreement)
class FrameworkAgreementAdmin(StrictHistoryAdmin):
    list_display = ["name", "reference", "area", "valid_from", "valid_to", "is_open"]
    filter_horizontal = ["services"]


@admin.register(Permit)
class PermitAdmin(StrictHistoryAdmin):
    list_display = ["permit_number", "unit", "valid_from", "valid_to", "revoked_on"]
    search_fields = ["permit_number", "unit__name"]
    raw_id_fields = ["unit"]


@admin.register(UnitEvent)
class UnitEventAdmin(ReadOnlyAdmin):
    list_display = ["unit", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind"]
