"""Read-only admin views. Person fields never appear here, and what would point at a protected
person is left off its records' pages (spink.admin_safety): administrators are not among those
who may see a protected identity, and the admin is no place to browse person data."""

from django.contrib import admin

from placements.models import Deviation, PersonDataAccess, PlacementRequest, TimelineEvent
from spink.admin_safety import ReadOnlyAdmin


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


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["request", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["request", "actor"]


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyAdmin):
    list_display = ["request", "status", "created_at", "closed_at"]
    list_filter = ["status"]
    list_select_related = ["request"]


@admin.register(PersonDataAccess)
class PersonDataAccessAdmin(ReadOnlyAdmin):
    list_display = ["request", "user", "channel", "at"]
    list_filter = ["channel"]
    list_select_related = ["request", "user"]
