from decimal import Decimal

import pytest

from placements import services as placements
from spink.accounts.models import PlacementTeam
from tests.factories import placement_officer, published_unit, social_worker, submitted_request

PERSON_SECRETS = ("Alva", "Testsson", "20120315", "2382")


@pytest.fixture
def worker():
    return social_worker(username="sekreterare", email="sekreterare@example.invalid")


@pytest.fixture
def officer(worker):
    return placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, email="officer@example.invalid"
    )


@pytest.fixture
def colleague(worker):
    """A second officer of the same team."""
    return placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, email="colleague@example.invalid"
    )


@pytest.fixture
def hvb_unit():
    return published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))


def taken_request(worker, officer, **overrides):
    request = submitted_request(worker, **overrides)
    return placements.take(actor=officer, request=request.pk)


def recommend(officer, request, unit):
    return placements.send_recommendation(
        actor=officer, request=request.pk, offering=unit.offerings.get().pk, daily_price=None
    )
