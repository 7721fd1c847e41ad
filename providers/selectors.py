"""Reads of the provider register, always through the role's register scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from providers import rules
from providers.models import Provider, Unit, UnitEvent, UnitService
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User


def _offerings() -> Prefetch:
    return Prefetch(
        "offerings",
        queryset=UnitService.objects.select_related("service", "operating_form").order_by(
            "service__position", "operating_form__preference_rank"
        ),
    )


def visible_units(user: User, on: dt.date | None = None) -> QuerySet[Unit]:
    """Every unit for the register team and procurement; matchable units for those placing."""
    units = Unit.objects.select_related("provider", "municipality").prefetch_related(_offerings())
    if access.has_capability(user, Capability.VIEW_FULL_REGISTER):
        return units
    if access.has_capability(user, Capability.VIEW_REGISTER):
        return rules.matchable_units(on or timezone.localdate(), units)
    return units.none()


def visible_providers(user: User) -> QuerySet[Provider]:
    providers = Provider.objects.select_related("corporate_group", "municipality")
    if access.has_capability(user, Capability.VIEW_FULL_REGISTER):
        return providers
    if access.has_capability(user, Capability.VIEW_REGISTER):
        return providers.filter(units__in=visible_units(user)).distinct()
    return providers.none()


def unit_events(unit: Unit) -> QuerySet[UnitEvent]:
    return unit.events.select_related("actor").order_by("-created_at", "-id")


def unit_field_history(unit: Unit, limit: int = 100) -> list[dict]:
    """Field-level changes to a unit, newest first: who changed which field from what to what."""
    records = list(unit.history.select_related("history_user").order_by("-history_date")[:limit])
    changes = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if older is None:
            changes.append({"record": newer, "changes": [], "created": True})
            continue
        delta = newer.diff_against(older)
        changes.append({
            "record": newer,
            "changes": [
                {"field": Unit._meta.get_field(c.field).verbose_name, "old": c.old, "new": c.new}
                for c in delta.changes
            ],
            "created": False,
        })
    return changes
