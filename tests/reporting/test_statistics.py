"""Yearly statistics: the 2023–2024 history reproduces the annual report's table, scope,
lead times, unique persons, exports and the API."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from categories.models import Service
from devtools.demo.history import seed_history
from placements.identity import person_key
from placements.models import PlacementRequest, RequestStatus
from reporting.statistics import selectors
from reporting.statistics.selectors import Filters, percent_change
from spink.accounts.models import Municipality, Role
from tests.db_support import rolled_back
from tests.factories import OrgUnitFactory, social_worker, user_with_role

# The full history reaches yesterday (tests/devtools/test_demo_history.py); these tests need the
# annual report's years only.
REPORT_YEARS_SEEDED = dt.date(2025, 1, 1)

pytestmark = pytest.mark.django_db

# service code: (2023, 2024, difference, percent) — the domain brief's table.
DOMAIN_TABLE = {
    "socialt-boende": (3781, 4080, 299, 8),
    "nodbistand-boende": (346, 319, -27, -8),
    "behandlingsinsatser": (196, 168, -28, -14),
    "skyddat-boende": (409, 467, 58, 14),
    "bostad-forst": (82, 113, 31, 38),
    "hvb": (743, 664, -79, -11),
    "stodboende": (132, 138, 6, 5),
    "familjehem": (392, 358, -34, -9),
    "oppenvard": (103, 85, -18, -17),
    "korttidsvistelse": (134, 125, -9, -7),
    "korttidsboende": (738, 908, 170, 23),
}
NBSP = "\xa0"


def normalise(cell):
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else float(cell)


@pytest.fixture(scope="module")
def seeded_history(django_db_setup, django_db_blocker):
    """The annual report's two years of history (2023–2024, ~15,000 requests and EU assignments:
    the history as seeded on New Year's Day 2025), seeded once for the module and rolled back
    after its last test; the tests only read it (their own rows are rolled back as usual)."""
    with rolled_back(django_db_blocker, lambda: seed_history(today=REPORT_YEARS_SEEDED)) as created:
        assert created > 7056 + 7425  # the requests of the report's table, and EU assignments
        yield


@pytest.fixture
def history(seeded_history, db):
    return Municipality.objects.get(code="1480")


@pytest.fixture
def gothenburg_manager(history):
    return user_with_role(Role.MANAGER, municipality=history, username="chef.gbg")


def make_request(worker, service_code="hvb", *, submitted, hours=None, identity="HIST0000001"):
    service = Service.objects.get(code=service_code)
    return PlacementRequest.objects.create(
        administration=worker.administration,
        org_unit=worker.org_unit,
        social_worker=worker,
        team="children_youth",
        service=service,
        urgency="planned",
        wanted_start=submitted.date(),
        person_identity_number=identity,
        person_is_reserve_number=True,
        person_first_name="Test",
        person_last_name="Person",
        person_key=person_key(identity),
        status=RequestStatus.PLACED,
        submitted_at=submitted,
        first_recommended_at=None if hours is None else submitted + dt.timedelta(hours=hours),
        closed_at=submitted + dt.timedelta(days=20),
    )


def local(year, month=3, day=1, hour=9):
    return dt.datetime(year, month, day, hour, tzinfo=timezone.get_default_timezone())


def test_percent_change_rounds_half_away_from_zero():
    assert percent_change(105, 100) == 5
    assert percent_change(201, 200) == 1  # 0.5 → 1
    assert percent_change(199, 200) == -1  # -0.5 → -1
    assert percent_change(3, 0) is None


def test_history_seed_reproduces_the_whole_domain_table_and_is_idempotent(gothenburg_manager):
    table = selectors.requests_per_category(gothenburg_manager, Filters(2024))
    for code, (previous, current, difference, percent) in DOMAIN_TABLE.items():
        row = table.service(code)
        assert (row.counts.previous, row.counts.current) == (previous, current), code
        assert (row.counts.difference, row.counts.percent) == (difference, percent), code
    assert (table.total.previous, table.total.current) == (7056, 7425)
    assert (table.total.difference, table.total.percent) == (369, 5)
    assert seed_history() == 0
    placements = PlacementRequest.objects.filter(kind="placement")
    assert placements.filter(submitted_at__year__in=[2023, 2024]).count() == 14481


def test_dashboard_page_shows_every_service_of_the_domain_table(client, gothenburg_manager):
    client.force_login(gothenburg_manager)
    response = client.get(reverse("statistics:yearly"), {"year": 2024})
    assert response.status_code == 200
    categories = response.context["tables"]["categories"]
    shown = {
        row["headers"][1]: row["cells"] for row in categories.display_rows() if not row["level"]
    }
    names = dict(Service.objects.values_list("code", "name_sv"))
    for code, (previous, current, difference, percent) in DOMAIN_TABLE.items():
        cells = shown[names[code]]
        assert cells[0].replace(NBSP, " ") == f"{previous:,}".replace(",", " ")
        assert cells[1].replace(NBSP, " ") == f"{current:,}".replace(",", " ")
        assert cells[2] == str(difference)
        assert cells[3] == str(percent)
    total = categories.display_footer()[0]["cells"]
    assert [c.replace(NBSP, " ") for c in total] == ["7 056", "7 425", "369", "5"]
    html = response.content.decode()
    assert "Bostad först" in html and "7" + NBSP + "425" in html


def test_history_is_spread_over_months_administrations_and_outcomes(gothenburg_manager):
    filters = Filters(2024)
    months = selectors.requests_per_month(gothenburg_manager, filters)
    assert sum(m.counts.current for m in months) == 7425
    assert all(m.counts.current > 300 for m in months)
    administrations = selectors.requests_per_administration(gothenburg_manager, filters)
    assert len(administrations) == 5
    assert sum(a.counts.current for a in administrations) == 7425
    summary = selectors.summary(gothenburg_manager, filters)
    assert summary.placed > summary.not_placed > 0 and summary.withdrawn > 0
    assert summary.persons < summary.requests
    assert 0 < summary.lead_time_median_hours < summary.lead_time_p90_hours


def test_manager_of_another_municipality_sees_zeros(history):
    other = user_with_role(Role.MANAGER)
    table = selectors.requests_per_category(other, Filters(2024))
    assert (table.total.previous, table.total.current) == (0, 0)
    assert selectors.summary(other, Filters(2024)).requests == 0


def test_social_workers_may_not_see_statistics_pages_exports_or_api(client):
    client.force_login(social_worker())
    assert client.get(reverse("statistics:yearly")).status_code == 403
    assert client.get(reverse("statistics:followup")).status_code == 403
    url = reverse("statistics:export", kwargs={"table": "categories", "fmt": "csv"})
    assert client.get(url, {"year": 2024}).status_code == 403
    assert client.get("/api/v1/statistics/requests/?year=2024").status_code == 403


def test_lead_time_median_and_90th_percentile_in_hours():
    worker = social_worker()
    for hours in range(1, 11):
        make_request(worker, submitted=local(2025), hours=hours, identity=f"HIST00000{hours:02d}")
    make_request(worker, submitted=local(2025), hours=None, identity="HIST0000099")
    manager = user_with_role(Role.MANAGER, municipality=worker.municipality)
    summary = selectors.summary(manager, Filters(2025))
    assert summary.lead_time_median_hours == 5.5
    assert summary.lead_time_p90_hours == 9.1


def test_unique_persons_and_requests_per_person():
    worker = social_worker()
    make_request(worker, submitted=local(2025, 1), identity="HIST0000001")
    make_request(worker, submitted=local(2025, 5), identity="HIST0000001")
    make_request(worker, submitted=local(2025, 9), identity="HIST0000002")
    make_request(worker, submitted=local(2024, 9), identity="HIST0000003")  # previous year
    manager = user_with_role(Role.MANAGER, municipality=worker.municipality)
    summary = selectors.summary(manager, Filters(2025))
    assert (summary.requests, summary.persons) == (3, 2)
    assert str(summary.requests_per_person) == "1.50"
    (row,) = selectors.requests_per_administration(manager, Filters(2025))
    assert (row.counts.previous, row.counts.current, row.persons) == (1, 3, 2)


def test_administration_filter_narrows_the_statistics(history, gothenburg_manager, client):
    administration = history.administrations.order_by("name").first()
    filters = Filters(2024, administration_id=administration.pk)
    table = selectors.requests_per_category(gothenburg_manager, filters)
    assert 0 < table.total.current < 7425
    client.force_login(gothenburg_manager)
    response = client.get(
        reverse("statistics:yearly"), {"year": 2024, "administration": administration.pk}
    )
    total = response.context["tables"]["categories"].footer[0].cells
    assert total[4] == table.total.current


def test_statistics_page_takes_a_fixed_number_of_queries(
    client, gothenburg_manager, django_assert_num_queries
):
    client.force_login(gothenburg_manager)
    client.get(reverse("statistics:yearly"), {"year": 2024})
    # Session and user, years (2), filter options, per category (2), per month, per
    # administration (2), the year in figures (3), operating forms, follow-up (1).
    with django_assert_num_queries(15):  # and the unread notifications
        response = client.get(reverse("statistics:yearly"), {"year": 2024})
    assert response.status_code == 200


@pytest.mark.parametrize("table", ["categories", "monthly", "administrations", "summary"])
def test_csv_and_xlsx_exports_hold_the_numbers_of_the_page(client, gothenburg_manager, table):
    client.force_login(gothenburg_manager)
    page = client.get(reverse("statistics:yearly"), {"year": 2024})
    expected = page.context["tables"][table]
    rows = [[("" if c is None else c) for c in cells] for cells in expected.all_rows()]

    url = reverse("statistics:export", kwargs={"table": table, "fmt": "xlsx"})
    response = client.get(url, {"year": 2024})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [[normalise(c) for c in r] for r in values] == [
        [normalise(c if not hasattr(c, "quantize") else float(c)) for c in r] for r in rows
    ]

    url = reverse("statistics:export", kwargs={"table": table, "fmt": "csv"})
    text = client.get(url, {"year": 2024}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))[2:]
    assert lines == [[str(c) for c in r] for r in rows]


def test_api_returns_the_statistics_and_refuses_bad_parameters(client, gothenburg_manager):
    client.force_login(gothenburg_manager)
    data = client.get("/api/v1/statistics/requests/", {"year": 2024}).json()
    assert data["total"] == {"previous": 7056, "current": 7425, "difference": 369, "percent": 5}
    services = {s["code"]: s for area in data["areas"] for s in area["services"]}
    assert services["bostad-forst"]["difference"] == 31
    assert services["bostad-forst"]["percent"] == 38
    monthly = client.get("/api/v1/statistics/requests/monthly/", {"year": 2024}).json()
    assert sum(m["current"] for m in monthly["months"]) == 7425
    admins = client.get("/api/v1/statistics/requests/administrations/", {"year": 2024}).json()
    assert sum(a["current"] for a in admins["administrations"]) == 7425
    assert client.get("/api/v1/statistics/followup/", {"year": 2024}).status_code == 200
    assert client.get("/api/v1/statistics/requests/", {"year": "x"}).status_code == 400
    assert client.get("/api/v1/statistics/requests/").status_code == 400
    bad = client.get("/api/v1/statistics/requests/", {"year": 2024, "administration": "nope"})
    assert bad.status_code == 400
    assert client.get("/api/v1/statistics/followup/", {"year": "1800"}).status_code == 400


def test_followup_statistics_page_and_export(client, gothenburg_manager):
    client.force_login(gothenburg_manager)
    response = client.get(reverse("statistics:followup"), {"year": 2026})
    assert response.status_code == 200
    assert "signals" in response.context["tables"]
    url = reverse("statistics:export", kwargs={"table": "signals", "fmt": "xlsx"})
    assert client.get(url, {"year": 2026}).status_code == 200
    assert (
        client.get(reverse("statistics:export", kwargs={"table": "x", "fmt": "csv"})).status_code
        == 404
    )


def test_demo_requests_of_today_do_not_change_the_history_years(gothenburg_manager):
    worker = social_worker(
        org_unit=OrgUnitFactory(
            administration=gothenburg_manager.municipality.administrations.first()
        )
    )
    make_request(worker, submitted=timezone.now(), identity="HIST9999999")
    table = selectors.requests_per_category(gothenburg_manager, Filters(2024))
    assert (table.total.previous, table.total.current) == (7056, 7425)
