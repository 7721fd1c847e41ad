"""`manage.py seed_demo`: the demo data of every part of Spink (devtools/demo/) is realistic,
obeys each part's rules, and a second run changes nothing.

The whole command runs once for this module (the `demo` fixture: ~300 units, their follow-up
and the demo requests), in a transaction rolled back after the last test
(tests.db_support.rolled_back). It runs without the history (`--no-history`, ~30,000 closed
requests and EU assignments, half a minute): tests/devtools/test_demo_history.py seeds that.
Each test reads that first run; a test that runs the command again does so in its own
transaction, rolled back after it as usual.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from devtools.demo import placements as demo_placements
from devtools.demo import register as demo_register
from followup import rules as followup_rules
from followup.models import Control, Feedback, Signal
from placements import matching
from placements.models import OPEN_STATUSES, PlacementRequest, RequestKind, RequestStatus
from providers import rules
from providers.models import PublicationStatus, Unit
from providers.rules import offering_has_needed_permit
from spink.accounts.models import Municipality, OrgUnit, Role, User
from tests.db_support import rolled_back
from tests.devtools.test_demo_coordinates import centre, km_between

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class FirstRun:
    """Row counts right after the first run of seed_demo on an empty database."""

    accounts: tuple[int, int, int]  # municipalities, org units, users


def first_run() -> FirstRun:
    with override_settings(DEMO_MODE=True):
        call_command("seed_demo", history=False, verbosity=0)
    return FirstRun(
        accounts=(Municipality.objects.count(), OrgUnit.objects.count(), User.objects.count())
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[FirstRun]:
    with rolled_back(django_db_blocker, first_run) as run:
        yield run


# --- Accounts ------------------------------------------------------------------------------


def test_seed_demo_is_idempotent_and_has_every_role(demo):
    counts = demo.accounts
    with override_settings(DEMO_MODE=True):
        call_command("seed_demo", history=False, verbosity=0)
    assert (Municipality.objects.count(), OrgUnit.objects.count(), User.objects.count()) == counts
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="chef").check_password("spink-demo-2026")


def test_seed_demo_without_demo_mode_leaves_no_usable_password(demo):
    with override_settings(DEMO_MODE=False):
        call_command("seed_demo", history=False, verbosity=0)
    assert not User.objects.get(username="chef").has_usable_password()


# --- The register ----------------------------------------------------------------------------


def test_demo_register_is_realistic_in_size_and_obeys_the_register_rules(demo):
    assert Unit.objects.count() >= 300
    assert set(Unit.objects.values_list("offerings__service__code", flat=True).distinct()) >= {
        "hvb",
        "socialt-boende",
        "skyddat-boende",
        "korttidsboende",
        "familjehem",
    }
    assert Unit.objects.filter(provider__corporate_group__isnull=False).exists()
    assert Unit.objects.filter(status=PublicationStatus.PAUSED).exists()
    assert Unit.objects.filter(order_stop=True).exists()
    assert Unit.objects.filter(recommendation_stop=True).exists()
    check_demo_register_obeys_the_register_rules()


def check_demo_register_obeys_the_register_rules():
    today = timezone.localdate()
    for unit in Unit.objects.filter(recommendation_stop=True):
        assert unit.offerings.filter(operating_form__code="direct").exists()
    for unit in Unit.objects.filter(order_stop=True):
        assert unit.offerings.filter(operating_form__code="framework").exists()
    published = Unit.objects.filter(status=PublicationStatus.PUBLISHED).prefetch_related(
        "offerings__service", "offerings__operating_form"
    )
    for unit in published:
        for offering in unit.offerings.all():
            assert offering_has_needed_permit(offering, today)
    matchable = rules.matchable_units(today).count()
    assert 0 < matchable <= published.count()


def test_seed_demo_twice_creates_the_register_once(demo):
    count = Unit.objects.count()
    call_command("seed_demo", history=False, verbosity=0)
    assert Unit.objects.count() == count


# --- Follow-up -------------------------------------------------------------------------------


def test_demo_follow_up_makes_every_published_direct_unit_publishable(demo):
    today = timezone.localdate()
    published_direct = Unit.objects.filter(
        status=PublicationStatus.PUBLISHED, offerings__operating_form__code="direct"
    ).distinct()
    assert published_direct.exists()
    for unit in published_direct:
        followup_rules.check_unit_publishable(unit, today)  # raises if the control is missing
    assert Control.objects.filter(decision=Control.Decision.REJECTED).exists()
    assert Feedback.objects.filter(status=Feedback.Status.CLOSED).exists()
    assert Signal.objects.filter(kind=Signal.Kind.CREDIT).exists()
    controls = Control.objects.count()
    call_command("seed_demo", history=False, verbosity=0)
    assert Control.objects.count() == controls


# --- Placement requests ----------------------------------------------------------------------


def test_demo_requests_cover_every_state_with_real_timelines(demo):
    statuses = set(PlacementRequest.objects.values_list("status", flat=True))
    assert statuses == set(RequestStatus.values)
    placed = PlacementRequest.objects.filter(status=RequestStatus.PLACED).first()
    assert list(placed.timeline.values_list("kind", flat=True))[-1] == "provider_chosen"
    assert PlacementRequest.objects.filter(protected_identity=True).exists()
    count = PlacementRequest.objects.count()
    call_command("seed_demo", history=False, verbosity=0)
    assert PlacementRequest.objects.count() == count


def test_demo_register_units_stand_around_their_municipalitys_centre(demo):
    """The seeded register of the module's run (test_demo_coordinates covers the file)."""
    spread = demo_register.UNIT_SPREAD_KM * math.sqrt(2)
    units = list(Unit.objects.select_related("municipality"))
    assert len(units) == demo_register.UNIT_COUNT
    assert {unit.municipality.code for unit in units} <= {"1480", "1481", "1482"}
    for unit in units:
        assert km_between(centre(unit.municipality), (unit.latitude, unit.longitude)) <= spread


def test_the_demo_register_has_housing_that_takes_eu_assignments_and_demo_eu_requests_match(
    demo,
):
    takers = Unit.objects.filter(takes_eu_assignments=True)
    assert set(takers.values_list("offerings__service__code", flat=True)) == set(
        demo_register.EU_HOUSING
    )
    published = takers.filter(status=PublicationStatus.PUBLISHED)
    assert published.filter(offerings__service__code="socialt-boende").count() >= 3
    assignments = PlacementRequest.objects.filter(kind=RequestKind.EU_ASSIGNMENT)
    assert assignments.count() == len(demo_placements.EU_PLAN)
    assert set(assignments.values_list("status", flat=True)) <= OPEN_STATUSES
    for request in assignments:
        result = matching.match(request)
        assert result.candidates, request.reference
        assert all(c.unit.takes_eu_assignments for c in result.candidates)
        assert result.excluded_count > 0
