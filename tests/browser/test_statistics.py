"""Yearly statistics in a real browser: filters update the tables in place, the chart is
drawn from the vendored library, and the XLSX download holds the numbers on the page."""

import datetime as dt

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from devtools.demo.history import seed_history
from spink.accounts.models import Municipality, Role
from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def table_numbers(page, table_id: str) -> list[list[int | None]]:
    """The numeric cells of a table as numbers (thin/no-break spaces dropped, – as None)."""
    rows = page.locator(f"#{table_id} tbody tr, #{table_id} tfoot tr")
    result = []
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td").all_inner_texts()
        result.append(
            [
                None if text.strip() == "–" else int(text.replace("\xa0", "").replace(" ", ""))
                for text in cells
            ]
        )
    return result


def test_manager_switches_year_and_administration_and_downloads_the_same_numbers(
    page, assert_accessible, tmp_path
):
    seed_history(today=dt.date(2025, 1, 1))  # the annual report's years (2023–2024)
    gothenburg = Municipality.objects.get(code="1480")
    user_with_role(Role.MANAGER, municipality=gothenburg, username="chef1")

    log_in(page, "chef1", TEST_PASSWORD)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Statistik").click()
    page.wait_for_url("**/statistics/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Statistik över placeringsförfrågningar"
    )
    status = page.locator("#statistics-status")
    # The latest year with requests before this one.
    expect(status).to_have_text("Visar 2024 jämfört med 2023.")
    total = page.locator("#table-categories tfoot td")
    expect(total).to_have_text(["7\xa0056", "7\xa0425", "369", "5"])
    assert page.evaluate("() => window.Chart.getChart('monthly-chart') !== undefined")
    assert_accessible(page)

    page.get_by_role("combobox", name="År").select_option("2023")
    expect(status).to_have_text("Visar 2023 jämfört med 2022.")
    expect(total).to_have_text(["0", "7\xa0056", "7\xa0056", "–"])
    page.wait_for_url("**/statistics/?year=2023*")

    page.get_by_role("combobox", name="Förvaltning").select_option(
        label="Socialförvaltning Hisingen"
    )
    page.wait_for_url("**administration=*")
    expect(page.locator("#table-administrations tbody tr")).to_have_count(1)
    expect(page.locator("#table-administrations tbody th").first).to_have_text(
        "Socialförvaltning Hisingen"
    )
    # The chart is redrawn when htmx has settled the swap, a moment after the table is there.
    page.wait_for_function("() => window.Chart.getChart('monthly-chart') !== undefined")
    shown = table_numbers(page, "table-categories")
    assert 0 < shown[-1][1] < 7056
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.locator('a[data-export="categories"]').click()
    path = tmp_path / "categories.xlsx"
    download_info.value.save_as(path)
    sheet = load_workbook(path).active
    downloaded = [list(row[3:]) for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert downloaded == shown
