"""The provider register in a real browser: search, pause with a reason, scope, accessibility."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from categories.models import CategoryArea, Service
from providers.models import FrameworkAgreement
from spink.accounts.models import Role
from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, offering, published_unit, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_register(page) -> None:
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Utförarregister"
    ).click()
    page.wait_for_url("**/register/")


def search(page, text: str) -> None:
    page.get_by_label("Sök", exact=True).fill(text)
    page.get_by_role("button", name="Sök", exact=True).click()


def test_quality_control_pauses_a_unit_and_placement_officers_no_longer_see_it(
    page, assert_accessible
):
    published_unit(name="Gården Backa 12")
    published_unit(name="Solrosen Angered 3")
    user_with_role(Role.QUALITY_CONTROL, username="kvalitet1")
    user_with_role(Role.PLACEMENT_OFFICER, username="placering1")

    log_in(page, "kvalitet1", TEST_PASSWORD)
    open_register(page)
    assert_accessible(page)
    search(page, "Backa")
    page.wait_for_url("**/register/?q=Backa*")
    results = page.locator("#register-results")
    expect(results.get_by_role("link", name="Solrosen Angered 3")).to_have_count(0)
    results.get_by_role("link", name="Gården Backa 12").click()

    expect(page.get_by_role("heading", level=1, name="Gården Backa 12")).to_be_visible()
    assert_accessible(page)
    status_form = page.get_by_role("form", name="Byt status")
    status_form.get_by_label("Pausad").check()
    status_form.get_by_role("button", name="Byt status").click()

    # No reason: refused, with the error tied to the field, and nothing changed.
    status_form = page.get_by_role("form", name="Byt status")
    expect(status_form.get_by_role("alert")).to_contain_text("Ange en motivering till ändringen.")
    reason = status_form.get_by_label("Motivering till statusändringen")
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    status_form.get_by_label("Pausad").check()
    reason.fill("IVO har inlett tillsyn efter anmälan")
    status_form.get_by_role("button", name="Byt status").click()
    expect(page.get_by_role("status")).to_contain_text("Statusen är nu ”Pausad”.")
    expect(page.get_by_role("table", name="Ändringar av publiceringsstatus")).to_contain_text(
        "IVO har inlett tillsyn efter anmälan"
    )

    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login/")
    log_in(page, "placering1", TEST_PASSWORD)
    open_register(page)
    results = page.locator("#register-results")
    expect(results.get_by_role("link", name="Solrosen Angered 3")).to_be_visible()
    expect(results.get_by_role("link", name="Gården Backa 12")).to_have_count(0)
    search(page, "Backa")
    expect(page.locator("#result-count")).to_have_text("Hittade verksamheter: 0")
    expect(results).to_contain_text("Inga verksamheter matchar sökningen.")


def test_filtering_updates_the_results_in_place_and_keeps_the_address(page, assert_accessible):
    hvb = published_unit(name="Kompassen Tuve", service_code="hvb", form_code="framework")
    offering(hvb, "stodboende", "framework")
    published_unit(name="Lyktan Majorna", service_code="socialt-boende", form_code="direct")
    user_with_role(Role.SOCIAL_WORKER, username="socialsekreterare1")

    log_in(page, "socialsekreterare1", TEST_PASSWORD)
    open_register(page)
    # Status filters are for the register team only.
    expect(page.get_by_label("Publiceringsstatus")).to_have_count(0)
    page.evaluate("window.spinkNotReloaded = true")
    page.get_by_label("Insats", exact=True).select_option(label="HVB barn och unga")

    results = page.locator("#register-results")
    expect(results.get_by_role("link", name="Lyktan Majorna")).to_have_count(0)
    expect(results.get_by_role("link", name="Kompassen Tuve")).to_have_count(1)
    expect(page.locator("#result-count")).to_have_text("Hittade verksamheter: 1")
    assert "service=hvb" in page.url
    assert page.evaluate("window.spinkNotReloaded") is True
    assert_accessible(page)


def test_register_search_works_without_javascript(browser, live_server):
    published_unit(name="Havsbrisen Askim")
    published_unit(name="Fyren Styrsö")
    user_with_role(Role.PLACEMENT_OFFICER, username="placering2")
    context = browser.new_context(
        base_url=live_server.url, locale="sv-SE", java_script_enabled=False
    )
    page = context.new_page()
    try:
        log_in(page, "placering2", TEST_PASSWORD)
        page.goto("/register/")
        search(page, "Havsbrisen")
        page.wait_for_url("**/register/?q=Havsbrisen*")
        results = page.locator("#register-results")
        expect(results.get_by_role("link", name="Havsbrisen Askim")).to_be_visible()
        expect(results.get_by_role("link", name="Fyren Styrsö")).to_have_count(0)
    finally:
        context.close()


def test_register_forms_show_errors_accessibly(page, assert_accessible):
    unit = published_unit(name="Ekbacken Lindome")
    user_with_role(Role.QUALITY_CONTROL, username="kvalitet2")
    log_in(page, "kvalitet2", TEST_PASSWORD)

    page.goto("/register/providers/new/")
    page.get_by_label("Juridiskt namn").fill("Nova Omsorg AB")
    page.get_by_label("Organisationsnummer").fill("556000-0000")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("alert")).to_contain_text("fel kontrollsiffra")
    expect(page.get_by_label("Organisationsnummer")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto(f"/register/units/{unit.pk}/services/")
    page.get_by_label("Insats (obligatoriskt)").select_option(label="Bostad först")
    page.get_by_label("Regiform (obligatoriskt)").select_option(label="Direktupphandling")
    page.get_by_role("button", name="Lägg till insats").click()
    expect(page.get_by_role("alert")).to_contain_text("Bostad först kan inte köpas")
    assert_accessible(page)


def test_procurement_sees_why_an_admission_date_is_refused(page, assert_accessible):
    agreement = FrameworkAgreement.objects.create(
        name="Skyddat boende",
        reference="RA-2026-07",
        is_open=True,
        area=CategoryArea.objects.get(code="vuxen"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
    )
    agreement.services.set(Service.objects.filter(code="skyddat-boende"))
    unit = published_unit(name="Fyren Styrsö", service_code="skyddat-boende", form_code="framework")
    user_with_role(Role.PROCUREMENT, username="upphandling1")
    log_in(page, "upphandling1", TEST_PASSWORD)

    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Ramavtal").click()
    page.get_by_role("link", name="Skyddat boende").click()
    assert_accessible(page)
    form = page.get_by_role("form", name="Anta en verksamhet")
    form.get_by_label("Verksamhet som ska antas").select_option(value=str(unit.pk))
    form.get_by_label("Antagen den").fill("2026-03-15")
    form.get_by_role("button", name="Anta verksamheten").click()
    expect(page.get_by_role("alert")).to_contain_text("1 januari och den 1 juli")
    assert_accessible(page)
