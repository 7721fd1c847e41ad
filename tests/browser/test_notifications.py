"""A recommendation becomes an unread notification for the social worker: the badge counts it,
opening it lands on the request, and the badge goes down. Real Chromium, axe checks."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

import spink.outbox.sending
from placements import services as placements
from spink.accounts.models import PlacementTeam
from tests.browser.conftest import log_in
from tests.factories import (
    TEST_PASSWORD,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def badge_count(page) -> int:
    """The unread count in the header badge of the page shown."""
    count = page.locator("#notification-badge [data-unread]")
    return int(count.get_attribute("data-unread") or 0) if count.count() else 0


def test_the_social_worker_is_told_of_a_recommendation_and_opens_it(
    browser, live_server, page, assert_accessible, monkeypatch
):
    # No broker round trip here (test_email_worker covers it): the outbox keeps its rows.
    monkeypatch.setattr(spink.outbox.sending, "send_now", lambda message_id: False)
    worker = social_worker(username="sekreterare")
    officer = placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, username="handlaggare"
    )
    published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))
    request = submitted_request(worker)
    placements.take(actor=officer, request=request.pk)

    # The officer sends the recommendation in the browser.
    context = browser.new_context(base_url=live_server.url, locale="sv-SE")
    officer_page = context.new_page()
    officer_page.set_default_timeout(10_000)
    try:
        log_in(officer_page, officer.username, TEST_PASSWORD)
        officer_page.goto(f"/requests/{request.pk}/")
        matching = officer_page.locator("section", has=officer_page.locator("#matching-heading"))
        matching.get_by_role("button", name="Till kortlistan: HVB Fyren").click()
        matching.get_by_role("link", name="Jämför och skicka").click()
        officer_page.get_by_role("button", name="Skicka rekommendationerna").click()
        expect(officer_page.locator(".request-status")).to_contain_text("Rekommenderad")
        assert badge_count(officer_page) == 0  # the actor is not told
    finally:
        context.close()

    # The social worker sees one unread notification.
    log_in(page, worker.username, TEST_PASSWORD)
    assert badge_count(page) == 1
    page.goto("/notifications/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    items = page.locator(".notification-list > li")
    expect(items).to_have_count(1)
    unread = page.locator(".notification--unread")
    expect(unread).to_have_count(1)
    expect(unread).to_contain_text(request.reference)
    for secret in ("Alva", "Testsson", "20120315"):
        expect(items.first).not_to_contain_text(secret)
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 800})

    # Opening it lands on the request and marks it read.
    unread.get_by_role("link", name=re.compile(request.reference)).click()
    page.wait_for_url(f"**/requests/{request.pk}/")
    expect(page.locator(".request-status")).to_contain_text("Rekommenderad")
    assert badge_count(page) == 0

    page.goto("/notifications/")
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(page.locator(".notification-list > li")).to_have_count(1)
    assert_accessible(page)

    # The preferences page is accessible too.
    page.goto("/notifications/preferences/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
