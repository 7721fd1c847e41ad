"""Procurement checks an agreement file in a real browser, then imports it."""

import datetime as dt

import pytest

from categories.models import CategoryArea, Service
from providers.models import FrameworkAgreement, Unit
from spink.accounts.models import Role
from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, MunicipalityFactory, next_org_number, user_with_role
from tests.providers.test_import import csv_bytes, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dry_run_report_then_import_for_real(page, assert_accessible, tmp_path):
    gothenburg = MunicipalityFactory(name="Göteborg", code="1480")
    agreement = FrameworkAgreement.objects.create(
        name="HVB",
        reference="RA-B-1",
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
        is_open=True,
    )
    agreement.services.set(Service.objects.filter(code="hvb"))
    user = user_with_role(Role.PROCUREMENT, gothenburg, username="upphandlare")
    bad = tmp_path / "fel.csv"
    bad.write_bytes(csv_bytes([row(org_number=next_org_number()), row(service="ridskola")]))
    good = tmp_path / "avtal.csv"
    good.write_bytes(csv_bytes([row(org_number=next_org_number())]))

    log_in(page, user.username, TEST_PASSWORD)
    page.goto("/register/import/")
    assert_accessible(page)

    page.get_by_label("Ramavtal").select_option(str(agreement.pk))
    page.get_by_label("Fil (CSV eller Excel .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Ladda upp och kontrollera").click()
    assert page.get_by_role("alert").filter(has_text="Ingenting importerades").is_visible()
    report = page.get_by_role("table", name="Filen rad för rad")
    assert "ridskola" in report.inner_text()
    assert_accessible(page)

    page.get_by_label("Ramavtal").select_option(str(agreement.pk))
    page.get_by_label("Fil (CSV eller Excel .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Ladda upp och kontrollera").click()
    assert not Unit.objects.exists()
    assert_accessible(page)
    page.get_by_role("button", name="Importera avtal.csv på riktigt").click()
    page.wait_for_load_state()
    assert "Rader importerade till RA-B-1: 1." in page.locator("main").inner_text()
    assert Unit.objects.get().name == "HVB Solstrålen"
