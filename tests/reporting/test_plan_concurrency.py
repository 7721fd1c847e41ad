"""Category plan edits that never overwrite each other: two tabs editing a plan, goal,
strategy, activity or KPI (the second save is refused, keeps its input and can be saved
again), an activity's status and a manual KPI value from stale pages, and create forms
posted twice (one row)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from categories.models import CategoryArea
from reporting.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    Goal,
    Kpi,
    KpiMeasurement,
    Strategy,
)
from reporting.plans.kpis import Period
from spink.accounts.models import Role
from tests.factories import MunicipalityFactory, user_with_role
from tests.forms_support import STALE, form_data, label, logged_in, refused, two_tabs

pytestmark = pytest.mark.django_db

THIS_YEAR = Period.year(timezone.localdate().year)


@pytest.fixture
def plan():
    return CategoryPlan.objects.create(
        municipality=MunicipalityFactory(code="1480", name="Göteborg"),
        area=CategoryArea.objects.get(code="barn-och-unga"),
        year=THIS_YEAR.start.year,
        title="Plan BoU",
    )


@pytest.fixture
def manager(plan):
    return user_with_role(Role.MANAGER, plan.municipality)


@pytest.fixture
def rows(plan):
    goal = Goal.objects.create(plan=plan, title="Ökad styrning")
    strategy = Strategy.objects.create(goal=goal, title="Öka andel ramavtal")
    return {
        "plan": plan,
        "goal": goal,
        "strategy": strategy,
        "activity": Activity.objects.create(strategy=strategy, title="Kartlägg avtal"),
        "kpi": Kpi.objects.create(
            strategy=strategy, name="Andel ramavtal", direction="information", unit="%"
        ),
    }


# Per kind of row: its edit page, the field the first tab changes, the field the second tab
# changes (and the value it types).
EDITS = {
    "plan": ("category_plans:plan-edit", "title", "current_state_analysis"),
    "goal": ("category_plans:goal-edit", "title", "description"),
    "strategy": ("category_plans:strategy-edit", "title", "description"),
    "activity": ("category_plans:activity-edit", "title", "owner"),
    "kpi": ("category_plans:kpi-edit", "name", "target_text"),
}


@pytest.mark.parametrize("kind", EDITS)
def test_second_tab_saving_a_row_changed_since_it_opened_is_refused_and_keeps_its_input(
    manager, rows, kind
):
    row = rows[kind]
    name, theirs, mine = EDITS[kind]
    url = reverse(name, args=[row.pk])
    (first, first_form), (second, second_form) = two_tabs(manager, url)
    assert first_form["seen"] and second_form["seen"]
    before = getattr(row, mine)

    assert first.post(url, first_form | {theirs: "Ändrad i första fliken"}).status_code == 302
    text = refused(second.post(url, second_form | {mine: "Andra flikens text"}))
    assert label(type(row), theirs) in text  # says what changed
    assert "Andra flikens text" in text  # the user's input stays on the page
    row.refresh_from_db()
    assert getattr(row, theirs) == "Ändrad i första fliken"
    assert getattr(row, mine) == before

    # Having seen the refusal, saving again goes through, over the version now saved.
    again = form_data(text) | {theirs: "Ändrad i första fliken"}
    assert second.post(url, again).status_code == 302
    row.refresh_from_db()
    assert getattr(row, mine) == "Andra flikens text"


def test_an_activity_status_changed_meanwhile_is_not_overwritten(manager, rows):
    activity = rows["activity"]
    page = reverse("category_plans:plan-detail", args=[rows["plan"].pk])
    action = reverse("category_plans:activity-status", args=[activity.pk])
    (first, first_form), (second, second_form) = two_tabs(manager, page, action)
    assert first_form["from_status"] == ActivityStatus.NOT_STARTED

    first.post(action, first_form | {"status": ActivityStatus.COMPLETED})
    answer = second.post(action, second_form | {"status": ActivityStatus.ONGOING}, follow=True)
    assert STALE in answer.content.decode()
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.COMPLETED


def test_a_kpi_value_entered_meanwhile_for_the_period_is_not_overwritten(manager, rows):
    kpi = rows["kpi"]
    url = reverse("category_plans:kpi-detail", args=[kpi.pk])
    (first, first_form), (second, second_form) = two_tabs(manager, url)

    assert first.post(url, first_form | {"value": "70"}).status_code == 302
    text = refused(second.post(url, second_form | {"value": "80", "note": "Enligt uppföljning"}))
    assert label(KpiMeasurement, "value") in text
    assert "Enligt uppföljning" in text
    assert kpi.measurements.get().value == Decimal(70)

    # Correcting it from the page that shows the 70 goes through.
    assert second.post(url, form_data(text)).status_code == 302
    assert kpi.measurements.get().value == Decimal(80)


def test_a_kpi_value_for_another_period_goes_through_from_an_older_page(manager, rows):
    kpi = rows["kpi"]
    url = reverse("category_plans:kpi-detail", args=[kpi.pk])
    (first, first_form), (second, second_form) = two_tabs(manager, url)
    assert first.post(url, first_form | {"value": "70"}).status_code == 302
    other_half = {"period_start": THIS_YEAR.start.isoformat()}
    other_half["period_end"] = THIS_YEAR.start.replace(month=6, day=30).isoformat()
    assert second.post(url, second_form | other_half | {"value": "40"}).status_code == 302
    assert kpi.measurements.count() == 2


def test_a_kpi_value_posted_twice_is_entered_once(manager, rows):
    kpi = rows["kpi"]
    client = logged_in(manager)
    url = reverse("category_plans:kpi-detail", args=[kpi.pk])
    data = form_data(client.get(url).content.decode()) | {"value": "55"}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert kpi.measurements.get().value == Decimal(55)


def test_plan_create_form_posted_twice_makes_one_plan(manager):
    client = logged_in(manager)
    url = reverse("category_plans:plan-create")
    data = form_data(client.get(url).content.decode()) | {
        "area": str(CategoryArea.objects.get(code="vuxen").pk),
        "year": "2027",
        "title": "Vuxen 2027",
    }
    assert data["form_key"]
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert CategoryPlan.objects.filter(title="Vuxen 2027").count() == 1


def test_goal_create_form_posted_twice_makes_one_goal(manager, plan):
    client = logged_in(manager)
    url = reverse("category_plans:goal-create", args=[plan.pk])
    data = form_data(client.get(url).content.decode()) | {"title": "Dubbelmål", "position": "0"}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert plan.goals.filter(title="Dubbelmål").count() == 1
    # A new form (a new key) makes a new goal.
    data["form_key"] = form_data(client.get(url).content.decode())["form_key"]
    client.post(url, data)
    assert plan.goals.filter(title="Dubbelmål").count() == 2
