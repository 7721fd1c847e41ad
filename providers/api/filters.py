"""API filters. Units use the register's shared `providers.filters.UnitFilter`; this module
spells out for the OpenAPI schema what it cannot guess from it, and validates strictly what
the pages read leniently (a yes/no select there; `?order_stop=maybe` is an error here).
"""

from __future__ import annotations

import copy

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from providers.filters import FULL_REGISTER_FILTERS, UnitFilter
from providers.models import CorporateGroup, LegalForm, Provider
from providers.validators import normalise_org_number
from spink.accounts.models import Municipality
from spink.api import BooleanFilter, FilterSet, ModelChoiceFilter, StrictFilterSetMixin


class ProviderApiFilter(FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", help_text="Words found in the legal name or organisation number."
    )
    legal_form = django_filters.ChoiceFilter(choices=LegalForm.choices)
    corporate_group = ModelChoiceFilter(queryset=CorporateGroup.objects.all())
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


class UnitApiFilter(StrictFilterSetMixin, UnitFilter):
    """UnitFilter with strict yes/no parameters; the schema learns that service and
    operating_form take codes. Every documented parameter is validated for every caller
    (`?matchable=maybe` is an error), but `status` and `matchable` only narrow the lists of
    those who see the whole register: for everyone else they would tell nothing, so they
    are ignored, as on the pages."""

    recommendation_stop = BooleanFilter()
    order_stop = BooleanFilter()
    matchable = BooleanFilter(
        method="filter_matchable",
        help_text="Whether placement officers are shown the unit today.",
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, on=None):
        super().__init__(data, queryset, request=request, prefix=prefix, on=on)
        self.ignored = [name for name in FULL_REGISTER_FILTERS if name not in self.filters]
        for name in self.ignored:
            restored = copy.deepcopy(self.base_filters[name])
            restored.model = self.queryset.model
            restored.parent = self
            self.filters[name] = restored

    @extend_schema_field(OpenApiTypes.STR)
    def filter_offering(self, queryset, name, value):
        return super().filter_offering(queryset, name, value)

    def filter_queryset(self, queryset):
        for name in self.ignored:
            self.form.cleaned_data.pop(name, None)
        return super().filter_queryset(queryset)
