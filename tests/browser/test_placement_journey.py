"""A placement request from start to placement, as real users in Chromium, with axe checks on
every page visited; and a protected identity as a third user sees it."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

import placements.tasks
import spink.outbox.sending
from placements.models import PlacementRequest, Recommendation, RequestStatus
from spink.accounts.models import PlacementTeam
from spink.outbox.models import OutboxMessage
from tests.browser.conftest import log_in
from tests.factories import (
    TEST_PASSWORD,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class HeldBack:
    """Holds back the outbox's commit-time publish while the live server runs, so the message
    stays pending in the real outbox (as while the broker is away) and the test runs the real
    task itself and reads the e-mail it sends."""

    def __init__(self):
        self.held: list[int] = []

    def __call__(self, message_id: int) -> bool:
        self.held.append(message_id)
        return False


def main_menu(page):
    return page.get_by_role("navigation", name="Huvudmeny")


def timeline_kinds(page) -> list[str]:
    return page.locator(".timeline .timeline__kind").all_inner_texts()


def test_request_goes_from_social_worker_to_officer_and_back_to_placement(
    browser, live_server, page, assert_accessible, monkeypatch
):
    worker = social_worker(username="sekreterare", email="sekreterare@example.invalid")
    officer = placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, username="handlaggare"
    )
    published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))
    published_unit("hvb", "framework", name="HVB Pojkhemmet", gender="male")
    notify = placements.tasks.notify_recommendation_set
    held = HeldBack()
    monkeypatch.setattr(spink.outbox.sending, "send_now", held)

    # The social worker writes and submits the request.
    log_in(page, worker.username, TEST_PASSWORD)
    main_menu(page).get_by_role("link", name="Mina förfrågningar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina förfrågningar")
    assert_accessible(page)
    page.get_by_role("link", name="Ny placeringsförfrågan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny placeringsförfrågan")
    assert_accessible(page)
    page.get_by_label("Insats").select_option(label="HVB barn och unga")
    subcategory = page.get_by_label("Underkategori")
    # htmx narrows the subcategories to the chosen service.
    expect(subcategory.locator("option")).to_have_count(4)
    subcategory.select_option(label="Behandlingsuppdrag")
    page.get_by_label("Brådska").select_option(label="Planerad")
    page.get_by_label("Önskat startdatum").fill(
        (dt.date.today() + dt.timedelta(days=14)).isoformat()
    )
    page.get_by_role("textbox", name="Personnummer").fill("20120315-2382")
    page.get_by_label("Förnamn").fill("Alva")
    page.get_by_label("Efternamn").fill("Testsson")
    page.get_by_label("Behov och krav").fill("Behöver struktur och skolgång.")
    page.get_by_role("button", name="Skicka in till Spink").click()
    expect(page.get_by_role("status").first).to_contain_text("skickades in till Spink")
    request = PlacementRequest.objects.get()
    assert request.status == RequestStatus.SUBMITTED
    assert request.subcategory.code == "hvb--behandlingsuppdrag"
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    expect(page.locator(".request-status")).to_contain_text("Inskickad")
    assert_accessible(page)

    # A placement officer (another login) finds it in the team's queue and takes it.
    context = browser.new_context(base_url=live_server.url, locale="sv-SE")
    try:
        officer_page = context.new_page()
        officer_page.set_default_timeout(10_000)
        log_in(officer_page, officer.username, TEST_PASSWORD)
        main_menu(officer_page).get_by_role("link", name="Arbetskö").click()
        row = officer_page.get_by_role("row", name=re.compile(request.reference))
        expect(row).to_contain_text("Alva Testsson")
        expect(row).not_to_contain_text("20120315")
        assert_accessible(officer_page)
        row.get_by_role("button", name=f"Ta {request.reference}").click()
        expect(officer_page.locator(".request-status")).to_contain_text("Under matchning")

        # Ranked matches with their reasons; the excluded unit with its reason.
        matching = officer_page.locator("section", has=officer_page.locator("#matching-heading"))
        candidate = matching.locator(".match").first
        expect(candidate.get_by_role("heading")).to_contain_text("HVB Fyren")
        candidate.get_by_text("Varför HVB Fyren passar").click()
        expect(candidate).to_contain_text("Erbjuder HVB barn och unga som ramavtal")
        matching.get_by_text("Uteslutna verksamheter (1)").click()
        excluded = matching.locator(".excluded")
        expect(excluded).to_contain_text("HVB Pojkhemmet")
        expect(excluded).to_contain_text("Verksamheten tar emot ett annat kön")
        assert_accessible(officer_page)

        # Shortlisted (htmx), compared and sent as a set of one.
        candidate.get_by_role("button", name="Till kortlistan: HVB Fyren").click()
        shortlist = matching.locator("#shortlist")
        expect(shortlist).to_contain_text("Kortlista (1 verksamhet)")
        shortlist.get_by_role("link", name="Jämför och skicka").click()
        expect(officer_page.get_by_role("heading", level=1)).to_contain_text("Jämför kortlistan")
        assert_accessible(officer_page)
        officer_page.get_by_label("Kommentar om HVB Fyren").fill("Skola finns på plats.")
        officer_page.get_by_role("button", name="Skicka rekommendationerna").click()
        expect(officer_page.get_by_role("status").first).to_contain_text(
            "1 rekommendation skickades"
        )
        expect(officer_page.locator(".request-status")).to_contain_text("Rekommenderad")
        assert_accessible(officer_page)
    finally:
        context.close()

    # The notification is in the outbox, one message; run the task and look at the e-mail.
    recommendation = Recommendation.objects.get()
    (pending,) = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert (pending.task, pending.args, held.held) == (
        notify.name,
        [recommendation.recommendation_set_id],
        [pending.pk],
    )
    assert notify(recommendation.recommendation_set_id) is True
    (message,) = mail.outbox
    assert message.to == [worker.email]
    assert request.reference in message.subject
    for secret in ("Alva", "Testsson", "20120315", "2382"):
        assert secret not in message.subject + message.body

    # The social worker reports the choice and the start date.
    page.reload()
    expect(page.locator(".request-status")).to_contain_text("Rekommenderad")
    recommendations = page.locator("section", has=page.locator("#recommendations-heading"))
    expect(recommendations.get_by_role("row", name=re.compile("HVB Fyren"))).to_contain_text(
        "Skola finns på plats."
    )
    assert_accessible(page)
    recommendations.get_by_label(re.compile("HVB Fyren")).check()
    recommendations.get_by_label("Placeringens start").fill("2026-12-03")
    recommendations.get_by_role("button", name="Rapportera valet").click()
    expect(page.locator(".request-status")).to_contain_text("Placerad")
    assert timeline_kinds(page) == [
        "Skapad",
        "Inskickad",
        "Tilldelad",
        "Rekommendation skickad",
        "Utförare vald",
    ]
    assert_accessible(page)
    request.refresh_from_db()
    assert request.status == RequestStatus.PLACED
    assert request.chosen_recommendation == recommendation


def test_a_colleague_never_sees_who_a_protected_request_is_about(page, assert_accessible):
    worker = social_worker()
    colleague = social_worker(worker.org_unit, username="kollega")  # the same unit
    request = submitted_request(
        worker,
        protected_identity=True,
        person_first_name="Zelmira",
        person_last_name="Hemligsdotter",
        person_address="Gömdavägen 7",
    )
    log_in(page, colleague.username, TEST_PASSWORD)
    main_menu(page).get_by_role("link", name="Mina förfrågningar").click()
    # "Mina" are the colleague's own; the unit's requests are one choice away.
    expect(page.get_by_role("row", name=re.compile(request.reference))).to_have_count(0)
    page.get_by_label("Visa", exact=True).select_option("org_unit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Min enhets förfrågningar")
    row = page.get_by_role("row", name=re.compile(request.reference))
    expect(row).to_contain_text("Skyddad identitet")
    assert_accessible(page)
    row.get_by_role("link", name=request.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    expect(page.locator("#person-heading + p")).to_contain_text("Skyddad identitet")
    assert_accessible(page)
    for url in ("/requests/", f"/requests/{request.pk}/"):
        page.goto(url)
        content = page.content()
        for secret in ("Zelmira", "Hemligsdotter", "Gömdavägen", "20120315", "2012-03-15"):
            assert secret not in content
