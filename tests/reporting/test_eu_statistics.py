"""EU assignments in the managers' yearly statistics: assignments and assigned persons (distinct
person keys) of the year, in all and per administration, on the page and in the exports,
summed in the same queries as the placement figures."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from categories.models import Service
from placements.identity import person_key
from placements.models import PlacementRequest, RequestKind, RequestStatus
from reporting.statistics import selectors, tables
from reporting.statistics.selectors import Filters
from spink.accounts.models import Role
from tests.factories import AdministrationFactory, OrgUnitFactory, social_worker, user_with_role

pytestmark = pytest.mark.django_db

EU = RequestKind.EU_ASSIGNMENT
PLACEMENT = RequestKind.PLACEMENT


def local(year, month=3, day=1):
    return dt.datetime(year, month, day, 9, tzinfo=timezone.get_default_timezone())


def make(worker, identity, submitted, kind=EU, status=RequestStatus.PLACED):
    return PlacementRequest.objects.create(
        kind=kind,
        administration=worker.administration,
        org_unit=worker.org_unit,
        social_worker=worker,
        team="adults",
        service=Service.objects.get(code="socialt-boende"),
        urgency="planned",
        wanted_start=(submitted or timezone.now()).date(),
        person_identity_number=identity,
        person_is_reserve_number=True,
        person_first_name="Test",
        person_last_name="Person",
        person_key=person_key(identity),
        status=status,
        submitted_at=submitted,
    )


@pytest.fixture
def region():
    """Two administrations of one municipality and the year 2025, by hand:

    administration A: EU assignments of P1 (January), P1 again (June) and P2 (open, March) —
        3 assignments, 2 persons; P3's assignment of 2024 and a placement request for P1;
    administration B: an EU assignment of P1 (the person A assigned too) — 1 and 1; a draft
        EU assignment of P4, not counted;
    another municipality: an EU assignment the manager does not see.
    The municipality's year: 4 assignments of 2 persons (P1 counted once across A and B).
    """
    a = social_worker()
    b = social_worker(
        OrgUnitFactory(administration=AdministrationFactory(municipality=a.municipality))
    )
    make(a, "EU00000001", local(2025, 1))
    make(a, "EU00000001", local(2025, 6))
    make(a, "EU00000002", local(2025, 3), status=RequestStatus.SUBMITTED)
    make(a, "EU00000003", local(2024, 11))
    make(a, "EU00000001", local(2025, 2), kind=PLACEMENT)
    make(b, "EU00000001", local(2025, 4))
    make(b, "EU00000004", None, status=RequestStatus.DRAFT)
    make(social_worker(), "EU00000005", local(2025, 5))
    manager = user_with_role(Role.MANAGER, municipality=a.municipality)
    return manager, a.administration, b.administration


def test_the_year_counts_eu_assignments_and_distinct_assigned_persons(region):
    manager, _a, _b = region
    summary = selectors.summary(manager, Filters(2025))
    assert (summary.eu_assignment_count, summary.eu_assigned_persons) == (4, 2)
    assert summary.eu_assignments == 2  # the API's field: persons, as before
    # The placement figures still count placement requests only.
    assert (summary.requests, summary.persons, summary.placed, summary.open) == (1, 1, 1, 0)
    previous = selectors.summary(manager, Filters(2024))
    assert (previous.eu_assignment_count, previous.eu_assigned_persons) == (1, 1)


def test_eu_assignments_and_assigned_persons_per_administration(region):
    manager, a, b = region
    rows = {
        row.administration_id: row
        for row in selectors.requests_per_administration(manager, Filters(2025))
    }
    assert set(rows) == {a.pk, b.pk}
    assert (rows[a.pk].eu_assignment_count, rows[a.pk].eu_assigned_persons) == (3, 2)
    assert (rows[b.pk].eu_assignment_count, rows[b.pk].eu_assigned_persons) == (1, 1)
    assert (rows[a.pk].counts.current, rows[a.pk].persons) == (1, 1)
    assert (rows[b.pk].counts.current, rows[b.pk].counts.previous, rows[b.pk].persons) == (0, 0, 0)


def test_an_administration_with_only_last_years_eu_assignments_has_no_row(region):
    manager, a, b = region
    (row,) = selectors.requests_per_administration(manager, Filters(2026))
    # A's placement request of 2025 is the year before; B had only EU assignments then.
    assert row.administration_id == a.pk
    assert (row.counts.previous, row.eu_assignment_count, row.eu_assigned_persons) == (1, 0, 0)


def test_the_administration_filter_narrows_the_eu_figures(region):
    manager, _a, b = region
    summary = selectors.summary(manager, Filters(2025, administration_id=b.pk))
    assert (summary.eu_assignment_count, summary.eu_assigned_persons) == (1, 1)


def test_the_eu_figures_take_no_query_of_their_own(region, django_assert_num_queries):
    manager, _a, _b = region
    with django_assert_num_queries(3):  # outcomes and EU from the tallies, persons, lead times
        selectors.summary(manager, Filters(2025))
    with django_assert_num_queries(2):  # tallies of both kinds, persons of both kinds
        selectors.requests_per_administration(manager, Filters(2025))


def test_the_tables_show_the_eu_figures(region):
    manager, a, _b = region
    with translation.override("en"):
        summary = tables.summary_table(manager, Filters(2025))
        administrations = tables.administrations_table(manager, Filters(2025))
    figures = {row.cells[0]: row.cells[1] for row in summary.rows}
    assert figures["Assignments under the EU mass-flight directive"] == 4
    assert figures["Persons assigned under the EU mass-flight directive"] == 2
    assert administrations.columns[-2:] == ["EU assignments 2025", "Persons assigned (EU) 2025"]
    row = next(row for row in administrations.rows if row.cells[0] == a.name)
    assert row.cells[-2:] == [3, 2]


def test_the_page_and_the_csv_exports_hold_the_eu_figures(client, region):
    manager, a, b = region
    client.force_login(manager)
    page = client.get(reverse("statistics:yearly"), {"year": 2025})
    assert page.status_code == 200
    shown = {
        row["headers"][0]: row["cells"] for row in page.context["tables"]["summary"].display_rows()
    }
    assert len(shown) == len(page.context["tables"]["summary"].rows)

    url = reverse("statistics:export", kwargs={"table": "summary", "fmt": "csv"})
    text = client.get(url, {"year": 2025}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[-2][1:] == ["4"] and lines[-1][1:] == ["2"]

    url = reverse("statistics:export", kwargs={"table": "administrations", "fmt": "csv"})
    text = client.get(url, {"year": 2025}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    per_administration = {line[0]: line[-2:] for line in lines[2:]}
    assert per_administration == {a.name: ["3", "2"], b.name: ["1", "1"]}
