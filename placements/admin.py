"""Read-only admin views. Person fields are left out entirely: administrators are not among
those who may see a protected identity, and the admin is no place to browse person data."""

from django.contrib import admin

from placements.models import Deviation, PersonDataAccess, PlacementRequest, TimelineEvent

PERSON_FIELDS = [
    "person_identity_number",
    "person_first_name",
    "person_last_name",
    "person_address",
    "person_birth_date",
    "person_key",
]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlacementRequest)
class PlacementRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "kind",
        "status",
        "service",
        "urgency",
        "administration",
        "team",
        "submitted_at",
    ]
    list_filter = ["status", "kind", "urgency", "team", "service"]
    search_fields = ["reference"]
    exclude = PERSON_FIELDS


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["request", "kind", "actor", "created_at"]
    list_filter = ["kind"]


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyAdmin):
    list_display = ["request", "status", "created_at", "closed_at"]
    list_filter = ["status"]


@admin.register(PersonDataAccess)
class PersonDataAccessAdmin(ReadOnlyAdmin):
    list_display = ["request", "user", "channel", "at"]
    list_filter = ["channel"]
