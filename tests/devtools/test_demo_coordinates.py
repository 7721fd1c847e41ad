"""The demo region's coordinates: data in devtools/demo/data/municipalities.csv, loaded by the
demo seed (idempotent), and the demo and scale units placed a few km around their centres."""

import math
import random
from decimal import Decimal

import pytest

from devtools.demo import accounts as demo_accounts
from devtools.demo import register as demo_register
from devtools.scale.register import generate_register
from providers.models import Unit
from spink.accounts.models import Municipality

pytestmark = pytest.mark.django_db

GOTEBORGSREGIONEN = {
    "1480": "Göteborg",
    "1481": "Mölndal",
    "1482": "Kungälv",
    "1402": "Partille",
    "1401": "Härryda",
    "1441": "Lerum",
    "1489": "Alingsås",
    "1440": "Ale",
    "1415": "Stenungsund",
    "1419": "Tjörn",
    "1407": "Öckerö",
    "1462": "Lilla Edet",
    "1384": "Kungsbacka",
}


def km_between(a, b) -> float:
    """Flat-earth kilometres between two (latitude, longitude): good to a few metres over a
    municipality."""
    (a_lat, a_lon), (b_lat, b_lon) = [(float(lat), float(lon)) for lat, lon in (a, b)]
    north = (b_lat - a_lat) * 111.2
    east = (b_lon - a_lon) * 111.2 * math.cos(math.radians((a_lat + b_lat) / 2))
    return math.hypot(north, east)


def centre(municipality: Municipality) -> tuple[float, float]:
    return float(municipality.latitude), float(municipality.longitude)


def test_the_file_lists_the_thirteen_municipalities_of_goteborgsregionen_with_centres():
    rows = demo_accounts.read_municipalities()
    assert {row["code"]: row["name"] for row in rows} == GOTEBORGSREGIONEN
    for row in rows:
        # Within the region's box, five decimals.
        assert Decimal("57.4") < row["latitude"] < Decimal("58.2"), row
        assert Decimal("11.5") < row["longitude"] < Decimal("12.6"), row
        assert row["latitude"].as_tuple().exponent == -5, row
    gothenburg = next(row for row in rows if row["code"] == "1480")
    assert km_between((57.7072, 11.9668), (gothenburg["latitude"], gothenburg["longitude"])) < 1
    # Every organisation of the demo stands in a municipality of the file.
    assert {code for _name, code in demo_accounts.ORGANISATIONS} <= set(GOTEBORGSREGIONEN)


def test_demo_seed_loads_every_municipality_with_its_coordinates_and_a_rerun_changes_nothing():
    demo_accounts.seed_organisations()
    loaded = {m.code: m for m in Municipality.objects.all()}
    assert set(loaded) == set(GOTEBORGSREGIONEN)
    for row in demo_accounts.read_municipalities():
        municipality = loaded[row["code"]]
        assert (municipality.name, municipality.latitude, municipality.longitude) == (
            row["name"],
            row["latitude"],
            row["longitude"],
        )
    history_rows = Municipality.history.count()
    demo_accounts.seed_organisations()
    assert Municipality.history.count() == history_rows
    assert Municipality.objects.count() == len(GOTEBORGSREGIONEN)


def test_demo_seed_brings_changed_coordinates_back_to_the_files():
    demo_accounts.seed_organisations()
    Municipality.objects.filter(code="1402").update(latitude=None, longitude=None)
    demo_accounts.seed_organisations()
    partille = Municipality.objects.get(code="1402")
    assert km_between((57.7394, 12.1064), centre(partille)) < 1


def test_near_centre_is_deterministic_a_few_km_off_and_empty_without_a_centre():
    molndal = Municipality(latitude=Decimal("57.65567"), longitude=Decimal("12.01376"))
    first = demo_register.near_centre(molndal, random.Random(1))
    assert first == demo_register.near_centre(molndal, random.Random(1))
    spread = demo_register.UNIT_SPREAD_KM * math.sqrt(2)
    points = [demo_register.near_centre(molndal, random.Random(n)) for n in range(50)]
    for point in points:
        assert km_between(centre(molndal), (point["latitude"], point["longitude"])) <= spread
    assert max(km_between(centre(molndal), (p["latitude"], p["longitude"])) for p in points) > 1
    rng, reference = random.Random(1), random.Random(1)
    assert demo_register.near_centre(Municipality(), rng) == {}
    reference.random(), reference.random()
    assert rng.random() == reference.random()  # it drew twice all the same: streams stay aligned


def test_scale_units_stand_around_their_municipalitys_centre_in_the_organised_ones():
    demo_accounts.seed_organisations()
    generate_register(60, progress=lambda message: None)
    units = list(Unit.objects.select_related("municipality"))
    assert len(units) == 60
    # Providers and units only where people are placed from: the demo's three organisations.
    assert {unit.municipality.code for unit in units} <= {"1480", "1481", "1482"}
    spread = demo_register.UNIT_SPREAD_KM * math.sqrt(2)
    for unit in units:
        assert unit.latitude is not None and unit.longitude is not None
        assert km_between(centre(unit.municipality), (unit.latitude, unit.longitude)) <= spread
    assert len({(unit.latitude, unit.longitude) for unit in units}) == len(units)
