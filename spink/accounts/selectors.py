"""Reads of organisations and users, always through the access scope."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from spink.accounts import access
from spink.accounts.models import OrgUnit, User


def visible_org_units(user: User) -> QuerySet[OrgUnit]:
    return (
        access.visible(user, OrgUnit.objects.all())
        .select_related("administration__municipality")
        .annotate(member_count=Count("users"))
        .order_by("administration__municipality__name", "administration__name", "name")
    )


def org_unit_members(user: User, org_unit: OrgUnit) -> QuerySet[User]:
    return access.visible(user, User.objects.filter(org_unit=org_unit, is_active=True)).order_by(
        "last_name", "first_name"
    )
