"""API filters. Units use the register's shared `providers.filters.UnitFilter`; this module
only spells out for the OpenAPI schema what it cannot guess from it.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from providers.filters import UnitFilter
from providers.models import CorporateGroup, LegalForm, Provider
from providers.validators import normalise_org_number
from spink.accounts.models import Municipality


class ProviderApiFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", help_text="Words found in the legal name or organisation number."
    )
    legal_form = django_filters.ChoiceFilter(choices=LegalForm.choices)
    corporate_group = django_filters.ModelChoiceFilter(queryset=CorporateGroup.objects.all())
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(),
        to_field_name="code",
        help_text="SCB municipality code, as for units.",
    )

    class Meta:
        model = Provider
        fields = ["q", "legal_form", "corporate_group", "municipality"]

    def filter_text(self, queryset: QuerySet[Provider], name: str, value: str):
        for word in value.split():
            condition = Q(legal_name__icontains=word) | Q(org_number__icontains=word)
            org_number = normalise_org_number(word)
            if org_number != word:
                condition |= Q(org_number=org_number)
            queryset = queryset.filter(condition)
        return queryset


class UnitApiFilter(UnitFilter):
    """UnitFilter as it is; the schema learns that service and operating_form take codes."""

    @extend_schema_field(OpenApiTypes.STR)
    def filter_offering(self, queryset, name, value):
        return super().filter_offering(queryset, name, value)
