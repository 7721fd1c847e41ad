"""Yearly statistics of placement requests and supplier follow-up, aggregated in PostgreSQL.

Every request statistic starts from `spink.accounts.access.visible` (a manager sees their own
municipality, an administrator everything) and counts non-draft placement requests by the
time they were submitted. Counts come from `placements.RequestTally` (requests per month
and dimension, kept by database triggers), so a year's page sums a few thousand tally rows
instead of counting ~150,000 requests; what cannot be summed (unique persons, lead-time
percentiles) reads the year's requests through a covering index. Each function is one or two
queries whatever the number of requests; Python only arranges the grouped rows.

Follow-up statistics are about the regional provider register, which all municipalities
share, so they are the same for every holder of the statistics capability.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Func, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import get_language, gettext

from categories.models import Service
from followup import selectors as followup_selectors
from followup.models import DeepControl, Signal
from placements.models import PlacementRequest, RequestKind, RequestStatus, RequestTally
from spink.accounts import access
from spink.accounts.models import Administration, Municipality, User
from spink.db import Percentile, count_distinct

MIN_YEAR = 2000
MAX_YEAR = 2100


@dataclass(frozen=True)
class Filters:
    """What the statistics are about: a year (compared with the one before) and optionally
    one municipality and/or administration (always inside the user's scope)."""

    year: int
    municipality_id: int | None = None
    administration_id: int | None = None

    @property
    def previous(self) -> int:
        return self.year - 1


def percent_change(current: int, previous: int) -> int | None:
    """Change in whole percent, rounded half away from zero; None when there was nothing."""
    if not previous:
        return None
    value = Decimal(current - previous) * 100 / Decimal(previous)
    rounded = abs(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(rounded) if value >= 0 else -int(rounded)


@dataclass
class Comparison:
    previous: int = 0
    current: int = 0

    @property
    def difference(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> int | None:
        return percent_change(self.current, self.previous)

    def add(self, other: Comparison) -> None:
        self.previous += other.previous
        self.current += other.current


def _name(obj_sv: str, obj_en: str) -> str:
    return obj_en if (get_language() or "sv").startswith("en") else obj_sv


def _start(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=timezone.get_default_timezone())


def _in_scope(queryset: QuerySet, filters: Filters) -> QuerySet:
    if filters.municipality_id:
        queryset = queryset.filter(administration__municipality_id=filters.municipality_id)
    if filters.administration_id:
        queryset = queryset.filter(administration_id=filters.administration_id)
    return queryset.order_by()


def scoped_tallies(
    user: User, filters: Filters, kinds: tuple[str, ...] = (RequestKind.PLACEMENT,)
) -> QuerySet[RequestTally]:
    """Tallies of requests of the kinds (placement requests unless told) submitted in the year
    or the year before, in scope."""
    queryset = access.visible(user, RequestTally.objects.all()).filter(
        kind__in=kinds,
        month__gte=dt.date(filters.previous, 1, 1),
        month__lt=dt.date(filters.year + 1, 1, 1),
    )
    # A tally emptied by requests moving on holds 0: it must not show up as a row.
    return _in_scope(queryset, filters).exclude(requests=0)


def year_requests(
    user: User, filters: Filters, kinds: tuple[str, ...] = (RequestKind.PLACEMENT,)
) -> QuerySet[PlacementRequest]:
    """Non-draft requests of the kinds submitted in the year (not the year before), in scope."""
    queryset = access.visible(user, PlacementRequest.objects.all()).filter(
        kind__in=kinds,
        submitted_at__gte=_start(filters.year),
        submitted_at__lt=_start(filters.year + 1),
    )
    return _in_scope(queryset, filters).exclude(status=RequestStatus.DRAFT)


def _in_year(filters: Filters) -> Q:
    return Q(month__gte=dt.date(filters.year, 1, 1))


def _requests(condition: Q | None = None):
    return Coalesce(Sum("requests", filter=condition), 0)


def _comparison_counts(filters: Filters) -> dict:
    return {"current": _requests(_in_year(filters)), "previous": _requests(~_in_year(filters))}


# Placement requests and EU assignments summed from the same tallies in one pass.
BOTH_KINDS = (RequestKind.PLACEMENT, RequestKind.EU_ASSIGNMENT)
_PLACEMENT = Q(kind=RequestKind.PLACEMENT)
_EU = Q(kind=RequestKind.EU_ASSIGNMENT)


def _comparison_and_eu_counts(filters: Filters) -> dict:
    """Placement requests of the year and the year before, and EU assignments of the year."""
    return {
        "current": _requests(_PLACEMENT & _in_year(filters)),
        "previous": _requests(_PLACEMENT & ~_in_year(filters)),
        "eu_assignments": _requests(_EU & _in_year(filters)),
    }


# --- Requests per category area, service and subcategory ---------------------------------------


@dataclass
class SubcategoryRow:
    name: str
    counts: Comparison


@dataclass
class ServiceRow:
    service_id: int
    code: str
    name: str
    counts: Comparison
    subcategories: list[SubcategoryRow] = field(default_factory=list)


@dataclass
class AreaRow:
    code: str
    name: str
    services: list[ServiceRow] = field(default_factory=list)
    counts: Comparison = field(default_factory=Comparison)


@dataclass
class CategoryTable:
    areas: list[AreaRow]
    total: Comparison

    def service(self, code: str) -> ServiceRow:
        return next(s for area in self.areas for s in area.services if s.code == code)


def requests_per_category(user: User, filters: Filters) -> CategoryTable:
    """Requests per category area → service → subcategory, year vs previous year (2 queries)."""
    # Rows also carry the counts of _comparison_counts, which the checker cannot see.
    grouped: QuerySet[Any, Mapping[str, Any]] = (
        scoped_tallies(user, filters)
        .values("service_id", "subcategory__name_sv", "subcategory__name_en")
        .annotate(**_comparison_counts(filters))
        .order_by("service_id", "subcategory__position", "subcategory__name_sv")
    )
    per_service: dict[int, list[Mapping[str, Any]]] = {}
    for row in grouped:
        per_service.setdefault(row["service_id"], []).append(row)
    areas: dict[str, AreaRow] = {}
    total = Comparison()
    services = Service.objects.select_related("area").order_by(
        "area__position", "area__code", "position", "code"
    )
    for service in services:
        rows = per_service.get(service.pk, [])
        if not service.is_active and not rows:
            continue
        service_row = ServiceRow(
            service.pk, service.code, _name(service.name_sv, service.name_en), Comparison()
        )
        for row in rows:
            counts = Comparison(row["previous"], row["current"])
            service_row.counts.add(counts)
            if row["subcategory__name_sv"] is not None:
                service_row.subcategories.append(
                    SubcategoryRow(
                        _name(row["subcategory__name_sv"], row["subcategory__name_en"]), counts
                    )
                )
        area = areas.setdefault(
            service.area.code,
            AreaRow(service.area.code, _name(service.area.name_sv, service.area.name_en)),
        )
        area.services.append(service_row)
        area.counts.add(service_row.counts)
        total.add(service_row.counts)
    return CategoryTable(list(areas.values()), total)


# --- Per month and per administration ----------------------------------------------------------


@dataclass
class MonthRow:
    month: int
    counts: Comparison


def requests_per_month(user: User, filters: Filters) -> list[MonthRow]:
    """Requests per calendar month (local time), year vs previous year (1 query)."""
    grouped: QuerySet[Any, Mapping[str, Any]] = (
        scoped_tallies(user, filters)
        .annotate(month_number=ExtractMonth("month"))
        .values("month_number")
        .annotate(**_comparison_counts(filters))
        .order_by("month_number")
    )
    counts = {row["month_number"]: Comparison(row["previous"], row["current"]) for row in grouped}
    return [MonthRow(month, counts.get(month, Comparison())) for month in range(1, 13)]


@dataclass
class AdministrationRow:
    administration_id: int
    name: str
    municipality: str
    counts: Comparison
    persons: int
    eu_assignment_count: int = 0  # EU assignments of the year
    eu_assigned_persons: int = 0  # distinct persons they assign

    @property
    def requests_per_person(self) -> Decimal | None:
        return _ratio(self.counts.current, self.persons)


def _ratio(requests: int, persons: int) -> Decimal | None:
    if not persons:
        return None
    return (Decimal(requests) / Decimal(persons)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def requests_per_administration(user: User, filters: Filters) -> list[AdministrationRow]:
    """Requests and unique persons per administration, with the year's EU assignments and the
    persons they assign (2 queries: tallies, persons — both kinds in the same pass)."""
    grouped: QuerySet[Any, Mapping[str, Any]] = (
        scoped_tallies(user, filters, kinds=BOTH_KINDS)
        .values("administration_id", "administration__name", "administration__municipality__name")
        .annotate(**_comparison_and_eu_counts(filters))
        .order_by("administration__municipality__name", "administration__name")
    )
    persons = count_distinct(
        year_requests(user, filters, kinds=BOTH_KINDS),
        "person_key",
        by=["administration_id", "kind"],
    )
    return [
        AdministrationRow(
            row["administration_id"],
            row["administration__name"],
            row["administration__municipality__name"],
            Comparison(row["previous"], row["current"]),
            persons.get((row["administration_id"], RequestKind.PLACEMENT), 0),
            eu_assignment_count=row["eu_assignments"],
            eu_assigned_persons=persons.get(
                (row["administration_id"], RequestKind.EU_ASSIGNMENT), 0
            ),
        )
        for row in grouped
        # An administration with only last year's EU assignments has nothing to show.
        if row["previous"] or row["current"] or row["eu_assignments"]
    ]


# --- The year in figures: persons, outcomes, lead time, operating forms ------------------------


class EpochHours(Func):
    """Hours of an interval (PostgreSQL EXTRACT(EPOCH FROM ...) / 3600)."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)"
    output_field = FloatField()


@dataclass
class Summary:
    requests: int
    persons: int
    placed: int
    not_placed: int
    withdrawn: int
    open: int
    lead_time_median_hours: float | None
    lead_time_p90_hours: float | None
    eu_assignment_count: int  # EU assignments (requests) of the year
    eu_assigned_persons: int  # distinct persons they assign (the annual report's 217 in 2024)

    @property
    def requests_per_person(self) -> Decimal | None:
        return _ratio(self.requests, self.persons)

    @property
    def eu_assignments(self) -> int:
        """The API's `eu_assignments`: persons assigned, as it has always reported."""
        return self.eu_assigned_persons


def summary(user: User, filters: Filters) -> Summary:
    """The chosen year: requests, unique persons, outcomes and the lead time from submission
    to the first recommendation (median and 90th percentile, hours), EU assignments and the
    persons they assign — 3 queries: outcomes and EU assignments from the tallies; persons of
    both kinds and lead times from the year's requests."""
    closed = {RequestStatus.PLACED, RequestStatus.NOT_PLACED, RequestStatus.WITHDRAWN}
    outcomes = (
        scoped_tallies(user, filters, kinds=BOTH_KINDS)
        .filter(_in_year(filters))
        .aggregate(
            total=_requests(_PLACEMENT),
            placed=_requests(_PLACEMENT & Q(status=RequestStatus.PLACED)),
            not_placed=_requests(_PLACEMENT & Q(status=RequestStatus.NOT_PLACED)),
            withdrawn=_requests(_PLACEMENT & Q(status=RequestStatus.WITHDRAWN)),
            open=_requests(_PLACEMENT & ~Q(status__in=closed)),
            eu_assignments=_requests(_EU),
        )
    )
    persons = count_distinct(
        year_requests(user, filters, kinds=BOTH_KINDS), "person_key", by=["kind"]
    )
    lead = EpochHours(F("first_recommended_at") - F("submitted_at"))
    lead_times = year_requests(user, filters).aggregate(
        median=Percentile(lead, 0.5), p90=Percentile(lead, 0.9)
    )
    return Summary(
        requests=outcomes["total"],
        persons=persons.get((RequestKind.PLACEMENT,), 0),
        placed=outcomes["placed"],
        not_placed=outcomes["not_placed"],
        withdrawn=outcomes["withdrawn"],
        open=outcomes["open"],
        lead_time_median_hours=_hours(lead_times["median"]),
        lead_time_p90_hours=_hours(lead_times["p90"]),
        eu_assignment_count=outcomes["eu_assignments"],
        eu_assigned_persons=persons.get((RequestKind.EU_ASSIGNMENT,), 0),
    )


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass
class FormRow:
    name: str
    placed: int


def chosen_operating_forms(user: User, filters: Filters) -> list[FormRow]:
    """Placed requests of the year by the operating form of the chosen provider (1 query)."""
    grouped = (
        scoped_tallies(user, filters)
        .filter(_in_year(filters), status=RequestStatus.PLACED)
        .values(
            "operating_form__name_sv",
            "operating_form__name_en",
            "operating_form__preference_rank",
        )
        .annotate(placed=_requests())
        .order_by("operating_form__preference_rank")
    )
    rows = []
    for row in grouped:
        name_sv = row["operating_form__name_sv"]
        if name_sv is None:
            name = gettext("Not recorded")
        else:
            name = _name(name_sv, row["operating_form__name_en"])
        rows.append(FormRow(name, row["placed"]))
    return rows


# --- Filter options ----------------------------------------------------------------------------


def municipalities_for(user: User) -> QuerySet[Municipality]:
    if access.is_administrator(user):
        return Municipality.objects.order_by("name")
    # Without a municipality (None) this matches nothing, as Django reads pk=None.
    return Municipality.objects.filter(pk=user.municipality_id).order_by("name")  # type: ignore[misc]


def administrations_for(user: User, municipality_id: int | None = None) -> QuerySet[Administration]:
    queryset = Administration.objects.select_related("municipality").order_by(
        "municipality__name", "name"
    )
    if not access.is_administrator(user):
        # Without a municipality (None) this matches nothing.
        return queryset.filter(municipality_id=user.municipality_id)  # type: ignore[misc]
    if municipality_id:
        return queryset.filter(municipality_id=municipality_id)
    return queryset


def years_with_requests(user: User) -> list[int]:
    """The years from the first to the last request submitted in the user's scope, newest
    first (2 index lookups on the tallies; a year without requests in between is listed)."""
    months = access.visible(user, RequestTally.objects.all()).exclude(requests=0)
    first = months.order_by("month").values_list("month", flat=True).first()
    if first is None:
        return []
    last = months.order_by("-month").values_list("month", flat=True).first()
    assert last is not None  # there is a first month
    return list(range(last.year, first.year - 1, -1))


# --- Follow-up ---------------------------------------------------------------------------------


@dataclass
class FollowupStatistics:
    controls: list
    feedback: dict
    deep_controls: list[tuple[str, int]]
    site_visits: dict
    signals: list[tuple[str, int]]


def deep_control_outcomes(year: int) -> list[tuple[str, int]]:
    """Deep controls decided in the year per outcome (1 query)."""
    labels = dict(DeepControl.Outcome.choices)
    grouped = (
        DeepControl.objects.filter(decided_at__year=year)
        .exclude(outcome="")
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .order_by("outcome")
    )
    return [(str(labels.get(outcome, outcome)), n) for outcome, n in grouped]


def signals_by_kind(year: int) -> list[tuple[str, int]]:
    """Signals raised in the year per kind (1 query)."""
    labels = dict(Signal.Kind.choices)
    grouped = (
        Signal.objects.filter(created_at__year=year)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by("kind")
    )
    return [(str(labels.get(kind, kind)), n) for kind, n in grouped]


def followup_statistics(year: int) -> FollowupStatistics:
    return FollowupStatistics(
        controls=followup_selectors.control_statistics(year),
        feedback=followup_selectors.feedback_statistics(year),
        deep_controls=deep_control_outcomes(year),
        site_visits=followup_selectors.site_visit_statistics(year),
        signals=signals_by_kind(year),
    )
