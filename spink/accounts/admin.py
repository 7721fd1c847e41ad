from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from spink.accounts.models import Administration, Municipality, OrgUnit, User
from spink.admin_safety import StrictHistoryAdmin


@admin.register(Municipality)
class MunicipalityAdmin(StrictHistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Administration)
class AdministrationAdmin(StrictHistoryAdmin):
    list_display = ["name", "municipality"]
    list_filter = ["municipality"]
    search_fields = ["name"]


@admin.register(OrgUnit)
class OrgUnitAdmin(StrictHistoryAdmin):
    list_display = ["name", "administration"]
    list_filter = ["administration__municipality", "administration"]
    search_fields = ["name"]


# The stubs give Django's UserAdmin.lookup_allowed Django 6's required `request`; in 5.2 it
# and StrictLookupAdmin's both default it to None.
@admin.register(User)
class UserAdmin(DjangoUserAdmin, StrictHistoryAdmin):  # type: ignore[misc]
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "municipality",
        "administration",
        "is_active",
    ]
    list_filter = ["role", "municipality", "administration", "placement_team", "is_active"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("Role and organisation"),
            {
                "fields": ("role", "placement_team", "municipality", "administration", "org_unit"),
            },
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (
            _("Role and organisation"),
            {
                "fields": ("role", "placement_team", "municipality", "administration", "org_unit"),
            },
        ),
    )
