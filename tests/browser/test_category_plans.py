"""A manager follows up the category plan in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from categories.models import CategoryArea
from reporting.models import Activity, CategoryPlan, Goal, Strategy
from spink.accounts.models import Role
from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_marks_an_activity_completed_and_sees_the_progress_update(page, assert_accessible):
    manager = user_with_role(Role.MANAGER, username="chef1")
    plan = CategoryPlan.objects.create(
        municipality=manager.municipality,
        area=CategoryArea.objects.get(code="funktionsstod"),
        year=2026,
        title="Kategoriplan Funktionsstöd 2026",
        current_state_analysis="Cirka 90 procent på ramavtal.\n\n- egen regi\n- ramavtal",
    )
    strategy = Strategy.objects.create(
        goal=Goal.objects.create(plan=plan, title="Ökad styrning, uppföljning och kontroll"),
        title="Öka andel ramavtal",
    )
    Activity.objects.create(strategy=strategy, title="Uppföljning av ramavtalstrohet")
    Activity.objects.create(strategy=strategy, title="Ta fram avtalsstrategier")

    log_in(page, "chef1", TEST_PASSWORD)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Kategoriplaner"
    ).click()
    page.get_by_role("link", name="Kategoriplan Funktionsstöd 2026").click()
    expect(page.locator("#plan-progress")).to_have_text("0 av 2 aktiviteter klara")
    assert_accessible(page)

    page.get_by_label("Status för Uppföljning av ramavtalstrohet", exact=True).select_option(
        label="Klar"
    )
    page.get_by_role("button", name="Spara status för Uppföljning av ramavtalstrohet").click()

    expect(page.locator("#plan-progress")).to_have_text("1 av 2 aktiviteter klara")
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text(
        re.compile("sparad")
    )
    assert_accessible(page)
