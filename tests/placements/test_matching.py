"""Matching: every exclusion rule, the ranking, and the price flag."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from categories.models import Service, Subcategory
from placements import services
from placements.matching import framework_median_price, match, price_flag
from placements.models import RequestKind
from providers.models import PublicationStatus, Unit
from spink.accounts.models import PlacementTeam
from spink.errors import RuleViolation
from tests.factories import (
    MunicipalityFactory,
    offering,
    placement_officer,
    published_unit,
    request_fields,
    social_worker,
    submitted_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_for_girl():
    """A planned HVB request for a 14-year-old girl (born 2012-03-15)."""
    return submitted_request(social_worker())


def candidates(request):
    return [c.unit.name for c in match(request).candidates]


def excluded(request):
    return {c.unit.name: c.reasons for c in match(request).excluded}


def test_matching_unit_is_a_candidate_with_reasons(request_for_girl):
    published_unit("hvb", "framework", name="Fyren", age_min=12, age_max=17)
    result = match(request_for_girl)
    assert [c.unit.name for c in result.candidates] == ["Fyren"]
    assert any("HVB" in reason for reason in result.candidates[0].reasons)
    assert any("12–17" in reason for reason in result.candidates[0].reasons)


def test_units_of_other_services_are_not_considered(request_for_girl):
    published_unit("socialt-boende", "framework", name="Vuxenboende")
    assert match(request_for_girl).candidates == []
    assert "Vuxenboende" not in excluded(request_for_girl)


@pytest.mark.parametrize(
    ("unit_kwargs", "reason_fragment"),
    [
        ({"age_min": 16, "age_max": 20}, "age"),
        ({"gender": "male"}, "gender"),
        ({"available_places": 0}, "place"),
    ],
)
def test_target_group_and_capacity_exclude_with_a_reason(
    request_for_girl, unit_kwargs, reason_fragment
):
    published_unit("hvb", "framework", name="Utesluten", **unit_kwargs)
    with translation.override("en"):
        reasons = excluded(request_for_girl)["Utesluten"]
    assert len(reasons) == 1
    assert reason_fragment in reasons[0].lower()


@pytest.mark.parametrize(
    ("need", "unit_field"),
    [
        ("needs_co_morbidity", "co_morbidity"),
        ("needs_protected_housing", "protected_housing_suitable"),
        ("needs_wheelchair_access", "wheelchair_accessible"),
        ("needs_pets", "pets_allowed"),
    ],
)
def test_structured_needs_exclude_units_that_cannot_meet_them(need, unit_field):
    request = submitted_request(social_worker(), **{need: True})
    published_unit("hvb", "framework", name="Kan inte")
    published_unit("hvb", "framework", name="Kan", **{unit_field: True})
    assert candidates(request) == ["Kan"]
    assert list(excluded(request)) == ["Kan inte"]


@pytest.mark.parametrize(
    "status",
    [
        PublicationStatus.PAUSED,
        PublicationStatus.REMOVED,
        PublicationStatus.DRAFT,
        PublicationStatus.UNDER_CONTROL,
    ],
)
def test_unit_that_is_not_published_is_excluded(request_for_girl, status):
    unit = published_unit("hvb", "framework", name="Ej publicerad")
    Unit.objects.filter(pk=unit.pk).update(status=status)
    assert candidates(request_for_girl) == []
    assert "Ej publicerad" in excluded(request_for_girl)


def test_stopped_units_are_excluded(request_for_girl):
    direct = published_unit("hvb", "direct", name="Rekstopp")
    framework = published_unit("hvb", "framework", name="Beställningsstopp")
    Unit.objects.filter(pk=direct.pk).update(recommendation_stop=True)
    Unit.objects.filter(pk=framework.pk).update(order_stop=True)
    assert candidates(request_for_girl) == []
    assert set(excluded(request_for_girl)) == {"Rekstopp", "Beställningsstopp"}


def test_unit_without_valid_permit_is_excluded(request_for_girl):
    unit = published_unit("hvb", "framework", name="Utan tillstånd")
    unit.permits.update(revoked_on=dt.date(2026, 1, 1))
    assert any("IVO" in r for r in excluded(request_for_girl)["Utan tillstånd"])


def test_subcategory_must_be_offered_unless_the_offering_covers_the_whole_service():
    acute = Subcategory.objects.get(code="hvb--akut")
    request = submitted_request(social_worker(), subcategory=acute)
    treatment_only = published_unit("hvb", "framework", name="Bara behandling")
    treatment_only.offerings.get().subcategories.set(
        [Subcategory.objects.get(code="hvb--behandlingsuppdrag")]
    )
    acute_unit = published_unit("hvb", "framework", name="Akut")
    acute_unit.offerings.get().subcategories.set([acute])
    published_unit("hvb", "framework", name="Hela insatsen")
    assert sorted(candidates(request)) == ["Akut", "Hela insatsen"]
    assert list(excluded(request)) == ["Bara behandling"]


def test_ranking_prefers_own_then_framework_then_direct_then_fit_and_price(request_for_girl):
    published_unit("hvb", "direct", name="Direkt billig", price=Decimal("3000"))
    published_unit("hvb", "framework", name="Ramavtal dyr", price=Decimal("6000"))
    published_unit("hvb", "framework", name="Ramavtal billig", price=Decimal("4000"))
    published_unit("hvb", "own", name="Egen regi", price=Decimal("5000"))
    assert candidates(request_for_girl) == [
        "Egen regi",
        "Ramavtal billig",
        "Ramavtal dyr",
        "Direkt billig",
    ]


def test_preferred_municipality_ranks_first_within_an_operating_form():
    preferred = MunicipalityFactory(name="Kungälv", code="1482")
    request = submitted_request(social_worker(), preferred_municipality=preferred)
    published_unit("hvb", "framework", name="Billig i stan", price=Decimal("3500"))
    unit = published_unit("hvb", "framework", name="I Kungälv", price=Decimal("5000"))
    Unit.objects.filter(pk=unit.pk).update(municipality=preferred)
    assert candidates(request) == ["I Kungälv", "Billig i stan"]


def test_eu_assignment_matches_only_units_that_take_them():
    request = submitted_request(
        social_worker(),
        kind=RequestKind.EU_ASSIGNMENT,
        service=Service.objects.get(code="socialt-boende"),
        person_identity_number="811218-9876",
    )
    published_unit("socialt-boende", "direct", name="Vanligt boende")
    unit = published_unit("socialt-boende", "direct", name="Anvisningsboende")
    Unit.objects.filter(pk=unit.pk).update(takes_eu_assignments=True)
    assert candidates(request) == ["Anvisningsboende"]


# --- Price flag ------------------------------------------------------------------------------


@pytest.fixture
def framework_prices():
    for price in ("4000", "4200", "4400", "5000", "6000"):
        published_unit("hvb", "framework", price=Decimal(price))


def test_median_framework_price(framework_prices):
    assert framework_median_price(Service.objects.get(code="hvb")) == Decimal("4400")


def test_direct_procurement_price_well_above_framework_is_flagged(framework_prices):
    direct = published_unit("hvb", "direct", name="Dyr direkt").offerings.get()
    assert price_flag(direct, Decimal("5500")) is None  # 1.25 × 4400 = 5500 is the limit
    assert "4400" in str(price_flag(direct, Decimal("5510")))


def test_framework_prices_are_never_flagged(framework_prices):
    framework = published_unit("hvb", "framework").offerings.get()
    assert price_flag(framework, Decimal("99999")) is None


def test_flagged_price_needs_the_officers_confirmation(framework_prices):
    worker = social_worker()
    officer = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    request = services.create_request(actor=worker, **request_fields())
    services.submit(actor=worker, request=request.pk)
    services.take(actor=officer, request=request.pk)
    direct = published_unit("hvb", "direct", name="Dyr direkt").offerings.get()
    with pytest.raises(RuleViolation) as excinfo:
        services.send_recommendation(
            actor=officer, request=request.pk, offering=direct.pk, daily_price=Decimal("9000")
        )
    assert excinfo.value.code == "price_flagged"
    assert not request.recommendations.exists()
    recommendation = services.send_recommendation(
        actor=officer,
        request=request.pk,
        offering=direct.pk,
        daily_price=Decimal("9000"),
        accept_price_flag=True,
    )
    assert recommendation.price_flagged


def test_direct_procurement_recommendation_needs_a_price(framework_prices):
    from django.core.exceptions import ValidationError

    worker = social_worker()
    officer = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    direct = published_unit("hvb", "direct").offerings.get()
    with pytest.raises(ValidationError) as excinfo:
        services.send_recommendation(
            actor=officer, request=request.pk, offering=direct.pk, daily_price=None
        )
    assert "daily_price" in excinfo.value.message_dict


def test_offering_helper_creates_matrix_consistent_rows():
    unit = published_unit("hvb", "framework")
    extra = offering(unit, "hvb", "direct")
    assert extra.service.allows(extra.operating_form)


def test_the_excluded_count_is_right_with_a_limit_and_when_nothing_matches():
    worker = social_worker()
    for index in range(3):
        published_unit("hvb", "framework", name=f"HVB {index}", price=Decimal("4000"))
    published_unit("hvb", "framework", name="HVB Pojkar", gender="male")
    request = submitted_request(worker)
    limited = match(request, limit=2, with_excluded=False)
    assert (len(limited.candidates), limited.excluded_count) == (2, 1)
    assert match(request, with_excluded=True).excluded_count == 1
    boys = submitted_request(worker, person_gender="female", service=request.service)
    Unit.objects.filter(gender="any").update(gender="male")
    nothing = match(boys, with_excluded=False)
    assert (nothing.candidates, nothing.excluded_count) == ([], 4)
