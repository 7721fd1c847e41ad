"""Hostile uploads are refused cheaply, with a clear error, and import or store nothing.

Each hostile file is a few kilobytes that would cost a worker minutes: a sheet declaring 17
billion cells, a million empty rows, a zip bomb, a million empty CSV lines, one endless cell.
Instead of timing the refusal, the tests count how far the reader got before it stopped.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.test.client import encode_multipart
from django.utils import translation
from rest_framework.test import APIClient

from categories.models import CategoryArea, Service
from followup import services as followup_services
from followup.models import CheckResult, ControlCheck
from providers import importer
from providers.models import AgreementUnit, FrameworkAgreement, Permit, Price, Provider, Unit
from spink import uploads
from spink.accounts.models import Role
from tests.factories import MunicipalityFactory, user_with_role
from tests.followup.support import direct_unit, quality

pytestmark = pytest.mark.django_db

HEADER = ["org_number", "unit_name", "service", "daily_price", "price_valid_from"]
PAGE = "/register/import/"
TOO_MANY_ROWS = "more than 10 000 rows, empty rows included"


# --- Building hostile files ---------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
)


def header_row() -> bytes:
    cells = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (bytes([65 + i]), name.encode())
        for i, name in enumerate(HEADER)
    )
    return b'<row r="1">' + cells + b"</row>"


def sheet(rows: bytes = b"", *, dimension: bytes = b"", prologue: bytes = b"") -> bytes:
    """Worksheet XML written by hand, so that it can say what no spreadsheet program would."""
    declared = b'<dimension ref="%s"/>' % dimension if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        + prologue
        + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + declared
        + b"<sheetData>"
        + header_row()
        + rows
        + b"</sheetData></worksheet>"
    )


def xlsx(worksheet: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", worksheet)
    return buffer.getvalue()


def zeros_zip(name: str, megabytes: int) -> bytes:
    """A zip bomb: megabytes of zeros, packed about a thousand times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with archive.open(name, "w") as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                part.write(block)
    return buffer.getvalue()


def declared_whole_sheet() -> bytes:
    return xlsx(sheet(dimension=b"A1:XFD1048576"))


@functools.cache  # about half a second to build, and several tests use it
def million_empty_rows() -> bytes:
    return xlsx(sheet(b"".join(b'<row r="%d"/>' % number for number in range(2, 1_000_002))))


def last_row_only() -> bytes:
    """One cell in the sheet's last row: a reader that fills the gap makes up a million rows."""
    return xlsx(sheet(b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'))


def csv_header() -> bytes:
    return ";".join(HEADER).encode() + b"\n"


def million_empty_lines() -> bytes:
    return csv_header() + b"\n" * 1_000_000


def enormous_cell() -> bytes:
    return csv_header() + b"556000-0001;" + b"x" * 5_000_000 + b"\n"


def rows_read(content: bytes, filename: str) -> tuple[int, str]:
    """How many rows the importer's reader produced before it refused the file, and why."""
    count = 0
    with translation.override("en"), pytest.raises(importer.ImportFileError) as refused:
        for _row in importer.iter_rows(content, filename):
            count += 1
    return count, str(refused.value)


def nothing_imported() -> bool:
    return not any(
        model.objects.exists() for model in (Provider, Unit, Price, AgreementUnit, Permit)
    )


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def agreement():
    MunicipalityFactory(name="Göteborg", code="1480")
    result = FrameworkAgreement.objects.create(
        name="HVB",
        reference="RA-2026-9",
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
        is_open=True,
    )
    result.services.set(Service.objects.filter(code="hvb"))
    return result


@pytest.fixture
def procurement():
    return user_with_role(Role.PROCUREMENT)


@pytest.fixture(autouse=True)
def language_restored():
    # A request with the English cookie leaves English active in this thread; later tests
    # elsewhere expect the Swedish default.
    previous = translation.get_language()
    yield
    translation.activate(previous)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


HOSTILE = [
    pytest.param(declared_whole_sheet, "avtal.xlsx", "declares the size A1:XFD1048576", id="dim"),
    pytest.param(million_empty_rows, "avtal.xlsx", TOO_MANY_ROWS, id="empty-rows"),
    pytest.param(last_row_only, "avtal.xlsx", TOO_MANY_ROWS, id="gap-to-last-row"),
    pytest.param(
        lambda: zeros_zip("xl/worksheets/sheet1.xml", 5), "avtal.xlsx", "zip bomb", id="zip-bomb"
    ),
    pytest.param(million_empty_lines, "avtal.csv", TOO_MANY_ROWS, id="empty-lines"),
    pytest.param(
        enormous_cell, "avtal.csv", "Row 2 is longer than 100 000 characters", id="enormous-cell"
    ),
]


# --- Through the import page and the API --------------------------------------------------------


@pytest.mark.parametrize(("build", "filename", "message"), HOSTILE)
def test_import_page_refuses_a_hostile_file_with_a_clear_error_and_imports_nothing(
    client, agreement, procurement, build, filename, message
):
    client.force_login(procurement)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    upload = SimpleUploadedFile(filename, build())
    page = client.post(PAGE, {"agreement": agreement.pk, "file": upload})
    assert page.status_code == 200
    report = page.context["report"]
    assert message in report.file_error
    assert report.rows == [] and not report.imported
    assert message in page.content.decode()
    assert nothing_imported()


@pytest.mark.parametrize(("build", "filename", "message"), HOSTILE)
def test_api_import_refuses_a_hostile_file_with_400_and_imports_nothing(
    agreement, procurement, build, filename, message
):
    api = APIClient()
    api.force_authenticate(procurement)
    response = api.post(
        f"/api/v1/agreements/{agreement.pk}/import/",
        {"file": SimpleUploadedFile(filename, build())},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    data = response.json()
    assert message in data["file_error"]
    assert data["imported"] is False and data["rows"] == []
    assert nothing_imported()


# --- How far the reader gets -----------------------------------------------------------------


def test_a_million_empty_xlsx_rows_are_refused_before_openpyxl_reads_one():
    count, message = rows_read(million_empty_rows(), "avtal.xlsx")
    assert count == 0  # counted in the XML; openpyxl would parse them all just to open it
    assert TOO_MANY_ROWS in message


def test_made_up_rows_up_to_the_last_row_count_and_stop_the_reader_after_the_limit():
    count, message = rows_read(last_row_only(), "avtal.xlsx")
    assert count == importer.MAX_ROWS + 1  # the header and MAX_ROWS rows, then the refusal
    assert TOO_MANY_ROWS in message


def test_a_million_empty_csv_lines_count_and_stop_the_reader_after_the_limit():
    count, message = rows_read(million_empty_lines(), "avtal.csv")
    assert count == importer.MAX_ROWS + 1
    assert TOO_MANY_ROWS in message


def test_a_declared_whole_sheet_is_refused_before_any_row_is_read():
    count, message = rows_read(declared_whole_sheet(), "avtal.xlsx")
    assert count == 0
    assert "A1:XFD1048576" in message


def test_an_enormous_csv_cell_is_refused_before_csv_builds_it():
    count, message = rows_read(enormous_cell(), "avtal.csv")
    assert count == 1  # the header
    assert "Row 2 is longer than 100 000 characters" in message


def test_a_csv_cell_longer_than_excel_allows_is_refused():
    content = csv_header() + b"556000-0001;" + b"x" * (uploads.MAX_CELL_CHARS + 1) + b"\n"
    count, message = rows_read(content, "avtal.csv")
    assert count == 1
    assert "Row 2 has a cell of more than 32 767 characters" in message


def test_a_quoted_csv_cell_spanning_a_million_lines_is_refused():
    content = csv_header() + b'556000-0001;"' + b"x\n" * 1_000_000 + b'"\n'
    count, message = rows_read(content, "avtal.csv")
    assert count == 1
    assert "Row 2 is longer than" in message


def test_a_csv_row_of_too_many_columns_is_refused():
    content = csv_header() + b";" * uploads.MAX_COLUMNS + b"\n"
    count, message = rows_read(content, "avtal.csv")
    assert count == 1
    assert f"Row 2 has more than {uploads.MAX_COLUMNS} columns" in message


def test_an_xlsx_cell_in_the_last_column_is_refused_at_its_row():
    content = xlsx(sheet(b'<row r="2"><c r="XFD2"><v>1</v></c></row>'))
    count, message = rows_read(content, "avtal.xlsx")
    assert count == 1
    assert f"Row 2 has more than {uploads.MAX_COLUMNS} columns" in message


def test_an_xlsx_row_of_a_million_cells_is_refused_before_it_is_parsed():
    # Distinct values, so that the row does not look like a zip bomb too.
    cells = b"".join(b"<c><v>%d</v></c>" % number for number in range(300_000))
    count, message = rows_read(xlsx(sheet(b'<row r="2">' + cells + b"</row>")), "avtal.xlsx")
    assert count == 0
    assert f"more than {uploads.MAX_COLUMNS} cells" in message


def test_an_xlsx_with_a_dtd_is_refused():
    entities = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
    count, message = rows_read(xlsx(sheet(prologue=entities)), "avtal.xlsx")
    assert count == 0
    assert "XML declarations (DTD)" in message


def test_a_file_that_unpacks_to_more_than_the_cap_is_refused_from_its_directory():
    content = zeros_zip("xl/worksheets/sheet1.xml", 51)
    assert len(content) < 100_000
    count, message = rows_read(content, "avtal.xlsx")
    assert count == 0
    assert "more than 50 MB" in message


def test_reading_stops_when_the_time_budget_runs_out():
    content = xlsx(sheet(b'<row r="2"><c r="A2"><v>1</v></c></row>'))
    with translation.override("en"), pytest.raises(importer.ImportFileError) as refused:
        importer.read_table(content, "avtal.xlsx", deadline=uploads.Deadline(0))
    assert "could not be read within 0 seconds" in str(refused.value)


def test_a_legitimate_hand_written_xlsx_is_still_read_row_by_row():
    rows = b'<row r="2"><c r="A2" t="inlineStr"><is><t>556000-0001</t></is></c></row>'
    header, data = importer.read_table(xlsx(sheet(rows)), "avtal.xlsx")
    assert header == HEADER
    assert data == [(2, ["556000-0001"])]


# --- ZIP inspection on its own ----------------------------------------------------------------


def refusal_code(content: bytes, **kwargs) -> str:
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_office_zip(content, **kwargs)
    return refused.value.code


def test_zip_with_more_parts_than_any_office_file_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(uploads.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"part{number}.xml", "<a/>")
    assert refusal_code(buffer.getvalue()) == "too_many_parts"


def test_zip_inspection_codes_for_each_hostile_file():
    assert refusal_code(zeros_zip("word/document.xml", 5)) == "zip_bomb"
    assert refusal_code(zeros_zip("word/document.xml", 51)) == "unpacked_too_large"
    assert refusal_code(declared_whole_sheet()) == "huge_dimension"
    assert refusal_code(b"PK\x03\x04" + b"\0" * 30) == "damaged"
    assert refusal_code(million_empty_rows(), parsed=True, max_rows=10_001) == "too_many_rows"


def test_an_ordinary_workbook_passes_zip_inspection():
    uploads.check_office_zip(xlsx(sheet()), parsed=True, max_rows=10)


# --- Control evidence -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "code"),
    [
        ("intyg.docx", lambda: zeros_zip("word/document.xml", 5), "zip_bomb"),
        ("intyg.docx", lambda: zeros_zip("word/document.xml", 51), "unpacked_too_large"),
        ("saldo.xlsx", declared_whole_sheet, "huge_dimension"),
        ("intyg.docx", lambda: b"PK\x03\x04" + b"\0" * 30, "damaged"),
    ],
)
def test_hostile_office_evidence_is_refused_and_not_stored(media_root, name, build, code):
    team = quality()
    control = followup_services.start_control(actor=team, provider=direct_unit().provider)
    with pytest.raises(ValidationError) as refusal:
        followup_services.record_check(
            actor=team,
            control=control.pk,
            kind=ControlCheck.Kind.CREDIT,
            result=CheckResult.PASSED,
            evidence=SimpleUploadedFile(name, build()),
        )
    assert code in {error.code for error in refusal.value.error_dict["evidence"]}
    check = control.checks.get(kind=ControlCheck.Kind.CREDIT)
    assert (check.result, check.evidence.name) == (CheckResult.OPEN, "")


def test_an_ordinary_xlsx_is_accepted_as_evidence(media_root):
    team = quality()
    control = followup_services.start_control(actor=team, provider=direct_unit().provider)
    check = followup_services.record_check(
        actor=team,
        control=control.pk,
        kind=ControlCheck.Kind.CREDIT,
        result=CheckResult.PASSED,
        evidence=SimpleUploadedFile("saldo.xlsx", xlsx(sheet())),
    )
    assert check.evidence.name.endswith(".xlsx")


# --- The request ------------------------------------------------------------------------------


def test_a_file_over_the_cap_reaches_the_view_with_its_size_but_not_its_content():
    body = encode_multipart(
        "BoUnDaRy", {"file": SimpleUploadedFile("stor.csv", b"x" * (uploads.MAX_UPLOAD_BYTES + 1))}
    )
    request = RequestFactory().post(
        PAGE, data=body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )
    upload = request.FILES["file"]
    assert isinstance(upload, uploads.OversizedUpload)
    assert upload.size == uploads.MAX_UPLOAD_BYTES + 1
    assert upload.read() == b""


def test_a_file_within_the_cap_is_stored_as_usual():
    body = encode_multipart("BoUnDaRy", {"file": SimpleUploadedFile("liten.csv", b"a;b\n")})
    request = RequestFactory().post(
        PAGE, data=body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )
    assert request.FILES["file"].read() == b"a;b\n"


def test_the_import_page_refuses_a_file_over_the_cap_as_too_large(client, agreement, procurement):
    client.force_login(procurement)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    upload = SimpleUploadedFile("stor.csv", b"x" * (uploads.MAX_UPLOAD_BYTES + 1))
    page = client.post(PAGE, {"agreement": agreement.pk, "file": upload})
    assert page.context["report"].file_error == "The file is larger than 10 MB."
    assert nothing_imported()
