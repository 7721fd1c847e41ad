"""Filters of the placement request list."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from categories.models import Service
from placements import selectors
from placements.models import PlacementRequest, RequestKind, RequestStatus, Urgency
from spink.accounts.models import PlacementTeam
from spink.api import BooleanFilter, FilterSet


class PlacementRequestFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(), to_field_name="code", help_text="Service code."
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    team = django_filters.ChoiceFilter(choices=PlacementTeam.choices)
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices)
    submitted_after = django_filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__gte",
        help_text="Submitted on or after this date (YYYY-MM-DD).",
    )
    submitted_before = django_filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__lte",
        help_text="Submitted on or before this date (YYYY-MM-DD).",
    )
    queue = BooleanFilter(
        method="filter_queue",
        help_text=(
            "The placement officer's work queue: open requests of the caller's team (or of "
            "`team`), acute first, then oldest first."
        ),
    )

    class Meta:
        model = PlacementRequest
        fields = [
            "status",
            "service",
            "urgency",
            "team",
            "kind",
            "submitted_after",
            "submitted_before",
            "queue",
        ]

    def filter_queue(self, queryset: QuerySet[PlacementRequest], name: str, value: bool | None):
        if not value:
            return queryset
        team = self.form.cleaned_data.get("team") or None
        # The queue's own rows and order; the other filters still apply through the subquery.
        return selectors.work_queue(self.request.user, team).filter(pk__in=queryset.values("pk"))
