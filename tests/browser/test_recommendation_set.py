"""Shortlist → compare → one recommendation set → one notification (issue 14), as an officer
and a social worker in real Chromium, with axe checks: the officer shortlists three units with
htmx and takes one off again, compares the two side by side (also at 320 px), is stopped by a
missing direct-procurement price, and sends both as one set; the social worker is told once,
sees one timeline event with both units, and gets one e-mail however often the task runs."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

import spink.outbox.sending
from followup.models import SiteVisit
from notifications.models import Kind, Notification
from placements import services
from placements import tasks as placement_tasks
from placements.models import Recommendation, RecommendationSet, RequestStatus, TimelineEvent
from spink.accounts.models import PlacementTeam
from spink.outbox.models import OutboxMessage
from tests.browser.conftest import log_in
from tests.browser.test_layout import PHONE, SCROLL_WIDTH
from tests.browser.test_notifications import badge_count
from tests.factories import (
    TEST_PASSWORD,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FYREN, LOTSEN, HAMNEN = "HVB Fyren", "HVB Lotsen", "HVB Hamnen"
MESSAGE = "Ring Fyren först, Hamnen har plats från måndag."


class HeldBack:
    """Holds back the outbox's commit-time publish (as while the broker is away): the rows
    stay pending and the test runs the task itself."""

    def __init__(self):
        self.held: list[int] = []

    def __call__(self, message_id: int) -> bool:
        self.held.append(message_id)
        return False


# The elements that reach past the viewport's right edge outside a scrolling table region
# (and outside a closed <details>): what makes a page scroll sideways, for a failure message.
STICKING_OUT = """() => [...document.querySelectorAll("main *")]
  .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5
                  && !el.closest(".table-scroll")
                  && !el.closest("details:not([open]) > :not(summary)"))
  .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
               + (el.className ? "." + String(el.className).trim().split(/ +/).join(".") : "")
               + " right=" + Math.round(el.getBoundingClientRect().right)
               + " min-width=" + getComputedStyle(el).minWidth)
  .slice(0, 8).join("; ")"""


def shortlist_button(matching, unit: str, *, on: bool):
    name = f"På kortlistan: {unit}, ta bort" if on else f"Till kortlistan: {unit}"
    return matching.get_by_role("button", name=name, exact=True)


def test_a_shortlist_of_two_compared_and_sent_is_one_set_one_event_one_notification_one_mail(
    browser, live_server, page, assert_accessible, monkeypatch
):
    held = HeldBack()
    monkeypatch.setattr(spink.outbox.sending, "send_now", held)
    worker = social_worker(username="sekreterare", email="sekreterare@example.invalid")
    officer = placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, username="handlaggare"
    )
    fyren = published_unit(
        "hvb", "framework", name=FYREN, price=Decimal("4200"), available_places=3
    )
    published_unit("hvb", "framework", name=LOTSEN, price=Decimal("4500"))
    hamnen = published_unit("hvb", "direct", name=HAMNEN, price=None)
    SiteVisit.objects.create(
        unit=fyren,
        service=fyren.offerings.get().service,
        operating_form=fyren.offerings.get().operating_form,
        team=PlacementTeam.CHILDREN_YOUTH,
        planned_for=dt.date(2026, 10, 1),
        visited_on=dt.date(2026, 10, 2),
        assessment=SiteVisit.Assessment.APPROPRIATE,
        created_by=officer,
    )
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)

    context = browser.new_context(base_url=live_server.url, locale="sv-SE")
    officer_page = context.new_page()
    officer_page.set_default_timeout(10_000)
    try:
        log_in(officer_page, officer.username, TEST_PASSWORD)
        officer_page.goto(f"/requests/{request.pk}/")

        # A compact ranked list: one row per unit, framework before direct procurement.
        matching = officer_page.locator("section", has=officer_page.locator("#matching-heading"))
        rows = matching.locator("li.match")
        expect(rows).to_have_count(3)
        expect(rows.get_by_role("heading", level=3)).to_have_text([FYREN, LOTSEN, HAMNEN])
        expect(shortlist_button(matching, FYREN, on=False)).to_have_text("Till kortlistan")
        shortlist = matching.locator("#shortlist")
        expect(shortlist).to_contain_text("Kortlista (0 verksamheter)")

        # Shortlisting is htmx: the button and the panel change, the page is not reloaded.
        officer_page.evaluate("window.__noReload = true")
        for unit in (FYREN, LOTSEN, HAMNEN):
            shortlist_button(matching, unit, on=False).click()
            expect(shortlist_button(matching, unit, on=True)).to_have_attribute(
                "aria-pressed", "true"
            )
        expect(shortlist.get_by_role("heading")).to_have_text("Kortlista (3 verksamheter)")
        shortlist_button(matching, LOTSEN, on=True).click()
        expect(shortlist_button(matching, LOTSEN, on=False)).to_have_attribute(
            "aria-pressed", "false"
        )
        expect(shortlist.get_by_role("heading")).to_have_text("Kortlista (2 verksamheter)")
        expect(shortlist.locator(".shortlist__units li")).to_have_text([FYREN, HAMNEN])
        assert officer_page.evaluate("window.__noReload") is True
        assert list(request.shortlist.values_list("offering__unit__name", flat=True)) == [
            FYREN,
            HAMNEN,
        ]

        # The reasons are folded under each row.
        first = rows.first
        more = first.locator("details.match__more")
        expect(more.locator(".reasons")).to_be_hidden()
        more.get_by_text(f"Varför {FYREN} passar").click()
        expect(more).to_have_attribute("open", "")
        expect(more.locator(".reasons")).to_contain_text("Erbjuder HVB barn och unga som ramavtal")
        assert_accessible(officer_page)

        # The comparison: the units as columns, in the order they were picked.
        shortlist.get_by_role(
            "link", name="Jämför och skicka som ett rekommendationsutskick"
        ).click()
        heading = officer_page.get_by_role("heading", level=1)
        expect(heading).to_have_text(f"Jämför kortlistan för {request.reference}")
        assert request.reference.startswith("PF-")
        table = officer_page.locator("table.compare")
        expect(table.locator("thead th[scope=col]")).to_have_text([FYREN, HAMNEN])
        row_headers = table.locator("tbody th[scope=row]").all_inner_texts()
        for label in (
            "Utförare",
            "Regiform",
            "Kommun och avstånd",
            "Dygnspris i dag",
            "Lediga platser",
            "Varför den passar",
            "Senaste matchningsfokuserade verksamhetsbesök",
        ):
            assert label in row_headers, (label, row_headers)

        def cells(label: str):
            return (
                table.get_by_role("row")
                .filter(has=officer_page.get_by_role("rowheader", name=label, exact=True))
                .locator("td")
            )

        expect(cells("Utförare")).to_have_text(
            [fyren.provider.legal_name, hamnen.provider.legal_name]
        )
        expect(cells("Regiform")).to_have_text(["Ramavtal", "Direktupphandling"])
        expect(cells("Kommun och avstånd").first).to_contain_text(fyren.municipality.name)
        expect(cells("Dygnspris i dag").first).to_contain_text(re.compile(r"4\s?200"))
        expect(cells("Dygnspris i dag").nth(1)).to_contain_text("Inget gällande pris")
        expect(cells("Lediga platser")).to_have_text(["3 av 8", "Okänt"])
        expect(cells("Senaste matchningsfokuserade verksamhetsbesök")).to_have_text(
            ["2026-10-02 · Lämplig", "–"]
        )
        assert_accessible(officer_page)

        # On a phone the page does not scroll sideways: the table scrolls in its own region.
        officer_page.set_viewport_size(PHONE)
        region = officer_page.locator(".table-scroll", has=table)
        expect(region).to_have_attribute("role", "region")
        assert region.evaluate("(el) => getComputedStyle(el).overflowX") in {"auto", "scroll"}
        assert region.evaluate("(el) => el.scrollWidth > el.clientWidth")  # it scrolls itself
        assert region.evaluate("(el) => el.getBoundingClientRect().right") <= PHONE["width"]
        # Nothing else sticks out: the send form's fieldsets shrink to the phone's width.
        phone_width = officer_page.evaluate(SCROLL_WIDTH)
        sticking_out = officer_page.evaluate(STICKING_OUT)
        assert phone_width <= PHONE["width"], (
            f"the comparison page is {phone_width} px wide at 320 px: {sticking_out}"
        )
        officer_page.set_viewport_size({"width": 1280, "height": 800})

        # The form: per unit whether it goes, its price and a comment; one message.
        form = officer_page.locator("form", has=officer_page.locator("#send-heading"))
        for unit in (FYREN, HAMNEN):
            expect(form.get_by_label(f"Skicka {unit}", exact=True)).to_be_checked()
        expect(form.get_by_label(f"Skicka {LOTSEN}", exact=True)).to_have_count(0)
        hamnen_price = form.get_by_label(f"Dygnspris (kr) för {HAMNEN}", exact=True)
        expect(hamnen_price).to_have_value("")
        form.get_by_label(f"Kommentar om {FYREN}", exact=True).fill("Skola finns på plats.")
        form.get_by_label("Meddelande till socialsekreteraren").fill(MESSAGE)

        # Direct procurement without a price: the error at the field, focus on the summary.
        form.get_by_role("button", name="Skicka rekommendationerna").click()
        summary = officer_page.locator(".error-summary")
        expect(summary).to_be_focused()
        assert officer_page.evaluate("document.activeElement.classList.contains('error-summary')")
        expect(summary).to_contain_text(
            f"Dygnspris (kr) för {HAMNEN}: Ett dygnspris krävs vid direktupphandling."
        )
        hamnen_field = officer_page.locator(".field--error").filter(
            has=officer_page.get_by_label(f"Dygnspris (kr) för {HAMNEN}", exact=True)
        )
        expect(hamnen_field.locator(".field__errors")).to_have_text(
            "Ett dygnspris krävs vid direktupphandling."
        )
        expect(hamnen_price).to_have_attribute("aria-invalid", "true")
        expect(officer_page.get_by_role("heading", level=1)).to_contain_text("Jämför kortlistan")
        assert not RecommendationSet.objects.exists()
        assert not Recommendation.objects.exists()
        assert held.held == []
        assert_accessible(officer_page)

        # What was typed is kept; with the price the set goes.
        expect(form.get_by_label(f"Kommentar om {FYREN}", exact=True)).to_have_value(
            "Skola finns på plats."
        )
        expect(form.get_by_label("Meddelande till socialsekreteraren")).to_have_value(MESSAGE)
        hamnen_price.fill("4300")
        form.get_by_label(f"Kommentar om {HAMNEN}", exact=True).fill("Plats från måndag.")
        form.get_by_role("button", name="Skicka rekommendationerna").click()
        officer_page.wait_for_url(f"**/requests/{request.pk}/*")
        expect(officer_page.locator(".request-status")).to_contain_text("Rekommenderad")
        expect(officer_page.get_by_role("status").first).to_contain_text(
            f"2 rekommendationer skickades till socialsekreteraren för {request.reference}"
        )
        assert badge_count(officer_page) == 0  # the actor is not told
        assert_accessible(officer_page)
    finally:
        context.close()

    # In the database: one set of two, one event, one message waiting in the outbox.
    sending = RecommendationSet.objects.get()
    assert sending.message == MESSAGE
    assert sorted(
        Recommendation.objects.filter(recommendation_set=sending).values_list(
            "offering__unit__name", "daily_price"
        )
    ) == [(FYREN, Decimal("4200.00")), (HAMNEN, Decimal("4300.00"))]
    assert Recommendation.objects.count() == 2
    (pending,) = OutboxMessage.objects.filter(task=services.NOTIFY_RECOMMENDATION_SET_TASK)
    assert pending.args == [sending.pk]
    assert pending.sent_at is None
    assert held.held == [pending.pk]
    (event,) = TimelineEvent.objects.filter(
        request=request, kind=TimelineEvent.Kind.RECOMMENDATION_SENT
    )
    assert (event.text, [unit["unit"] for unit in event.data["units"]]) == (
        MESSAGE,
        [FYREN, HAMNEN],
    )
    assert list(Notification.objects.values_list("recipient", "kind")) == [
        (worker.pk, Kind.RECOMMENDATION)
    ]
    request.refresh_from_db()
    assert request.status == RequestStatus.RECOMMENDED
    assert not request.shortlist.exists()  # the sent units leave the shortlist

    # The social worker is told once, and lands on the request.
    log_in(page, worker.username, TEST_PASSWORD)
    assert badge_count(page) == 1
    page.goto("/notifications/")
    items = page.locator(".notification-list > li")
    expect(items).to_have_count(1)
    items.first.get_by_role("link", name=re.compile(re.escape(request.reference))).click()
    page.wait_for_url(f"**/requests/{request.pk}/")
    assert badge_count(page) == 0
    expect(page.locator(".request-status")).to_contain_text("Rekommenderad")

    # One timeline event for the set: both units and the message.
    sent = page.locator(".timeline__event--recommendation_sent")
    expect(sent).to_have_count(1)
    expect(sent.locator(".timeline__kind")).to_have_text("Rekommendation skickad")
    expect(sent.locator(".timeline__units li")).to_have_count(2)
    expect(sent.locator(".timeline__units li").first).to_contain_text(FYREN)
    expect(sent.locator(".timeline__units li").nth(1)).to_contain_text(HAMNEN)
    expect(sent.locator(".timeline__text")).to_have_text(MESSAGE)
    kinds = page.locator(".timeline .timeline__kind").all_inner_texts()
    assert kinds.count("Rekommendation skickad") == 1, kinds

    # Both units in the recommendations table, with their comments.
    recommendations = page.locator("section", has=page.locator("#recommendations-heading"))
    table_rows = recommendations.locator("table tbody tr")
    expect(table_rows).to_have_count(2)
    expect(recommendations.get_by_role("row", name=re.compile(FYREN))).to_contain_text(
        "Skola finns på plats."
    )
    expect(recommendations.get_by_role("row", name=re.compile(HAMNEN))).to_contain_text(
        "Plats från måndag."
    )
    assert_accessible(page)

    # One e-mail for the set, however often the task is delivered.
    notify = placement_tasks.notify_recommendation_set
    assert notify.name == services.NOTIFY_RECOMMENDATION_SET_TASK
    assert notify(sending.pk) is True
    (message,) = mail.outbox
    assert message.to == [worker.email]
    assert request.reference in message.subject
    assert notify(sending.pk) is False
    assert len(mail.outbox) == 1
