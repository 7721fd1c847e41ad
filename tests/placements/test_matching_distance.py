"""Distance in matching ("nära sin familj"): kilometres from the preferred municipality, else
the home municipality, to each unit; a fit point when near; nearest first within a fit."""

import math
from decimal import Decimal

import pytest
from django.db.models import FloatField, Value
from django.utils import translation

from placements.api.serializers import CandidateSerializer
from placements.matching import excluded_offerings, match, rank_candidates
from placements.models import PlacementRequest
from providers.models import Unit
from spink.accounts.models import Municipality
from spink.db import EARTH_RADIUS_KM, GreatCircleKm
from tests.factories import (
    MunicipalityFactory,
    OrgUnitFactory,
    published_unit,
    social_worker,
    submitted_request,
)
from tests.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

# Town centres (WGS 84), as in devtools/demo/data/municipalities.csv.
GOTEBORG = ("Göteborg", "1480", "57.70716", "11.96679")
MOLNDAL = ("Mölndal", "1481", "57.65567", "12.01376")
KUNGALV = ("Kungälv", "1482", "57.87081", "11.98050")
ALINGSAS = ("Alingsås", "1489", "57.93020", "12.53350")  # some 42 km from Göteborg


def municipality(name, code, latitude=None, longitude=None) -> Municipality:
    return MunicipalityFactory(
        name=name,
        code=code,
        latitude=None if latitude is None else Decimal(latitude),
        longitude=None if longitude is None else Decimal(longitude),
    )


def request_from(home: Municipality, **overrides) -> PlacementRequest:
    """A submitted HVB request of a social worker in `home`'s administration."""
    worker = social_worker(OrgUnitFactory(administration__municipality=home))
    return submitted_request(worker, **overrides)


def unit_in(where: Municipality, name: str, price="4000", form="framework", **kwargs) -> Unit:
    return published_unit(
        "hvb", form, name=name, municipality=where, price=Decimal(price), **kwargs
    )


def by_unit(candidates) -> dict:
    return {candidate.unit.name: candidate for candidate in candidates}


def names(request) -> list[str]:
    return [candidate.unit.name for candidate in match(request).candidates]


@pytest.fixture
def region():
    return {
        "goteborg": municipality(*GOTEBORG),
        "molndal": municipality(*MOLNDAL),
        "kungalv": municipality(*KUNGALV),
        "alingsas": municipality(*ALINGSAS),
    }


def test_distance_from_goteborg_to_kungalv_agrees_with_a_hand_computation(region):
    unit_in(region["kungalv"], "I Kungälv")
    [candidate] = match(request_from(region["goteborg"])).candidates
    # By hand: 0.16365° of latitude (18.20 km) and 0.01371° of longitude at 57.79° N
    # (0.81 km) apart; √(18.20² + 0.81²) = 18.22 km.
    north = 0.16365 * math.pi / 180 * 6371.0
    east = 0.01371 * math.pi / 180 * 6371.0 * math.cos(math.radians(57.789))
    assert candidate.distance_km == pytest.approx(math.hypot(north, east), abs=0.1)
    assert 17 <= candidate.distance_km <= 20
    assert candidate.distance_km == round(candidate.distance_km, 1)  # one decimal


def test_without_a_preferred_municipality_distance_is_from_the_home_municipality(region):
    unit_in(region["goteborg"], "I Göteborg")
    unit_in(region["molndal"], "I Mölndal")
    candidates = by_unit(match(request_from(region["goteborg"])).candidates)
    assert candidates["I Göteborg"].distance_km == 0.0
    assert candidates["I Mölndal"].distance_km == pytest.approx(6.4, abs=0.1)


def test_a_preferred_municipality_is_where_distance_is_measured_from(region):
    unit_in(region["goteborg"], "I Göteborg")
    unit_in(region["kungalv"], "I Kungälv")
    request = request_from(region["goteborg"], preferred_municipality=region["molndal"])
    candidates = by_unit(match(request).candidates)
    assert candidates["I Göteborg"].distance_km == pytest.approx(6.4, abs=0.1)
    assert candidates["I Kungälv"].distance_km == pytest.approx(24.0, abs=0.2)
    with translation.override("en"):
        reasons = by_unit(match(request).candidates)["I Kungälv"].reasons
    assert "24 km from Mölndal" in reasons


def test_a_units_own_coordinates_come_before_its_municipalitys_centre(region):
    # A Göteborg unit that stands in Mölndal's centre.
    unit_in(
        region["goteborg"],
        "Egen adress",
        latitude=Decimal(MOLNDAL[2]),
        longitude=Decimal(MOLNDAL[3]),
    )
    unit_in(region["goteborg"], "Kommunens mitt")
    candidates = by_unit(match(request_from(region["goteborg"])).candidates)
    assert candidates["Egen adress"].distance_km == pytest.approx(6.4, abs=0.1)
    assert candidates["Kommunens mitt"].distance_km == 0.0


def test_no_distance_without_coordinates_on_either_side(region):
    nowhere = municipality("Okänd ort", "9801")  # no coordinates
    unit_in(nowhere, "Utan läge")
    unit_in(region["kungalv"], "I Kungälv")
    with translation.override("en"):
        known_home = by_unit(match(request_from(region["goteborg"])).candidates)
        unknown_home = by_unit(match(request_from(nowhere)).candidates)
    assert known_home["Utan läge"].distance_km is None
    assert not any(" km from " in reason for reason in known_home["Utan läge"].reasons)
    assert known_home["I Kungälv"].distance_km is not None
    # The request's own municipality has no coordinates: no distance to anything.
    assert [c.distance_km for c in unknown_home.values()] == [None, None]
    assert unknown_home["I Kungälv"].fit == unknown_home["Utan läge"].fit


def test_a_unit_within_the_near_distance_gets_a_fit_point_and_ranks_first(region):
    unit_in(region["alingsas"], "Långt bort billig", price="3000")
    unit_in(region["kungalv"], "Nära dyr", price="6000")
    request = request_from(region["goteborg"])
    candidates = by_unit(match(request).candidates)
    assert candidates["Nära dyr"].fit == candidates["Långt bort billig"].fit + 1
    assert names(request) == ["Nära dyr", "Långt bort billig"]


def test_the_near_distance_is_a_setting(region, settings):
    unit_in(region["alingsas"], "Alingsås")
    unit_in(region["kungalv"], "Kungälv")
    request = request_from(region["goteborg"])
    settings.MATCHING_NEAR_KM = 50
    fits = {name: c.fit for name, c in by_unit(match(request).candidates).items()}
    assert fits["Alingsås"] == fits["Kungälv"]
    settings.MATCHING_NEAR_KM = 10
    fits = {name: c.fit for name, c in by_unit(match(request).candidates).items()}
    assert fits["Alingsås"] == fits["Kungälv"]
    settings.MATCHING_NEAR_KM = 30
    fits = {name: c.fit for name, c in by_unit(match(request).candidates).items()}
    assert fits["Kungälv"] == fits["Alingsås"] + 1


def test_with_the_same_operating_form_and_fit_the_nearer_unit_ranks_before_the_cheaper(
    region, settings
):
    settings.MATCHING_NEAR_KM = 1  # nobody near: the fits are the same
    unit_in(municipality("Okänd ort", "9801"), "Okänt avstånd billigast", price="2000")
    unit_in(region["kungalv"], "Kungälv billig", price="3000")
    unit_in(region["molndal"], "Mölndal dyr", price="6000")
    unit_in(region["goteborg"], "Direkt i Göteborg", form="direct", price="1000")
    request = request_from(region["goteborg"])
    framework = [c for c in match(request).candidates if c.operating_form.code == "framework"]
    assert len({c.fit for c in framework}) == 1
    assert names(request) == [
        "Mölndal dyr",
        "Kungälv billig",
        "Okänt avstånd billigast",  # unknown distance last in its operating form
        "Direkt i Göteborg",  # the operating form still comes first
    ]


def test_the_reason_gives_kilometres_in_the_languages_number_format(region):
    unit_in(region["molndal"], "I Mölndal")
    unit_in(region["kungalv"], "I Kungälv")
    request = request_from(region["goteborg"])
    with translation.override("sv"):
        swedish = by_unit(match(request).candidates)
    with translation.override("en"):
        english = by_unit(match(request).candidates)
    assert "6.4 km from Göteborg" in english["I Mölndal"].reasons
    assert "18 km from Göteborg" in english["I Kungälv"].reasons  # whole km from 10 km
    [reason] = [r for r in swedish["I Mölndal"].reasons if "Göteborg" in r]
    assert reason.startswith("6,4 km ")  # "6,4 km från Göteborg" with the Swedish catalogue


def test_excluded_offerings_have_their_distance_too(region):
    unit_in(region["molndal"], "Fel kön", gender="male")
    [excluded] = excluded_offerings(request_from(region["goteborg"]))
    assert excluded.unit.name == "Fel kön"
    assert excluded.distance_km == pytest.approx(6.4, abs=0.1)


@pytest.mark.parametrize("preferred", [False, True])
def test_matching_takes_one_query_for_the_candidates_and_one_for_the_excluded_units(
    region, preferred, django_assert_num_queries
):
    unit_in(region["molndal"], "Mölndal")
    unit_in(region["kungalv"], "Kungälv")
    unit_in(region["goteborg"], "Fel kön", gender="male")
    overrides = {"preferred_municipality": region["kungalv"]} if preferred else {}
    request = request_from(region["goteborg"], **overrides)
    fresh = PlacementRequest.objects.get(pk=request.pk)  # no relation loaded
    with django_assert_num_queries(1):
        candidates = rank_candidates(fresh)
    assert all(candidate.distance_km is not None for candidate in candidates)
    fresh = PlacementRequest.objects.get(pk=request.pk)
    with django_assert_num_queries(2):
        result = match(fresh)
    assert [c.distance_km is not None for c in result.excluded] == [True]
    # Without the excluded units, their count comes with the candidates: one query.
    with django_assert_num_queries(1):
        counted = match(fresh, with_excluded=False)
    assert (len(counted.candidates), counted.excluded_count) == (2, 1)


def test_the_api_shows_the_candidates_distance(region):
    unit_in(region["molndal"], "Mölndal")
    unit_in(municipality("Okänd ort", "9801"), "Okänd")
    candidates = by_unit(match(request_from(region["goteborg"])).candidates)
    assert CandidateSerializer(candidates["Mölndal"]).data["distance_km"] == pytest.approx(6.4)
    assert CandidateSerializer(candidates["Okänd"]).data["distance_km"] is None


@pytest.mark.parametrize("value", ["0", "nära", "nan"])
def test_a_bad_near_distance_stops_start_up(tmp_path, value):
    result = manage(
        "check",
        env_overrides={**PRODUCTION, "SPINK_MATCHING_NEAR_KM": value},
        data_dir=tmp_path,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SPINK_MATCHING_NEAR_KM" in result.stderr


def test_great_circle_km_is_null_with_a_missing_coordinate_and_safe_at_the_antipodes():
    def km(*coordinates):
        values = [Value(c, output_field=FloatField()) for c in coordinates]
        return Municipality.objects.annotate(km=GreatCircleKm(*values)).values_list(
            "km", flat=True
        )[0]

    municipality(*GOTEBORG)
    assert km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert km(57.7, 11.9, 57.7, 11.9) == 0.0
    assert km(None, 11.9, 57.7, 11.9) is None
    assert km(57.7, 11.9, 57.7, None) is None
