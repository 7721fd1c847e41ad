"""Input on the record in Chromium: an officer writes an internal note that the social worker
never sees; a failed post lands the focus on the error summary next to the form that failed;
a second open request for the same person and service is shown, with a link, before it is
submitted. axe finds nothing serious on the pages."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from placements import services
from placements.models import RequestStatus, TimelineEvent
from spink.accounts.models import PlacementTeam
from tests.browser.conftest import log_in
from tests.factories import (
    TEST_PASSWORD,
    placement_officer,
    request_fields,
    social_worker,
    submitted_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOTE = "Ring enhetschefen om platsen innan fredag."
INTERNAL = re.compile("Internal – only placement officers|Intern – bara placeringshandläggare")


def test_an_officers_internal_note_is_kept_from_the_social_worker(
    page, browser, live_server, assert_accessible
):
    worker = social_worker(username="sekreterare")
    officer = placement_officer(
        worker.administration.municipality, team=PlacementTeam.CHILDREN_YOUTH, username="hl"
    )
    request = services.take(actor=officer, request=submitted_request(worker))
    services.post_message(actor=worker, request=request, text="Finns det plats i höst?")
    detail = reverse("placements:request-detail", args=[request.pk])

    log_in(page, officer.username, TEST_PASSWORD)
    page.goto(detail)
    note_form = page.locator("form", has=page.locator("#note-heading"))

    # An empty note: refused in the note form, whose error summary takes the focus.
    note_form.get_by_role("button").click()
    summary = page.locator("form", has=page.locator("#note-heading")).locator(".error-summary")
    expect(summary).to_be_focused()
    assert_accessible(page)

    page.locator("form", has=page.locator("#note-heading")).locator("textarea").fill(NOTE)
    page.locator("form", has=page.locator("#note-heading")).get_by_role("button").click()
    timeline = page.locator(".timeline")
    note = timeline.locator(".timeline__event--internal_note")
    expect(note).to_contain_text(NOTE)
    expect(note.locator(".timeline__visibility")).to_have_text(INTERNAL)
    expect(timeline.locator(".timeline__event--message .timeline__visibility")).to_be_visible()
    assert_accessible(page)
    assert request.timeline.filter(kind=TimelineEvent.Kind.INTERNAL_NOTE).count() == 1

    # The social worker, in a browser of their own, sees the message but never the note.
    context = browser.new_context(base_url=live_server.url, locale="sv-SE")
    try:
        worker_page = context.new_page()
        worker_page.set_default_timeout(10_000)
        log_in(worker_page, worker.username, TEST_PASSWORD)
        worker_page.goto(detail)
        expect(worker_page.locator(".timeline")).to_contain_text("Finns det plats i höst?")
        expect(worker_page.locator(".timeline")).not_to_contain_text(NOTE)
        expect(worker_page.locator(".timeline__event--internal_note")).to_have_count(0)
        expect(worker_page.locator("#note-heading")).to_have_count(0)
    finally:
        context.close()


def test_a_failed_request_form_focuses_the_error_summary(page, assert_accessible):
    worker = social_worker(username="sekreterare")
    log_in(page, worker.username, TEST_PASSWORD)
    page.goto(reverse("placements:request-create"))
    page.get_by_role("textbox", name="Personnummer").fill("20120315-2383")  # wrong check digit
    page.get_by_role("button", name="Spara utkast").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    # The summary links each error to its field, where the error is shown too.
    expect(summary.get_by_role("link").first).to_be_visible()
    expect(page.locator(".field--error .field__errors").first).to_be_visible()
    assert_accessible(page)


def test_a_second_open_request_is_shown_before_it_is_submitted(page, assert_accessible):
    worker = social_worker(username="sekreterare")
    other = submitted_request(social_worker(worker.org_unit))
    draft = services.create_request(actor=worker, **request_fields())
    log_in(page, worker.username, TEST_PASSWORD)
    page.goto(reverse("placements:request-edit", args=[draft.pk]))
    warning = page.locator(".duplicate-warning")
    expect(warning.get_by_role("link", name=other.reference)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Skicka in till Spink").click()
    expect(page.locator(".duplicate-warning")).to_be_focused()
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert_accessible(page)

    page.locator("#id_confirm_duplicate").check()
    page.get_by_role("button", name="Skicka in till Spink").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(draft.reference)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.SUBMITTED
