"""The demo history (devtools/demo/history.py) reaches today: 2023–2024 reproduce the annual
report, 2025 up to yesterday are derived from 2024, and the EU assignments of 2024 concern
exactly the report's 217 persons — seeded once for the module (tests.db_support.rolled_back)."""

import datetime as dt

import pytest
from django.db.models import Count, F
from django.utils import timezone

from devtools.demo import history
from devtools.demo.history import seed_history
from placements.models import PlacementRequest, RequestKind, RequestStatus
from reporting.statistics import selectors
from reporting.statistics.selectors import Filters
from spink.accounts.models import Municipality, Role
from tests.db_support import rolled_back
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker, seed_history) as created:
        yield created


@pytest.fixture
def manager(seeded, db):
    return user_with_role(
        Role.MANAGER, municipality=Municipality.objects.get(code="1480"), username="chef.hist"
    )


def _history(kind=RequestKind.PLACEMENT):
    return PlacementRequest.objects.filter(person_first_name=history.FIRST_NAME, kind=kind)


def _per_service_and_year(kind=RequestKind.PLACEMENT) -> dict[str, dict[int, int]]:
    counts: dict[str, dict[int, int]] = {}
    rows = (
        _history(kind)
        .values_list("service__code", "submitted_at__year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for code, year, n in rows:
        counts.setdefault(code, {})[year] = n
    return counts


# --- Volumes (pure functions of the day) --------------------------------------------------


def test_volumes_keep_the_report_years_and_grow_from_2024():
    today = dt.date(2026, 12, 3)
    volumes = history.volumes(today)
    assert history.years(today) == [2023, 2024, 2025, 2026]
    for code, per_year in history.VOLUMES.items():
        assert volumes[code][2023] == per_year[2023]
        assert volumes[code][2024] == per_year[2024]
        assert volumes[code][2025] == round(per_year[2024] * 1.03)
        assert 0 < volumes[code][2026] < round(per_year[2024] * 1.03**2)
    assert sum(v[2025] for v in volumes.values()) == 7648
    assert sum(v[2026] for v in volumes.values()) == 7349
    assert history.volumes(today) == volumes  # deterministic
    assert history.eu_persons(today) == {2023: 556, 2024: 217, 2025: 163, 2026: 114}


def test_volumes_of_the_current_year_follow_the_day():
    assert history.years(dt.date(2025, 1, 1)) == [2023, 2024]  # no day of 2025 has passed
    assert history.years(dt.date(2027, 1, 2)) == [2023, 2024, 2025, 2026, 2027]
    early, late = history.volumes(dt.date(2026, 2, 1)), history.volumes(dt.date(2026, 11, 1))
    assert 0 < early["socialt-boende"][2026] < late["socialt-boende"][2026]


# --- The seeded history -------------------------------------------------------------------


def test_report_years_are_unchanged_and_later_years_reach_yesterday(seeded):
    today = timezone.localdate()
    counts = _per_service_and_year()
    assert counts == history.volumes(today)
    for code, (first, second) in {
        c: (v[2023], v[2024]) for c, v in history.VOLUMES.items()
    }.items():
        assert (counts[code][2023], counts[code][2024]) == (first, second), code
    assert sum(counts[c][2025] for c in counts) == 7648
    assert sum(counts[c].get(today.year, 0) for c in counts) > 0
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    rows = _history() | _history(RequestKind.EU_ASSIGNMENT)
    assert not rows.filter(submitted_at__gte=start_of_today).exists()
    assert not rows.filter(closed_at__gt=timezone.now()).exists()
    assert not rows.filter(first_recommended_at__lt=F("submitted_at")).exists()
    recent = rows.filter(submitted_at__gte=start_of_today - dt.timedelta(days=14))
    assert recent.count() > 50  # the lists show requests of the last weeks
    assert set(rows.values_list("status", flat=True)) == {
        RequestStatus.PLACED,
        RequestStatus.NOT_PLACED,
        RequestStatus.WITHDRAWN,
    }


def test_eu_assignments_of_2024_concern_exactly_217_persons(seeded):
    assignments = _history(RequestKind.EU_ASSIGNMENT)
    per_year = {
        year: (n, persons)
        for year, n, persons in assignments.values_list("submitted_at__year")
        .annotate(n=Count("pk"), persons=Count("person_key", distinct=True))
        .order_by()
        .values_list("submitted_at__year", "n", "persons")
    }
    assert per_year[2024] == (227, 217)  # ten persons were assigned twice
    assert per_year[2023] == (579, 556)
    assert per_year[2025][1] == 163
    today = timezone.localdate()
    assert per_year.get(today.year, (0, 0))[1] == history.eu_persons(today).get(today.year, 0)
    assert set(assignments.values_list("service__code", flat=True)) == {"socialt-boende"}
    assert set(assignments.values_list("team", flat=True)) == {"adults"}


def test_statistics_show_the_report_table_and_the_later_years(manager):
    table = selectors.requests_per_category(manager, Filters(2024))
    assert (table.total.previous, table.total.current) == (7056, 7425)  # no EU rows in it
    summary = selectors.summary(manager, Filters(2024))
    assert summary.requests == 7425
    assert summary.eu_assignments == 217
    table = selectors.requests_per_category(manager, Filters(2025))
    assert (table.total.previous, table.total.current) == (7425, 7648)
    this_year = timezone.localdate().year
    assert selectors.requests_per_category(manager, Filters(this_year)).total.current > 0


def test_history_is_idempotent(seeded):
    total = PlacementRequest.objects.count()
    assert seed_history() == 0
    assert PlacementRequest.objects.count() == total
    today = timezone.localdate()
    placements = sum(sum(v.values()) for v in history.volumes(today).values())
    assert seeded == placements + _history(RequestKind.EU_ASSIGNMENT).count()
