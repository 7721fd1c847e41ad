"""Supplier follow-up in a real browser: a credit signal becomes a deep control that pauses a
unit; feedback is lodged, communicated and closed; a rejected control keeps a unit unpublished.
Every page visited is checked with axe-core (no serious or critical findings)."""

import pytest
from django.apps import apps
from playwright.sync_api import expect

from categories import taxonomy
from followup.models import Control, Feedback, Severity, Signal
from providers.models import LegalForm, PublicationStatus
from spink.accounts.models import Role
from tests.browser.conftest import log_in
from tests.factories import (
    TEST_PASSWORD,
    OrgUnitFactory,
    ProviderFactory,
    UnitFactory,
    offering,
    published_unit,
    user_with_role,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def service_taxonomy(transactional_db):
    # Transactional tests flush the database afterwards, taking the migration-loaded
    # taxonomy with it; load it again (idempotent) for each test.
    taxonomy.load(apps)


def menu(page):
    return page.get_by_role("navigation", name="Huvudmeny")


def main(page):
    return page.locator("main")


def log_out(page) -> None:
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login/")


def test_the_team_turns_a_credit_signal_into_a_deep_control_that_pauses_the_unit(
    page, assert_accessible
):
    unit = published_unit("socialt-boende", "direct", name="Björken Angered")
    signal = Signal.objects.create(
        kind=Signal.Kind.CREDIT,
        severity=Severity.HIGH,
        provider=unit.provider,
        unit=unit,
        title="Kraftigt sänkt kreditbetyg",
        dedup_key="credit-browser-1",
    )
    user_with_role(Role.QUALITY_CONTROL, username="kvalitet1")
    log_in(page, "kvalitet1", TEST_PASSWORD)

    menu(page).get_by_role("link", name="Fördjupade kontroller").click()
    expect(page.get_by_role("heading", level=1, name="Fördjupade kontroller")).to_be_visible()
    assert_accessible(page)
    main(page).get_by_role("link", name="Starta en fördjupad kontroll").click()
    assert_accessible(page)
    page.get_by_label("Från en signal").select_option(value=str(signal.pk))
    page.get_by_label("Genomförda kontroller").fill("Kreditupplysning: betalningsanmärkningar")
    page.get_by_role("button", name="Starta den fördjupade kontrollen").click()

    expect(
        page.get_by_role("heading", level=1, name="Fördjupad kontroll av Björken Angered")
    ).to_be_visible()
    expect(main(page)).to_contain_text("Kraftigt sänkt kreditbetyg")
    assert_accessible(page)
    outcome = page.get_by_role("form", name="Besluta om utfall")
    outcome.get_by_label("Verksamheten pausad").check()
    outcome.get_by_role("button", name="Besluta om utfall").click()
    # No reason: refused on the field, nothing changed.
    outcome = page.get_by_role("form", name="Besluta om utfall")
    expect(outcome.get_by_role("alert")).to_contain_text("Ange en motivering till utfallet.")
    assert_accessible(page)
    outcome.get_by_label("Verksamheten pausad").check()
    outcome.get_by_label("Motivering till utfallet").fill("Skulder hos Kronofogden")
    outcome.get_by_role("button", name="Besluta om utfall").click()
    expect(page.get_by_role("status")).to_contain_text("Utfall beslutat: Verksamheten pausad.")
    assert_accessible(page)

    main(page).get_by_role("link", name="Björken Angered").click()
    expect(page.get_by_role("heading", level=1, name="Björken Angered")).to_be_visible()
    expect(page.get_by_role("table", name="Ändringar av publiceringsstatus")).to_contain_text(
        "Skulder hos Kronofogden"
    )
    expect(page.locator(".badge--paused").first).to_have_text("Pausad")
    assert_accessible(page)
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PAUSED
    signal.refresh_from_db()
    assert signal.status == Signal.Status.IN_PROGRESS


def test_feedback_is_lodged_by_a_social_worker_then_communicated_and_closed_by_the_team(
    page, assert_accessible
):
    unit = published_unit("socialt-boende", "direct", name="Vågen Majorna")
    user_with_role(Role.SOCIAL_WORKER, username="socialsekreterare1", org_unit=OrgUnitFactory())
    user_with_role(Role.QUALITY_CONTROL, username="kvalitet2")

    log_in(page, "socialsekreterare1", TEST_PASSWORD)
    page.goto(f"/register/units/{unit.pk}/")
    assert_accessible(page)
    main(page).get_by_role("link", name="Lämna synpunkt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lämna en synpunkt om en utförare")
    expect(page.locator('input[type="hidden"][name="unit"]')).to_have_value(str(unit.pk))
    assert_accessible(page)
    page.get_by_label("Kategori").select_option(label="Dokumentation")
    page.get_by_role("button", name="Skicka synpunkten").click()
    # No description: the error summary links to the field.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Beskrivning")
    expect(page.get_by_label("Beskrivning")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Beskrivning")).to_be_focused()
    page.get_by_label("Beskrivning").fill("Genomförandeplanen har inte upprättats.")
    page.get_by_role("button", name="Skicka synpunkten").click()
    expect(page.get_by_role("status")).to_contain_text("Synpunkten har skickats")
    assert_accessible(page)
    # Those placing do not get the team's list.
    expect(menu(page).get_by_role("link", name="Synpunkter")).to_have_count(0)
    log_out(page)

    log_in(page, "kvalitet2", TEST_PASSWORD)
    menu(page).get_by_role("link", name="Synpunkter").click()
    assert_accessible(page)
    page.locator("#feedback-results").get_by_role("link", name="Vågen Majorna").click()
    expect(main(page)).to_contain_text("Genomförandeplanen har inte upprättats.")
    assert_accessible(page)
    page.get_by_role("button", name="Markera som kommunicerad").click()
    expect(page.get_by_role("status")).to_contain_text("kommunicerad till utföraren")
    assert_accessible(page)
    close = page.get_by_role("form", name="Avsluta synpunkten")
    close.get_by_label("Kommunicerat och dokumenterat").check()
    close.get_by_label("Anteckning vid avslut").fill("Utföraren har bemött synpunkten.")
    close.get_by_role("button", name="Avsluta").click()
    expect(page.get_by_role("status")).to_contain_text("Synpunkten har avslutats.")
    expect(main(page)).to_contain_text("Kommunicerat och dokumenterat")
    assert_accessible(page)
    feedback = Feedback.objects.get()
    assert (feedback.status, feedback.closing_category) == ("closed", "documented")


def test_a_rejected_control_keeps_the_unit_unpublished(page, assert_accessible):
    provider = ProviderFactory(legal_name="Solhem Omsorg AB", legal_form=LegalForm.COMPANY)
    unit = UnitFactory(provider=provider, name="Solhem Kortedala")
    offering(unit, "socialt-boende", "direct", price=1900)
    user_with_role(Role.QUALITY_CONTROL, username="kvalitet3")
    log_in(page, "kvalitet3", TEST_PASSWORD)

    menu(page).get_by_role("link", name="Kontroller", exact=True).click()
    assert_accessible(page)
    main(page).get_by_role("link", name="Starta en kontroll").click()
    assert_accessible(page)
    page.get_by_label("Utförare som ska kontrolleras").select_option(value=str(provider.pk))
    page.get_by_role("button", name="Starta kontrollen").click()
    expect(
        page.get_by_role("heading", level=1, name="Kontroll av Solhem Omsorg AB")
    ).to_be_visible()
    assert_accessible(page)

    credit = page.get_by_role("form", name="Registrera: Kreditvärdighet och ekonomi")
    credit.get_by_label("Underkänd").check()
    credit.get_by_label("Anteckning").fill("Betalningsanmärkningar och negativt eget kapital")
    credit.get_by_role("button", name="Spara kontrollpunkten").click()
    check = page.locator("#check-credit")
    expect(check.get_by_role("status")).to_contain_text(
        "Kreditvärdighet och ekonomi har registrerats."
    )
    expect(check).to_contain_text("Betalningsanmärkningar och negativt eget kapital")
    assert_accessible(page)

    decision = page.get_by_role("form", name="Beslut")
    decision.get_by_label("Godkänn: utföraren får läggas till i utförarregistret").check()
    decision.get_by_role("button", name="Besluta").click()
    expect(page.get_by_role("form", name="Beslut").get_by_role("alert")).to_contain_text(
        "dessa kontrollpunkter är underkända: Kreditvärdighet och ekonomi"
    )
    assert_accessible(page)
    decision = page.get_by_role("form", name="Beslut")
    decision.get_by_label("Godkänn inte").check()
    decision.get_by_label("Motivering").fill("Saknar ekonomisk stabilitet")
    decision.get_by_role("button", name="Besluta").click()
    expect(page.get_by_role("status")).to_contain_text("Utföraren har inte godkänts.")
    assert_accessible(page)
    assert Control.objects.get().decision == Control.Decision.REJECTED

    main(page).get_by_role("link", name="Solhem Kortedala").click()
    status_form = page.get_by_role("form", name="Byt status")
    status_form.get_by_label("Publicerad", exact=True).check()
    status_form.get_by_label("Motivering till statusändringen").fill("Kontroll klar")
    status_form.get_by_role("button", name="Byt status").click()
    status_form = page.get_by_role("form", name="Byt status")
    expect(status_form.get_by_role("alert")).to_contain_text(
        "Utföraren godkändes inte i Spinks kontroll"
    )
    assert_accessible(page)
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.UNDER_CONTROL
