"""Attachments and the print view in Chromium: a social worker attaches a decision on the
request page (a renamed program first, refused at the field with the summary focused),
downloads it, and opens the print view; axe finds nothing serious on either page."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from placements.models import PersonDataAccess
from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, social_worker, submitted_request
from tests.placements.test_attachments import EXE, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_attach_download_and_print_a_request(page, assert_accessible, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    worker = social_worker(username="sekreterare")
    request = submitted_request(worker)
    log_in(page, worker.username, TEST_PASSWORD)
    page.goto(reverse("placements:request-detail", args=[request.pk]))
    section = page.locator("#attachments")
    expect(section.get_by_role("heading", level=2)).to_be_visible()

    # A program renamed .pdf: refused next to the field, the error summary has the focus.
    page.locator("#id_attachment-kind").select_option("decision")
    page.locator("#id_attachment-file").set_input_files(
        {"name": "beslut.pdf", "mimeType": "application/pdf", "buffer": EXE}
    )
    section.locator("button[type=submit]").last.click()
    expect(page.locator("#attachment-errors")).to_be_focused()
    expect(page.locator("#id_attachment-file_error")).to_be_visible()
    assert_accessible(page)

    # The real decision.
    page.locator("#id_attachment-kind").select_option("decision")
    page.locator("#id_attachment-file").set_input_files(
        {"name": "Beslut 2026.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    page.locator("#attachments form[enctype] button[type=submit]").click()
    link = page.locator("#attachments").get_by_role("link", name="Beslut 2026.pdf")
    expect(link).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "Beslut 2026.pdf"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == pdf_bytes()
    assert PersonDataAccess.objects.filter(user=worker, channel="download").count() == 1

    # The print view, with its button, looking like the paper.
    page.goto(reverse("placements:request-detail", args=[request.pk]))
    page.get_by_role("link", name=re.compile("Print view|Utskrift")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    expect(page.locator("[data-print]")).to_be_visible()
    expect(page.locator(".sheet")).to_contain_text("Beslut 2026.pdf")
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    assert PersonDataAccess.objects.filter(user=worker, channel="print").count() == 1
