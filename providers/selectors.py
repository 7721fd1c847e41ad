"""Reads of the provider register, always through the role's register scope."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.db.models import Count, Exists, Field, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from categories.models import OperatingForm
from providers import rules
from providers.models import (
    AgreementUnit,
    FrameworkAgreement,
    Permit,
    Price,
    Provider,
    Unit,
    UnitEvent,
    UnitService,
)
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


# Bookkeeping fields that change with every save; listing them would bury the real changes.
_HISTORY_NOISE = ["updated_at", "status_changed_at"]


def unit_field_history(unit: Unit, limit: int = 100) -> list[dict]:
    """Field-level changes to a unit, newest first: who changed which field from what to what."""
    records = list(unit.history.select_related("history_user").order_by("-history_date")[:limit])
    changes = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if older is None:
            changes.append({"record": newer, "changes": [], "created": True})
            continue
        delta = newer.diff_against(older, excluded_fields=_HISTORY_NOISE)
        changes.append(
            {
                "record": newer,
                "changes": [
                    {
                        "name": c.field,
                        "field": cast(Field, Unit._meta.get_field(c.field)).verbose_name,
                        "old": c.old,
                        "new": c.new,
                    }
                    for c in delta.changes
                ],
                "created": False,
            }
        )
    return changes


def current_prices(on: dt.date) -> QuerySet[Price]:
    return Price.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )


def unit_page(user: User, pk: int, on: dt.date | None = None) -> Unit:
    """One unit in the user's register scope with everything its page shows; 404 outside it.

    Offerings carry `current_prices` (the price valid on `on`, a list of at most one).
    """
    on = on or timezone.localdate()
    units = visible_units(user, on).prefetch_related(
        Prefetch(
            "offerings__prices",
            queryset=current_prices(on).select_related("agreement"),
            to_attr="current_prices",
        ),
        "offerings__subcategories",
        Prefetch("permits", queryset=Permit.objects.prefetch_related("services")),
        Prefetch(
            "agreement_links",
            queryset=AgreementUnit.objects.select_related("agreement").order_by("-admitted_on"),
        ),
    )
    return get_object_or_404(units, pk=pk)


def provider_units(user: User, provider: Provider) -> QuerySet[Unit]:
    return visible_units(user).filter(provider=provider)


def agreements() -> QuerySet[FrameworkAgreement]:
    return (
        FrameworkAgreement.objects.select_related("area")
        .prefetch_related("services")
        .annotate(unit_count=Count("units"))
    )


def agreement_units(agreement: FrameworkAgreement) -> QuerySet[AgreementUnit]:
    return (
        AgreementUnit.objects.filter(agreement=agreement)
        .select_related("unit__provider", "unit__municipality")
        .order_by("unit__name", "unit__pk")
    )


def units_for_admission(agreement: FrameworkAgreement) -> QuerySet[Unit]:
    """Units offering one of the agreement's services in framework form, not yet on it."""
    framework_offering = UnitService.objects.filter(
        unit=OuterRef("pk"),
        operating_form__code=OperatingForm.FRAMEWORK,
        service__in=agreement.services.all(),
    )
    return (
        Unit.objects.filter(Exists(framework_offering))
        .exclude(agreement_links__agreement=agreement)
        .select_related("provider")
        .order_by("name", "pk")
    )
