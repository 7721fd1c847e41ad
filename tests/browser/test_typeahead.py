"""The lodge form's unit typeahead in a real browser: typed, chosen with the keyboard
(ArrowDown, Enter), submitted; the page is checked with axe-core on the way."""

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from categories import taxonomy
from followup.models import Feedback
from spink.accounts.models import Role
from tests.browser.conftest import log_in
from tests.factories import (
    TEST_PASSWORD,
    OrgUnitFactory,
    ProviderFactory,
    published_unit,
    user_with_role,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def service_taxonomy(transactional_db):
    # Transactional tests flush the database afterwards; load the taxonomy again.
    taxonomy.load(apps)


def test_a_unit_is_chosen_with_the_keyboard_and_the_feedback_lodged(page, assert_accessible):
    provider = ProviderFactory(legal_name="Vågen Omsorg AB")
    majorna = published_unit(name="Vågen Majorna", provider=provider)
    published_unit(name="Vågen Hisingen", provider=provider)
    published_unit(name="Solhem Kortedala")
    user_with_role(Role.SOCIAL_WORKER, username="socialsekreterare9", org_unit=OrgUnitFactory())

    log_in(page, "socialsekreterare9", TEST_PASSWORD)
    page.goto(reverse("followup:feedback-create"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lämna en synpunkt om en utförare")
    assert_accessible(page)

    unit = page.get_by_role("combobox", name="Verksamhet")
    unit.click()
    unit.press_sequentially("vågen", delay=30)
    listbox = page.get_by_role("listbox", name="Verksamhet")
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(unit).to_have_attribute("aria-expanded", "true")
    assert_accessible(page)
    unit.press("ArrowDown")  # Vågen Hisingen (by name)
    unit.press("ArrowDown")  # Vågen Majorna
    expect(listbox.get_by_role("option", name="Vågen Majorna – Vågen Omsorg AB")).to_have_attribute(
        "aria-selected", "true"
    )
    unit.press("Enter")
    expect(unit).to_have_value("Vågen Majorna – Vågen Omsorg AB")
    expect(unit).to_have_attribute("aria-expanded", "false")
    expect(page.locator('input[type="hidden"][name="unit"]')).to_have_value(str(majorna.pk))
    expect(unit).to_be_focused()
    assert not Feedback.objects.exists()  # Enter chose the option; it did not submit

    page.get_by_label("Kategori").select_option(label="Dokumentation")
    page.get_by_label("Beskrivning").fill("Genomförandeplanen har inte upprättats.")
    page.get_by_role("button", name="Skicka synpunkten").click()
    expect(page.get_by_role("status")).to_contain_text("Synpunkten har skickats")
    assert_accessible(page)
    feedback = Feedback.objects.get()
    assert (feedback.unit, feedback.placement_request) == (majorna, None)
