"""An officer's home page in Chromium: the counts of what waits, and a link to those rows."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from placements import services as placement_services
from spink.accounts.models import PlacementTeam
from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, placement_officer, social_worker, submitted_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_sees_what_waits_and_follows_a_count_to_its_list(page, assert_accessible):
    worker = social_worker(username="hem-sekreterare")
    officer = placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, username="hem-handlaggare"
    )
    soon = timezone.localdate() + dt.timedelta(days=1)
    submitted_request(worker, urgency="acute", wanted_start=soon)
    submitted_request(worker, urgency="planned", wanted_start=soon + dt.timedelta(days=60))
    taken = submitted_request(worker, urgency="planned", wanted_start=soon)
    placement_services.take(actor=officer, request=taken.pk)

    log_in(page, officer.username, TEST_PASSWORD)
    unassigned = page.locator('li[data-worklist="team_unassigned"] > p a')
    expect(unassigned.locator("strong")).to_have_text("2")
    expect(page.locator('li[data-worklist="team_unassigned_acute"] strong')).to_have_text("1")
    expect(page.locator('li[data-worklist="assigned_to_me"] strong')).to_have_text("1")
    expect(page.locator('li[data-worklist="overdue"] strong')).to_have_text("2")
    assert_accessible(page)
    # No sideways scrolling on a phone.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    unassigned.click()
    page.wait_for_url("**/requests/queue/?worklist=team_unassigned")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
