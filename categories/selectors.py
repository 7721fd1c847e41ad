from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from categories.models import CategoryArea, OperatingForm, Service, Subcategory


def taxonomy() -> QuerySet[CategoryArea]:
    """Areas with their active services, each with operating forms and subcategories."""
    services = Service.objects.filter(is_active=True).prefetch_related(
        Prefetch("operating_forms", queryset=OperatingForm.objects.order_by("preference_rank")),
        Prefetch("subcategories", queryset=Subcategory.objects.filter(is_active=True)),
    )
    return CategoryArea.objects.prefetch_related(Prefetch("services", queryset=services))


def operating_forms() -> QuerySet[OperatingForm]:
    return OperatingForm.objects.order_by("preference_rank")
