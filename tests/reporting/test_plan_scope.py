"""A category plan belongs to one municipality: its computed KPIs and agreement facts count that
municipality's requests only, and only its own municipality's users (and administrators) see,
change or compute it — to everyone else it does not exist (404)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from categories.models import CategoryArea, Service
from placements import services as placement_services
from placements.models import PlacementRequest
from reporting.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    Goal,
    Kpi,
    KpiDirection,
    KpiMeasurement,
    KpiSource,
    Strategy,
)
from reporting.plans import selectors, services
from reporting.plans.kpis import Period
from spink.accounts.models import Municipality, PlacementTeam, Role
from tests.factories import (
    MunicipalityFactory,
    OrgUnitFactory,
    UserFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

THIS_YEAR = Period.year(timezone.localdate().year)


@pytest.fixture
def gothenburg() -> Municipality:
    return MunicipalityFactory(code="1480", name="Göteborg")


@pytest.fixture
def molndal() -> Municipality:
    return MunicipalityFactory(code="1481", name="Mölndal")


@pytest.fixture
def area() -> CategoryArea:
    return CategoryArea.objects.get(code="barn-och-unga")


def make_plan(municipality: Municipality, area: CategoryArea) -> CategoryPlan:
    return CategoryPlan.objects.create(
        municipality=municipality,
        area=area,
        year=THIS_YEAR.start.year,
        title=f"Barn och unga {municipality.name}",
    )


@pytest.fixture
def plan(gothenburg, area) -> CategoryPlan:
    return make_plan(gothenburg, area)


@pytest.fixture
def strategy(plan) -> Strategy:
    goal = Goal.objects.create(plan=plan, title="Ökad styrning")
    return Strategy.objects.create(goal=goal, title="Öka andel ramavtal")


def computed_kpi(strategy: Strategy, source: str, **kwargs) -> Kpi:
    return Kpi.objects.create(
        strategy=strategy,
        name=source,
        source=source,
        direction=KpiDirection.INFORMATION,
        **kwargs,
    )


def place(municipality: Municipality, units: list, lead_hours: list[int], waiting: int) -> None:
    """Placements of one municipality's social worker, one per unit, each recommended
    `lead_hours` after submission; then `waiting` HVB requests that are only submitted."""
    worker = social_worker(OrgUnitFactory(administration__municipality=municipality))
    officer = placement_officer(municipality, team=PlacementTeam.CHILDREN_YOUTH)
    for hours, unit in zip(lead_hours, units, strict=True):
        request = submitted_request(worker)
        placement_services.take(actor=officer, request=request.pk)
        recommendation = placement_services.send_recommendation(
            actor=officer,
            request=request.pk,
            offering=unit.offerings.get().pk,
            daily_price=Decimal("3900"),
        )
        placement_services.report_choice(
            actor=worker,
            request=request.pk,
            recommendation=recommendation.pk,
            start_date=dt.date.today() + dt.timedelta(days=3),
        )
        submitted = timezone.now() - dt.timedelta(hours=hours)
        PlacementRequest.objects.filter(pk=request.pk).update(
            submitted_at=submitted, first_recommended_at=submitted + dt.timedelta(hours=hours)
        )
    for _ in range(waiting):
        submitted_request(worker)


@pytest.fixture
def two_municipalities(gothenburg, molndal) -> None:
    """HVB requests this year in both municipalities, on one shared register.

    Göteborg: 2 placements (framework after 2 h, own operation after 4 h) + 1 waiting = 3.
    Mölndal: 3 placements (direct after 10 h and 20 h, framework after 30 h) + 2 waiting = 5.
    """
    framework = published_unit("hvb", "framework", name="HVB Ram", price=Decimal("4200"))
    own = published_unit("hvb", "own", name="HVB Egen")
    direct = published_unit("hvb", "direct", name="HVB Direkt", price=Decimal("3900"))
    place(gothenburg, [framework, own], [2, 4], waiting=1)
    place(molndal, [direct, direct, framework], [10, 20, 30], waiting=2)


# --- KPIs count the plan's own municipality -------------------------------------------------------


def test_computed_kpis_of_a_goteborg_plan_ignore_the_requests_of_another_municipality(
    plan, strategy, two_municipalities
):
    hvb = Service.objects.get(code="hvb")
    requests = computed_kpi(strategy, KpiSource.REQUESTS_PER_SERVICE, service=hvb)
    framework = computed_kpi(strategy, KpiSource.FRAMEWORK_SHARE)
    own = computed_kpi(strategy, KpiSource.OWN_OPERATION_SHARE)
    direct = computed_kpi(strategy, KpiSource.DIRECT_PROCUREMENTS)
    lead = computed_kpi(strategy, KpiSource.LEAD_TIME)

    services.compute_kpis(actor=None, plan=plan, period=THIS_YEAR)

    values = {m.kpi_id: m.value for m in KpiMeasurement.objects.all()}
    # Göteborg alone: 3 requests; 1 of 2 placements on framework, 1 in own operation, none
    # direct; lead times 2 h and 4 h. The whole region would give 8, 40 %, 20 %, 2 and 10 h.
    assert values == {
        requests.pk: Decimal("3.00"),
        framework.pk: Decimal("50.00"),
        own.pk: Decimal("50.00"),
        direct.pk: Decimal("0.00"),
        lead.pk: Decimal("3.00"),
    }


def test_each_municipality_has_its_own_plan_for_the_same_area_and_year_and_its_own_values(
    plan, molndal, area, two_municipalities
):
    molndal_plan = make_plan(molndal, area)
    strategy = Strategy.objects.create(
        goal=Goal.objects.create(plan=molndal_plan, title="G"), title="S"
    )
    direct = computed_kpi(strategy, KpiSource.DIRECT_PROCUREMENTS)
    lead = computed_kpi(strategy, KpiSource.LEAD_TIME)

    services.compute_kpis(actor=None, plan=molndal_plan, period=THIS_YEAR)

    assert direct.measurements.get().value == 2
    assert lead.measurements.get().value == 20  # median of 10, 20 and 30 hours


def test_agreement_facts_count_the_placements_of_the_plans_municipality_only(
    plan, two_municipalities
):
    facts = {row.service.code: row for row in selectors.framework_facts(plan, THIS_YEAR)}
    hvb = facts["hvb"]
    # Göteborg: framework + own operation; Mölndal's three placements are not counted.
    assert (hvb.placements, hvb.framework_share, hvb.external_share) == (2, 50, 50)


# --- Who sees which plans ----------------------------------------------------------------------


def plan_urls(
    plan: CategoryPlan, strategy: Strategy, kpi: Kpi, activity: Activity
) -> tuple[list[str], list[str]]:
    """The plan's pages and API read by id, and its editing pages (goal, strategy, activity
    and KPI reached by their own ids)."""
    goal = strategy.goal
    return [
        reverse("category_plans:plan-detail", args=[plan.pk]),
        reverse("category_plans:kpi-detail", args=[kpi.pk]),
        f"/api/v1/category-plans/{plan.pk}/",
        f"/api/v1/category-plans/{plan.pk}/kpis/",
    ], [
        reverse("category_plans:plan-edit", args=[plan.pk]),
        reverse("category_plans:goal-create", args=[plan.pk]),
        reverse("category_plans:decision-create", args=[plan.pk]),
        reverse("category_plans:goal-edit", args=[goal.pk]),
        reverse("category_plans:strategy-create", args=[goal.pk]),
        reverse("category_plans:strategy-edit", args=[strategy.pk]),
        reverse("category_plans:activity-create", args=[strategy.pk]),
        reverse("category_plans:kpi-create", args=[strategy.pk]),
        reverse("category_plans:activity-edit", args=[activity.pk]),
        reverse("category_plans:kpi-edit", args=[kpi.pk]),
    ]


@pytest.fixture
def parts(plan, strategy) -> tuple[Kpi, Activity]:
    kpi = computed_kpi(strategy, KpiSource.FRAMEWORK_SHARE)
    activity = Activity.objects.create(strategy=strategy, title="Uppföljning av ramavtalstrohet")
    return kpi, activity


@pytest.mark.parametrize("role", [Role.MANAGER, Role.QUALITY_CONTROL, Role.PROCUREMENT])
def test_another_municipalitys_plan_answers_404_on_every_page_and_in_the_api(
    client, plan, strategy, parts, molndal, role
):
    kpi, activity = parts
    client.force_login(user_with_role(role, molndal))
    reads, edits = plan_urls(plan, strategy, kpi, activity)
    for url in reads:
        assert client.get(url).status_code == 404, url
    if role == Role.MANAGER:
        for url in edits:
            assert client.get(url).status_code == 404, url


def test_another_municipalitys_manager_neither_computes_nor_changes_the_plan(
    client, plan, strategy, parts, molndal, two_municipalities
):
    kpi, activity = parts
    client.force_login(user_with_role(Role.MANAGER, molndal))
    period = {"period_start": THIS_YEAR.start, "period_end": THIS_YEAR.end}
    answers = [
        client.post(reverse("category_plans:compute", args=[plan.pk]), period),
        client.post(
            reverse("category_plans:activity-status", args=[activity.pk]), {"status": "completed"}
        ),
        client.post(reverse("category_plans:goal-create", args=[plan.pk]), {"title": "G"}),
        client.post(reverse("category_plans:plan-edit", args=[plan.pk]), {"title": "Ändrad"}),
    ]
    assert [answer.status_code for answer in answers] == [404] * 4
    assert not KpiMeasurement.objects.exists()
    activity.refresh_from_db()
    plan.refresh_from_db()
    assert activity.status == ActivityStatus.NOT_STARTED
    assert plan.title == "Barn och unga Göteborg" and plan.goals.count() == 1


def test_another_municipalitys_manager_does_not_see_the_plan_in_the_lists(
    client, plan, molndal, area
):
    own = make_plan(molndal, area)
    client.force_login(user_with_role(Role.MANAGER, molndal))
    listed = client.get(reverse("category_plans:plan-list")).context["plans"]
    assert [p.pk for p in listed] == [own.pk]
    api = client.get("/api/v1/category-plans/").json()["results"]
    assert [row["id"] for row in api] == [own.pk]
    assert api[0]["municipality_name"] == "Mölndal"


def test_the_plans_own_municipality_sees_it(client, plan, strategy, parts):
    kpi, activity = parts
    client.force_login(user_with_role(Role.MANAGER, plan.municipality))
    reads, edits = plan_urls(plan, strategy, kpi, activity)
    for url in reads + edits:
        assert client.get(url).status_code == 200, url


def test_an_administrator_sees_every_municipalitys_plans(
    client, plan, strategy, parts, molndal, area
):
    other = make_plan(molndal, area)
    kpi, activity = parts
    client.force_login(user_with_role(Role.ADMINISTRATOR))
    page = client.get(reverse("category_plans:plan-list"))
    assert {p.pk for p in page.context["plans"]} == {plan.pk, other.pk}
    assert "Mölndal" in page.content.decode()  # the municipality column
    api = client.get("/api/v1/category-plans/").json()["results"]
    assert {row["id"] for row in api} == {plan.pk, other.pk}
    only_molndal = client.get(f"/api/v1/category-plans/?municipality={molndal.pk}").json()
    assert [row["id"] for row in only_molndal["results"]] == [other.pk]
    reads, edits = plan_urls(plan, strategy, kpi, activity)
    for url in reads + edits:
        assert client.get(url).status_code == 200, url


def test_writes_refuse_another_municipalitys_plan_whoever_calls_them(plan, strategy, molndal):
    manager = user_with_role(Role.MANAGER, molndal)
    occupancy = Kpi.objects.create(
        strategy=strategy, name="Beläggning", direction=KpiDirection.AT_LEAST, target_value=80
    )
    activity = Activity.objects.create(strategy=strategy, title="A")
    with pytest.raises(PermissionDenied):
        services.record_measurement(
            actor=manager, kpi=occupancy, period=THIS_YEAR, value=Decimal(70)
        )
    with pytest.raises(Activity.DoesNotExist):
        services.set_activity_status(
            actor=manager, activity_id=activity.pk, status=ActivityStatus.COMPLETED
        )
    assert not occupancy.measurements.exists()


# --- Whose plan a new plan is --------------------------------------------------------------------


def test_a_managers_new_plan_is_their_own_municipalitys_whatever_the_form_says(
    client, gothenburg, molndal, area
):
    client.force_login(user_with_role(Role.MANAGER, molndal))
    form = client.get(reverse("category_plans:plan-create")).context["form"]
    assert "municipality" not in form.fields
    client.post(
        reverse("category_plans:plan-create"),
        {"municipality": gothenburg.pk, "area": area.pk, "year": 2027, "title": "BoU 2027"},
    )
    assert CategoryPlan.objects.get(year=2027).municipality == molndal


def test_a_manager_may_not_write_a_second_plan_for_the_same_area_and_year(
    client, plan, molndal, area
):
    make_plan(molndal, area)
    client.force_login(user_with_role(Role.MANAGER, molndal))
    response = client.post(
        reverse("category_plans:plan-create"),
        {"area": area.pk, "year": THIS_YEAR.start.year, "title": "Igen"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["year"]
    # Göteborg's plan for the same area and year does not count against Mölndal.
    assert CategoryPlan.objects.filter(municipality=molndal).count() == 1


def test_an_administrator_chooses_the_municipality_and_is_offered_their_own(
    client, gothenburg, molndal, area
):
    admin = UserFactory(role=Role.ADMINISTRATOR, municipality=gothenburg)
    client.force_login(admin)
    form = client.get(reverse("category_plans:plan-create")).context["form"]
    assert form["municipality"].value() == gothenburg.pk
    client.post(
        reverse("category_plans:plan-create"),
        {"municipality": molndal.pk, "area": area.pk, "year": 2027, "title": "BoU 2027"},
    )
    assert CategoryPlan.objects.get(year=2027).municipality == molndal
    refused = client.post(
        reverse("category_plans:plan-create"), {"area": area.pk, "year": 2028, "title": "X"}
    )
    assert refused.context["form"].errors["municipality"]


# --- Migration -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_gives_existing_plans_to_goteborg():
    before = [("categories", "0003_category_plans")]
    after = [("categories", "0004_category_plan_municipality")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        # Only the categories tables went back; municipalities are today's rows.
        first = MunicipalityFactory(name="Mölndal", code="1481")
        gothenburg = MunicipalityFactory(name="Göteborg", code="1480")
        OldPlan = old.get_model("categories", "CategoryPlan")
        area = old.get_model("categories", "CategoryArea").objects.get(code="funktionsstod")
        old_plan = OldPlan.objects.create(area=area, year=2025)
        old.get_model("categories", "HistoricalCategoryPlan").objects.create(
            id=old_plan.pk,
            area=area,
            year=2025,
            created_at=old_plan.created_at,
            updated_at=old_plan.updated_at,
            history_date=timezone.now(),
            history_type="+",
        )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    plan = CategoryPlan.objects.get(year=2025)
    assert plan.municipality_id == gothenburg.pk != first.pk
    assert plan.history.get().municipality_id == gothenburg.pk


def test_computing_kpis_refuses_another_municipalitys_plan_and_users_who_do_not_edit_plans(
    plan, molndal
):
    with pytest.raises(PermissionDenied):
        services.compute_kpis(
            actor=user_with_role(Role.MANAGER, molndal), plan=plan, period=THIS_YEAR
        )
    with pytest.raises(PermissionDenied):
        services.compute_kpis(
            actor=user_with_role(Role.QUALITY_CONTROL, plan.municipality),
            plan=plan,
            period=THIS_YEAR,
        )
    assert not KpiMeasurement.objects.filter(kpi__strategy__goal__plan=plan).exists()
