"""Search and filters over the register, shared by the browser UI and the API.

Use it on `selectors.visible_units(user)`: the scope comes from there, this only narrows it.
Filters on offerings are `Exists` subqueries, so a unit with many offerings appears once and
the page query keeps its `LIMIT` exact.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm, Service
from providers import rules
from providers.models import Provider, PublicationStatus, Unit, UnitService
from providers.validators import normalise_org_number
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import Municipality

# Offered only to those who see the whole register: everyone else sees matchable,
# published units only, so these filters would tell them nothing.
FULL_REGISTER_FILTERS = ("status", "matchable")


def _yes_no_any() -> forms.Select:
    return forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        help_text=_("Unit name, provider name or organisation number."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    service = django_filters.ModelChoiceFilter(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("All services"),
        method="filter_offering",
    )
    operating_form = django_filters.ModelChoiceFilter(
        label=_("Operating form"),
        queryset=OperatingForm.objects.all(),
        to_field_name="code",
        empty_label=_("All operating forms"),
        method="filter_offering",
    )
    municipality = django_filters.ModelChoiceFilter(
        label=_("Municipality"),
        queryset=Municipality.objects.all(),
        to_field_name="code",
        empty_label=_("All municipalities"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Publication status"),
        choices=PublicationStatus.choices,
        empty_label=_("All statuses"),
    )
    recommendation_stop = django_filters.BooleanFilter(
        label=_("Recommendation stop"), widget=_yes_no_any()
    )
    order_stop = django_filters.BooleanFilter(label=_("Temporary order stop"), widget=_yes_no_any())
    matchable = django_filters.BooleanFilter(
        label=_("Matchable (shown to placement officers)"),
        method="filter_matchable",
        widget=_yes_no_any(),
    )

    class Meta:
        model = Unit
        fields = [
            "q",
            "service",
            "operating_form",
            "municipality",
            "status",
            "recommendation_stop",
            "order_stop",
            "matchable",
        ]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, on=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.on: dt.date = on or timezone.localdate()
        user = getattr(request, "user", None)
        if user is not None and not access.has_capability(user, Capability.VIEW_FULL_REGISTER):
            for name in FULL_REGISTER_FILTERS:
                self.filters.pop(name, None)

    def filter_text(self, queryset: QuerySet[Unit], name: str, value: str) -> QuerySet[Unit]:
        # Every word must match somewhere, so "Gården Backa" finds "Gården Backa 12".
        for word in value.split():
            condition = (
                Q(name__icontains=word)
                | Q(provider__legal_name__icontains=word)
                | Q(provider__org_number__icontains=word)
            )
            org_number = normalise_org_number(word)
            if org_number != word:
                condition |= Q(provider__org_number=org_number)
            queryset = queryset.filter(condition)
        return queryset

    def filter_offering(self, queryset: QuerySet[Unit], name: str, value) -> QuerySet[Unit]:
        # Service and operating form must hold for the same offering, so both are applied
        # together in filter_queryset.
        return queryset

    def filter_matchable(self, queryset: QuerySet[Unit], name: str, value) -> QuerySet[Unit]:
        if value is None:
            return queryset
        if value:
            return rules.matchable_units(self.on, queryset)
        return queryset.filter(
            ~Exists(rules.matchable_offerings(self.on).filter(unit=OuterRef("pk")))
        )

    def filter_queryset(self, queryset: QuerySet[Unit]) -> QuerySet[Unit]:
        data = self.form.cleaned_data
        offering = {name: data[name] for name in ("service", "operating_form") if data.get(name)}
        if offering:
            queryset = queryset.filter(
                Exists(UnitService.objects.filter(unit=OuterRef("pk"), **offering))
            )
        return super().filter_queryset(queryset)


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        help_text=_("Provider name or organisation number."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    class Meta:
        model = Provider
        fields = ["q"]

    def filter_text(self, queryset: QuerySet[Provider], name: str, value: str):
        for word in value.split():
            condition = Q(legal_name__icontains=word) | Q(org_number__icontains=word)
            org_number = normalise_org_number(word)
            if org_number != word:
                condition |= Q(org_number=org_number)
            queryset = queryset.filter(condition)
        return queryset
