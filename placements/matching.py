"""Matching a placement request against the register: ranked candidates and exclusions.

One annotated query fetches every offering of the requested service with a boolean per rule:
the register's matchability rules (providers.rules.MATCH_RULES) and the request's own needs
(REQUEST_CHECKS below). Offerings passing all are candidates; the rest are excluded with the
reasons of the rules they fail. Candidates rank by operating-form preference (own operation,
framework, direct procurement), then fit, then distance (nearest first, unknown last), then
price.

Distance ("near the family"): the same query measures, in SQL (spink.db.GreatCircleKm), the
great-circle kilometres from the request's reference point to each unit. The reference point
is the centre of the request's preferred municipality if it has one, else of its home
municipality (the administration's); the unit's place is its own coordinates, else its
municipality's centre. Either side without coordinates: no distance (None). The reference
point's coordinates are uncorrelated subqueries of that one query (computed once), so matching
stays one query however the request was loaded. A unit within settings.MATCHING_NEAR_KM earns
a fit point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm, Service
from placements.identity import age_on
from placements.models import PlacementRequest, RequestKind
from providers import rules as register_rules
from providers.models import Gender, Price, UnitService
from spink.accounts.models import Municipality
from spink.db import GreatCircleKm, Percentile
from spink.templatetags.spink_format import format_kilometres


@dataclass(frozen=True)
class RequestCheck:
    code: str
    reason: str | Promise
    condition: Callable[[PlacementRequest, dt.date], Q]


def _age_condition(request: PlacementRequest, on: dt.date) -> Q:
    age = age_on(request.person_birth_date, request.wanted_start or on)
    if age is None:
        return Q()
    return Q(unit__age_min__lte=age, unit__age_max__gte=age)


def _gender_condition(request: PlacementRequest, on: dt.date) -> Q:
    if request.person_gender not in (Gender.FEMALE, Gender.MALE):
        return Q()
    return Q(unit__gender__in=[Gender.ANY, request.person_gender])


def _needs(flag: str, unit_field: str) -> Callable[[PlacementRequest, dt.date], Q]:
    return lambda request, on: Q(**{f"unit__{unit_field}": True}) if getattr(request, flag) else Q()


def _eu_assignment_condition(request: PlacementRequest, on: dt.date) -> Q:
    # Assignments under the mass-flight directive go to the housing units that take them.
    if request.kind != RequestKind.EU_ASSIGNMENT:
        return Q()
    return Q(unit__takes_eu_assignments=True)


def _subcategory_condition(request: PlacementRequest, on: dt.date) -> Q:
    if request.subcategory_id is None:
        return Q()
    # An offering without subcategories offers the whole service. Exists, not a join: one row
    # per offering, whatever its number of subcategories.
    links = UnitService.subcategories.through.objects.filter(unitservice_id=OuterRef("pk"))
    return Q(Exists(links.filter(subcategory_id=request.subcategory_id))) | ~Q(Exists(links))


REQUEST_CHECKS: list[RequestCheck] = [
    RequestCheck("age", _("Outside the unit's age span"), _age_condition),
    RequestCheck("gender", _("The unit takes another gender"), _gender_condition),
    RequestCheck(
        "co_morbidity",
        _("Does not take co-morbidity"),
        _needs("needs_co_morbidity", "co_morbidity"),
    ),
    RequestCheck(
        "protected_housing",
        _("Not suitable for protected identity"),
        _needs("needs_protected_housing", "protected_housing_suitable"),
    ),
    RequestCheck(
        "wheelchair",
        _("Not wheelchair accessible"),
        _needs("needs_wheelchair_access", "wheelchair_accessible"),
    ),
    RequestCheck("pets", _("Does not allow pets"), _needs("needs_pets", "pets_allowed")),
    RequestCheck(
        "capacity",
        _("No place available"),
        lambda request, on: (
            Q(unit__available_places__isnull=True) | Q(unit__available_places__gt=0)
        ),
    ),
    RequestCheck("subcategory", _("Does not offer the subcategory"), _subcategory_condition),
    RequestCheck("eu_assignment", _("Does not take EU assignments"), _eu_assignment_condition),
]


@dataclass
class Candidate:
    offering: UnitService
    daily_price: Decimal | None
    reasons: list[str] = field(default_factory=list)  # why it matched, or why it is excluded
    fit: int = 0
    # Kilometres from the request's reference point (see the module's docstring), one
    # decimal; None when the reference point or the unit has no coordinates.
    distance_km: float | None = None

    @property
    def unit(self):
        return self.offering.unit

    @property
    def operating_form(self) -> OperatingForm:
        return self.offering.operating_form


@dataclass
class MatchResult:
    candidates: list[Candidate]
    excluded: list[Candidate] | None  # None: not asked for (see excluded_count)
    excluded_count: int


def current_price() -> Subquery:
    """The offering's daily price valid today (annotation)."""
    today = dt.date.today()
    return Subquery(
        Price.objects.filter(offering=OuterRef("pk"), valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .order_by("-valid_from")
        .values("daily_price")[:1],
        output_field=DecimalField(max_digits=9, decimal_places=2),
    )


def _service_offerings(request: PlacementRequest) -> QuerySet[UnitService]:
    return UnitService.objects.filter(service_id=request.service_id)


def _request_condition(request: PlacementRequest, on: dt.date) -> Q:
    condition = Q()
    for check in REQUEST_CHECKS:
        condition &= check.condition(request, on)
    return condition


def _reference_municipality(request: PlacementRequest) -> QuerySet[Municipality]:
    """Where distances are measured from: the preferred municipality (near the person's
    family), else the person's home municipality (the request's administration's)."""
    if request.preferred_municipality_id:
        return Municipality.objects.filter(pk=request.preferred_municipality_id)
    return Municipality.objects.filter(administrations=request.administration_id)


def _of_reference(request: PlacementRequest, name: str) -> Subquery:
    # Uncorrelated: PostgreSQL computes it once a query, however often the SQL uses it.
    return Subquery(_reference_municipality(request).order_by().values(name)[:1])


def _distance_km(request: PlacementRequest) -> GreatCircleKm:
    """The `distance_km` annotation: kilometres from the reference point to the unit (its own
    coordinates, else its municipality's centre), NULL when either has none."""
    return GreatCircleKm(
        _of_reference(request, "latitude"),
        _of_reference(request, "longitude"),
        # Both or neither on each (the models' constraints): never a mixed pair.
        Coalesce("unit__latitude", "unit__municipality__latitude"),
        Coalesce("unit__longitude", "unit__municipality__longitude"),
    )


def _fit(request: PlacementRequest):
    """Fit score: preferred municipality 2, within settings.MATCHING_NEAR_KM of the reference
    point 1 (needs the `distance_km` annotation), spoken language 1, known free places 1."""
    fit: Expression = Value(0)
    if request.preferred_municipality_id:
        fit += Case(
            When(unit__municipality_id=request.preferred_municipality_id, then=2), default=0
        )
    fit += Case(When(distance_km__lte=settings.MATCHING_NEAR_KM, then=1), default=0)
    if request.language:
        fit += Case(When(unit__languages__contains=[request.language.lower()], then=1), default=0)
    return fit + Case(When(unit__available_places__gt=0, then=1), default=0)


def _km(distance: float | None) -> float | None:
    return None if distance is None else round(distance, 1)


_Offerings = TypeVar("_Offerings", bound=QuerySet[Any])  # keeps the annotations' types


def _with_display_relations(offerings: _Offerings) -> _Offerings:
    return offerings.select_related(
        "unit__provider", "unit__municipality", "operating_form", "service"
    )


def _ranked(
    request: PlacementRequest, on: dt.date, offering_ids: Collection[int] | None = None
) -> QuerySet[UnitService]:
    """The matching offerings, annotated and ordered best first."""
    offerings = _service_offerings(request)
    if offering_ids is not None:
        offerings = offerings.filter(pk__in=offering_ids)
    return _with_display_relations(
        offerings.filter(register_rules.matchable_condition(on) & _request_condition(request, on))
        .annotate(
            price_today=current_price(),
            distance_km=_distance_km(request),
            distance_from=_of_reference(request, "name"),
        )
        .annotate(fit=_fit(request))
        .order_by(
            "operating_form__preference_rank",
            "-fit",
            F("distance_km").asc(nulls_last=True),
            F("price_today").asc(nulls_last=True),
            "unit__name",
            "pk",
        )
    )


def _candidates(request: PlacementRequest, offerings: Iterable[UnitService]) -> list[Candidate]:
    return [
        Candidate(
            offering,
            offering.price_today,  # type: ignore[attr-defined]
            _why_it_matches(request, offering),
            offering.fit,  # type: ignore[attr-defined]
            _km(offering.distance_km),  # type: ignore[attr-defined]
        )
        for offering in offerings
    ]


def rank_candidates(
    request: PlacementRequest,
    on: dt.date | None = None,
    limit: int | None = None,
    offering_ids: Collection[int] | None = None,
) -> list[Candidate]:
    """Matching offerings, best first, filtered and ranked by the database (optionally only
    `offering_ids`, to check that those offerings match)."""
    ranked = _ranked(request, on or dt.date.today(), offering_ids)
    return _candidates(request, ranked if limit is None else ranked[:limit])


def _excluded(request: PlacementRequest, on: dt.date) -> QuerySet[UnitService]:
    return _service_offerings(request).exclude(
        register_rules.matchable_condition(on) & _request_condition(request, on)
    )


def excluded_offerings(request: PlacementRequest, on: dt.date | None = None) -> list[Candidate]:
    """Offerings of the service that do not match, each with the reasons why."""
    on = on or dt.date.today()
    checks = {
        f"need_{check.code}": ExpressionWrapper(
            check.condition(request, on), output_field=BooleanField()
        )
        for check in REQUEST_CHECKS
    }
    offerings = _with_display_relations(
        register_rules.with_match_checks(_excluded(request, on), on)
        .annotate(**checks, price_today=current_price(), distance_km=_distance_km(request))
        .order_by("unit__name", "pk")
    )
    return [
        Candidate(
            offering,
            offering.price_today,
            register_rules.exclusion_reasons(offering)
            + [
                str(check.reason)
                for check in REQUEST_CHECKS
                if not getattr(offering, f"need_{check.code}")
            ],
            distance_km=_km(offering.distance_km),
        )
        for offering in offerings
    ]


# Officers see the best candidates first; the full list (hundreds for a common service in a
# regional register) is one "show all" away.
MATCH_LIMIT = 50


def match(
    request: PlacementRequest,
    on: dt.date | None = None,
    limit: int | None = MATCH_LIMIT,
    with_excluded: bool = True,
) -> MatchResult:
    """The ranked candidates and the excluded offerings with their reasons; without
    `with_excluded` only how many are excluded (a count instead of a hundred explained rows)."""
    on = on or dt.date.today()
    if with_excluded:
        excluded = excluded_offerings(request, on)
        return MatchResult(rank_candidates(request, on, limit), excluded, len(excluded))
    # The count comes with the candidates: every offering of the service less the matching
    # ones (counted over the whole ranking, before the limit), in the same query.
    counted = _ranked(request, on).annotate(
        matching_count=Window(Count("pk")),
        offering_count=Subquery(
            _service_offerings(request)
            .order_by()
            .values("service_id")
            .annotate(count=Count("pk"))
            .values("count")
        ),
    )
    offerings = list(counted if limit is None else counted[:limit])
    if not offerings:  # nothing matches: every offering of the service is excluded
        return MatchResult([], None, _service_offerings(request).count())
    first = offerings[0]
    excluded_count = first.offering_count - first.matching_count
    return MatchResult(_candidates(request, offerings), None, excluded_count)


def _why_it_matches(request: PlacementRequest, offering: UnitService) -> list[str]:
    unit = offering.unit
    reasons = [
        gettext("Offers %(service)s as %(form)s")
        % {"service": offering.service.name, "form": offering.operating_form.name.lower()}
    ]
    if request.person_birth_date:
        reasons.append(
            gettext("Age span %(low)s–%(high)s years") % {"low": unit.age_min, "high": unit.age_max}
        )
    if request.preferred_municipality_id and unit.municipality_id == (
        request.preferred_municipality_id
    ):
        reasons.append(gettext("In the preferred municipality"))
    distance = _km(offering.distance_km)  # type: ignore[attr-defined]  # annotated
    if distance is not None:
        reasons.append(
            gettext("%(km)s km from %(place)s")
            % {
                "km": format_kilometres(distance),
                "place": offering.distance_from,  # type: ignore[attr-defined]
            }
        )
    if request.language and request.language.lower() in unit.languages:
        reasons.append(gettext("Speaks %(language)s") % {"language": request.language})
    if unit.available_places:
        reasons.append(gettext("%(count)s places available") % {"count": unit.available_places})
    for flag, text in (  # marked for translation, translated here
        (request.needs_co_morbidity, gettext_noop("Takes co-morbidity")),
        (request.needs_protected_housing, gettext_noop("Suitable for protected identity")),
        (request.needs_wheelchair_access, gettext_noop("Wheelchair accessible")),
        (request.needs_pets, gettext_noop("Allows pets")),
        (request.kind == RequestKind.EU_ASSIGNMENT, gettext_noop("Takes EU assignments")),
    ):
        if flag:
            reasons.append(gettext(text))
    return reasons


# --- Price reasonableness ------------------------------------------------------------------


def framework_median_price(service: Service, on: dt.date | None = None) -> Decimal | None:
    """Median of today's framework daily prices for the service (None if there are none)."""
    on = on or dt.date.today()
    result = (
        Price.objects.filter(
            offering__service=service,
            offering__operating_form__code=OperatingForm.FRAMEWORK,
            valid_from__lte=on,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .aggregate(median=Percentile("daily_price", 0.5))["median"]
    )
    return None if result is None else Decimal(str(round(result, 2)))


def price_flag(offering: UnitService, price: Decimal | None, on: dt.date | None = None):
    """A warning text when a direct-procurement price is well above framework prices."""
    if price is None or offering.operating_form.code != OperatingForm.DIRECT:
        return None
    return price_flag_against(offering, price, framework_median_price(offering.service, on))


def price_flag_against(offering: UnitService, price: Decimal | None, median: Decimal | None):
    """price_flag, with the framework median of the offering's service already known (one
    query for a whole shortlist)."""
    if price is None or offering.operating_form.code != OperatingForm.DIRECT or median is None:
        return None
    limit = median * Decimal(str(settings.PRICE_FLAG_FACTOR))
    if price <= limit:
        return None
    return _(
        "%(price)s kr/day is more than %(percent)s %% above the median framework price "
        "(%(median)s kr/day) for %(service)s."
    ) % {
        "price": price,
        "percent": round((settings.PRICE_FLAG_FACTOR - 1) * 100),
        "median": median,
        "service": offering.service.name,
    }
