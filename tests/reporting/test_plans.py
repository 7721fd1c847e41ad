"""Category plans: KPI computation from Spink's data, status against target, activity progress,
framework-agreement facts from the register, permissions per role, history and the demo plan."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from categories.models import CategoryArea, Service
from devtools.demo import plans as demo
from placements import services as placement_services
from placements.models import PlacementRequest
from providers.models import AgreementUnit, FrameworkAgreement
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
from reporting.plans import kpis, selectors, services, text
from reporting.plans.kpis import KpiStatus, Period
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

THIS_YEAR = Period.year(timezone.localdate().year)


@pytest.fixture
def area():
    return CategoryArea.objects.get(code="barn-och-unga")


@pytest.fixture
def gothenburg():
    return MunicipalityFactory(code="1480", name="Göteborg")


@pytest.fixture
def plan(area, gothenburg):
    return CategoryPlan.objects.create(
        municipality=gothenburg, area=area, year=THIS_YEAR.start.year, title="Plan BoU"
    )


@pytest.fixture
def strategy(plan):
    goal = Goal.objects.create(plan=plan, title="Ökad styrning, uppföljning och kontroll")
    return Strategy.objects.create(goal=goal, title="Öka andel ramavtal")


def kpi(strategy, source=KpiSource.MANUAL, direction=KpiDirection.AT_LEAST, target=None, **kw):
    return Kpi.objects.create(
        strategy=strategy,
        name=kw.pop("name", f"{source} {direction}"),
        source=source,
        direction=direction,
        target_value=target,
        **kw,
    )


@pytest.fixture
def placements(gothenburg):
    """Four HVB placements this year in Göteborg: two on framework, one own operation, one
    direct procurement; one HVB request still waiting, and one request for another service."""
    worker = social_worker(OrgUnitFactory(administration__municipality=gothenburg))
    officer = placement_officer(gothenburg, team=PlacementTeam.CHILDREN_YOUTH)
    framework = published_unit("hvb", "framework", name="HVB Ram", price=Decimal("4200"))
    own = published_unit("hvb", "own", name="HVB Egen")
    direct = published_unit("hvb", "direct", name="HVB Direkt", price=Decimal("3900"))
    units = [framework, framework, own, direct]
    for hours, unit in zip([2, 4, 10, 30], units, strict=True):
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
    submitted_request(worker)
    submitted_request(worker, service=Service.objects.get(code="stodboende"))
    return {"framework": framework, "own": own, "direct": direct}


# --- Computed KPIs ------------------------------------------------------------------------------


def test_requests_are_counted_per_service_and_per_area_for_the_period(gothenburg, area, placements):
    hvb = Service.objects.get(code="hvb")
    assert kpis.requests_submitted(gothenburg.pk, area.pk, hvb.pk, THIS_YEAR) == 5
    assert kpis.requests_submitted(gothenburg.pk, area.pk, None, THIS_YEAR) == 6
    last_year = Period.year(THIS_YEAR.start.year - 1)
    assert kpis.requests_submitted(gothenburg.pk, area.pk, hvb.pk, last_year) == 0


def test_shares_of_placements_follow_the_chosen_units_operating_form(gothenburg, area, placements):
    assert kpis.framework_share(gothenburg.pk, area.pk, None, THIS_YEAR) == 50
    assert kpis.own_operation_share(gothenburg.pk, area.pk, None, THIS_YEAR) == 25
    assert kpis.direct_procurements(gothenburg.pk, area.pk, None, THIS_YEAR) == 1


def test_shares_have_no_value_when_nothing_was_placed(gothenburg, area):
    assert kpis.framework_share(gothenburg.pk, area.pk, None, THIS_YEAR) is None


def test_lead_time_is_the_median_hours_from_submission_to_first_recommendation(
    gothenburg, area, placements
):
    # lead times 2, 4, 10 and 30 hours: the median is 7
    assert kpis.lead_time_hours(gothenburg.pk, area.pk, None, THIS_YEAR) == pytest.approx(
        Decimal(7)
    )


def test_compute_kpis_writes_one_row_per_kpi_and_period_and_is_idempotent(
    plan, strategy, placements
):
    share = kpi(strategy, KpiSource.FRAMEWORK_SHARE, target=Decimal(100))
    lead = kpi(strategy, KpiSource.LEAD_TIME, KpiDirection.AT_MOST, target=Decimal(48))
    requests = kpi(
        strategy,
        KpiSource.REQUESTS_PER_SERVICE,
        KpiDirection.INFORMATION,
        service=Service.objects.get(code="hvb"),
    )
    manual = kpi(strategy, target=Decimal(80))

    services.compute_kpis(actor=None, plan=plan, period=THIS_YEAR)
    services.compute_kpis(actor=None, plan=plan, period=THIS_YEAR)

    assert KpiMeasurement.objects.count() == 3
    assert not manual.measurements.exists()
    values = {m.kpi_id: m.value for m in KpiMeasurement.objects.all()}
    assert values == {share.pk: Decimal("50.00"), lead.pk: Decimal("7.00"), requests.pk: 5}
    assert all(m.computed for m in KpiMeasurement.objects.all())
    statuses = {k.pk: k.status for k in selectors.plan_kpis(plan)}
    assert statuses == {
        share.pk: KpiStatus.NOT_MET,
        lead.pk: KpiStatus.MET,
        requests.pk: KpiStatus.INFORMATION,
        manual.pk: KpiStatus.NO_DATA,
    }


def test_recomputing_updates_the_value_of_the_same_period(plan, strategy, placements):
    direct = kpi(strategy, KpiSource.DIRECT_PROCUREMENTS, KpiDirection.AT_MOST, Decimal(0))
    services.compute_kpis(actor=None, plan=plan, period=THIS_YEAR)
    PlacementRequest.objects.filter(
        chosen_recommendation__offering__operating_form__code="direct"
    ).update(closed_at=timezone.now() - dt.timedelta(days=800))
    services.compute_kpis(actor=None, plan=plan, period=THIS_YEAR)
    assert direct.measurements.get().value == 0


# --- Status against target ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        (KpiDirection.AT_LEAST, Decimal(80), KpiStatus.MET),
        (KpiDirection.AT_LEAST, Decimal("79.99"), KpiStatus.NOT_MET),
        (KpiDirection.AT_MOST, Decimal(80), KpiStatus.MET),
        (KpiDirection.AT_MOST, Decimal("80.01"), KpiStatus.NOT_MET),
        (KpiDirection.EQUAL, Decimal(80), KpiStatus.MET),
        (KpiDirection.EQUAL, Decimal(0), KpiStatus.NOT_MET),
        (KpiDirection.AT_LEAST, None, KpiStatus.NO_DATA),
        (KpiDirection.INFORMATION, Decimal(5), KpiStatus.INFORMATION),
        (KpiDirection.INFORMATION, None, KpiStatus.INFORMATION),
    ],
)
def test_status_against_target_for_each_direction(direction, value, expected):
    target = None if direction == KpiDirection.INFORMATION else Decimal(80)
    assert kpis.status(Kpi(direction=direction, target_value=target), value) == expected


def test_a_kpi_with_a_target_direction_needs_a_target_value(strategy):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        kpi(strategy, direction=KpiDirection.AT_LEAST, target=None)


# --- Progress and framework facts ---------------------------------------------------------------


def test_progress_counts_completed_activities_of_the_whole_plan(plan, strategy):
    other = Strategy.objects.create(goal=Goal.objects.create(plan=plan, title="Sund konkurrens"))
    for index, status in enumerate(["completed", "completed", "ongoing", "not_started"]):
        Activity.objects.create(
            strategy=strategy if index % 2 else other, title=f"A{index}", status=status
        )
    other_plan = CategoryPlan.objects.create(
        municipality=plan.municipality, area=plan.area, year=plan.year + 1
    )
    Activity.objects.create(
        strategy=Strategy.objects.create(goal=Goal.objects.create(plan=other_plan, title="G")),
        title="Elsewhere",
        status="completed",
    )
    assert selectors.activity_progress(plan) == selectors.Progress(completed=2, total=4)


def test_framework_facts_per_service_come_from_the_register_and_the_placements(
    plan, area, placements
):
    agreement = FrameworkAgreement.objects.create(
        name="HVB barn och unga",
        reference="RA-HVB-1",
        area=area,
        valid_from=THIS_YEAR.start - dt.timedelta(days=365),
        valid_to=THIS_YEAR.end + dt.timedelta(days=365),
    )
    agreement.services.add(Service.objects.get(code="hvb"))
    AgreementUnit.objects.create(
        agreement=agreement, unit=placements["framework"], admitted_on=agreement.valid_from
    )
    expired = FrameworkAgreement.objects.create(
        name="Old",
        reference="RA-OLD",
        area=area,
        valid_from=dt.date(2015, 1, 1),
        valid_to=dt.date(2016, 1, 1),
    )
    expired.services.add(Service.objects.get(code="hvb"))

    facts = {row.service.code: row for row in selectors.framework_facts(plan, THIS_YEAR)}

    hvb = facts["hvb"]
    assert (hvb.agreements, hvb.units, hvb.placements) == (1, 1, 4)
    assert (hvb.framework_share, hvb.external_share) == (50, 75)
    assert hvb.valid_from == agreement.valid_from
    assert facts["stodboende"].agreements == 0
    assert facts["stodboende"].framework_share is None


# --- Writes, history and text --------------------------------------------------------------------


def test_activity_status_change_is_recorded_in_history_with_the_user(plan, strategy):
    manager = user_with_role(Role.MANAGER, plan.municipality)
    activity = Activity.objects.create(strategy=strategy, title="Uppföljning av ramavtalstrohet")
    services.set_activity_status(
        actor=manager, activity_id=activity.pk, status=ActivityStatus.COMPLETED
    )
    latest = activity.history.first()
    assert latest.status == ActivityStatus.COMPLETED
    assert latest.history_user == manager
    assert activity.history.count() == 2


def test_only_editors_change_plans(strategy):
    activity = Activity.objects.create(strategy=strategy, title="A")
    with pytest.raises(PermissionDenied):
        services.set_activity_status(
            actor=user_with_role(Role.QUALITY_CONTROL),
            activity_id=activity.pk,
            status=ActivityStatus.COMPLETED,
        )


def test_manual_values_are_corrected_in_place_and_computed_kpis_refuse_them(plan, strategy):
    manager = user_with_role(Role.MANAGER, plan.municipality)
    occupancy = kpi(strategy, target=Decimal(80), name="Beläggning egen korttidsverksamhet")
    services.record_measurement(actor=manager, kpi=occupancy, period=THIS_YEAR, value=Decimal(70))
    services.record_measurement(
        actor=manager, kpi=occupancy, period=THIS_YEAR, value=Decimal(85), note="rättad"
    )
    value = occupancy.measurements.get()
    assert (value.value, value.entered_by, value.computed) == (Decimal(85), manager, False)
    assert occupancy.history.exists()
    with pytest.raises(ValidationError):
        services.record_measurement(
            actor=manager,
            kpi=kpi(strategy, KpiSource.FRAMEWORK_SHARE, target=1),
            period=THIS_YEAR,
            value=Decimal(1),
        )


def test_analysis_text_renders_paragraphs_and_lists_and_escapes_markup():
    html = text.render("Första <b>stycket</b>\n\nVisar att:\n- ett\n- två <script>x</script>")
    assert html == (
        "<p>Första &lt;b&gt;stycket&lt;/b&gt;</p>\n<p>Visar att:</p>\n"
        "<ul><li>ett</li><li>två &lt;script&gt;x&lt;/script&gt;</li></ul>"
    )


def test_demo_seeds_goteborgs_funktionsstod_2026_plan_once(client):
    plan = demo.seed()
    assert demo.seed() is None
    assert plan.area.code == "funktionsstod" and plan.year == 2026
    assert plan.municipality.code == "1480"
    names = set(Kpi.objects.filter(strategy__goal__plan=plan).values_list("name", flat=True))
    assert {"Andel köp på ramavtal", "Antal ej verkställda beslut BmSS barn"} <= names
    assert plan.goals.filter(title="Ökad styrning, uppföljning och kontroll").exists()
    assert selectors.activity_progress(plan).total > 0
    client.force_login(user_with_role(Role.ADMINISTRATOR))
    page = client.get(reverse("category_plans:plan-detail", args=[plan.pk])).content.decode()
    assert "<li>cirka 90 procent av de köpta insatserna" in page


# --- Pages and API per role ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "can_edit"),
    [
        (Role.SOCIAL_WORKER, 403, False),
        (Role.PLACEMENT_OFFICER, 403, False),
        (Role.QUALITY_CONTROL, 200, False),
        (Role.PROCUREMENT, 200, False),
        (Role.MANAGER, 200, True),
        (Role.ADMINISTRATOR, 200, True),
    ],
)
def test_plan_pages_per_role(client, plan, strategy, role, status, can_edit):
    activity = Activity.objects.create(strategy=strategy, title="A")
    client.force_login(user_with_role(role, plan.municipality))
    for url in (
        reverse("category_plans:plan-list"),
        reverse("category_plans:plan-detail", args=[plan.pk]),
    ):
        assert client.get(url).status_code == status
    edit = client.get(reverse("category_plans:plan-edit", args=[plan.pk]))
    assert edit.status_code == (200 if can_edit else 403)
    post = client.post(
        reverse("category_plans:activity-status", args=[activity.pk]), {"status": "completed"}
    )
    assert post.status_code == (302 if can_edit else 403)
    activity.refresh_from_db()
    assert (activity.status == "completed") == can_edit
    api = client.get("/api/v1/category-plans/")
    assert api.status_code == status


def test_manager_computes_kpis_from_the_plan_page(client, plan, strategy, placements):
    share = kpi(strategy, KpiSource.FRAMEWORK_SHARE, target=Decimal(100))
    client.force_login(user_with_role(Role.MANAGER, plan.municipality))
    response = client.post(
        reverse("category_plans:compute", args=[plan.pk]),
        {"period_start": THIS_YEAR.start, "period_end": THIS_YEAR.end},
    )
    assert response.status_code == 302
    assert share.measurements.get().value == 50
    page = client.get(reverse("category_plans:plan-detail", args=[plan.pk]))
    assert page.context["kpis"][0].status == KpiStatus.NOT_MET


def test_manager_creates_a_plan_and_a_kpi_through_the_forms(client, area):
    manager = user_with_role(Role.MANAGER)
    client.force_login(manager)
    response = client.post(
        reverse("category_plans:plan-create"),
        {"area": area.pk, "year": 2027, "title": "BoU 2027", "current_state_analysis": "Text"},
    )
    plan = CategoryPlan.objects.get(year=2027)
    assert response.status_code == 302
    assert plan.municipality == manager.municipality
    client.post(
        reverse("category_plans:goal-create", args=[plan.pk]), {"title": "G", "position": 0}
    )
    goal = plan.goals.get()
    client.post(
        reverse("category_plans:strategy-create", args=[goal.pk]), {"title": "S", "position": 0}
    )
    strategy = goal.strategies.get()
    refused = client.post(
        reverse("category_plans:kpi-create", args=[strategy.pk]),
        {"name": "K", "direction": "at_least", "source": "manual", "position": 0},
    )
    assert refused.status_code == 200 and not strategy.kpis.exists()
    client.post(
        reverse("category_plans:kpi-create", args=[strategy.pk]),
        {
            "name": "K",
            "direction": "at_least",
            "target_value": "80",
            "source": "manual",
            "unit": "%",
            "position": 0,
        },
    )
    created = strategy.kpis.get()
    client.post(
        reverse("category_plans:kpi-detail", args=[created.pk]),
        {"period_start": "2027-01-01", "period_end": "2027-06-30", "value": "82"},
    )
    assert created.measurements.get().value == 82
    client.post(
        reverse("category_plans:decision-create", args=[plan.pk]),
        {"decided_on": "2027-01-10", "decision": "Planen antas.", "decided_by": "Kategoriråd"},
    )
    assert plan.decisions.get().recorded_by.role == Role.MANAGER


def test_api_answers_kpi_values_with_their_status(client, plan, strategy):
    manager = user_with_role(Role.MANAGER, plan.municipality)
    occupancy = kpi(strategy, target=Decimal(80), name="Beläggning", unit="%")
    services.record_measurement(actor=manager, kpi=occupancy, period=THIS_YEAR, value=Decimal(82))
    client.force_login(user_with_role(Role.PROCUREMENT, plan.municipality))
    detail = client.get(f"/api/v1/category-plans/{plan.pk}/").json()
    assert detail["goals"][0]["strategies"][0]["kpis"][0]["name"] == "Beläggning"
    values = client.get(f"/api/v1/category-plans/{plan.pk}/kpis/").json()
    assert values[0]["status"] == "met" and values[0]["latest_value"] == "82.00"
