"""Importing a framework agreement's units and prices from CSV/XLSX: all or nothing."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from categories.models import CategoryArea, Service
from providers import importer
from providers.models import (
    AgreementUnit,
    FrameworkAgreement,
    Permit,
    Price,
    PriceSource,
    Provider,
    PublicationStatus,
    Unit,
    UnitService,
)
from spink.accounts.models import Role
from tests.factories import (
    MunicipalityFactory,
    ProviderFactory,
    UnitFactory,
    next_org_number,
    offering,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HEADER = [
    "org_number",
    "provider_name",
    "legal_form",
    "unit_name",
    "street_address",
    "postal_code",
    "city",
    "municipality",
    "service",
    "subcategories",
    "places",
    "age_min",
    "age_max",
    "daily_price",
    "price_valid_from",
    "price_valid_to",
    "permit_number",
    "permit_valid_from",
]


@pytest.fixture
def gothenburg():
    return MunicipalityFactory(name="Göteborg", code="1480")


@pytest.fixture
def agreement(gothenburg):
    result = FrameworkAgreement.objects.create(
        name="HVB och stödboende",
        reference="RA-2026-1",
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
        is_open=True,
    )
    result.services.set(Service.objects.filter(code__in=["hvb", "stodboende", "oppenvard"]))
    return result


@pytest.fixture
def procurement(gothenburg):
    return user_with_role(Role.PROCUREMENT, gothenburg)


def row(**overrides) -> dict:
    values = {
        "org_number": "556000-0001",
        "provider_name": "Solstrålen Omsorg AB",
        "legal_form": "aktiebolag",
        "unit_name": "HVB Solstrålen",
        "street_address": "Storgatan 1",
        "postal_code": "413 01",
        "city": "Göteborg",
        "municipality": "Göteborg",
        "service": "hvb",
        "subcategories": "akut, behandlingsuppdrag",
        "places": "8",
        "age_min": "13",
        "age_max": "17",
        "daily_price": "2450,50",
        "price_valid_from": "2026-01-01",
        "price_valid_to": "",
        "permit_number": "IVO-1-2026",
        "permit_valid_from": "2025-06-01",
    }
    values.update(overrides)
    if not values["permit_number"] and "permit_valid_from" not in overrides:
        values["permit_valid_from"] = ""
    return values


@pytest.fixture
def org():
    """Fresh, Luhn-valid organisation numbers."""
    return next_org_number


def csv_bytes(rows: list[dict], header=HEADER, delimiter=";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], header: list[str]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(agreement, content, actor, filename="units.csv", dry_run=False):
    return importer.import_units(agreement, content, filename, actor=actor, dry_run=dry_run)


def errors_by_row(report) -> dict[int, list[tuple[str, str]]]:
    return {r.row: [(e.column, e.message) for e in r.errors] for r in report.rows if r.errors}


def nothing_imported():
    return not (
        Provider.objects.exists()
        or Unit.objects.exists()
        or Price.objects.exists()
        or AgreementUnit.objects.exists()
        or Permit.objects.exists()
    )


# --- Happy paths --------------------------------------------------------------------------------


def test_csv_import_creates_provider_unit_offering_price_admission_and_permit(
    agreement, procurement, org
):
    number = org()
    report = run(agreement, csv_bytes([row(org_number=number)]), procurement)

    assert report.ok, errors_by_row(report)
    assert report.imported
    provider = Provider.objects.get(org_number=number)
    assert (provider.legal_name, provider.legal_form) == ("Solstrålen Omsorg AB", "aktiebolag")
    unit = Unit.objects.get(provider=provider)
    assert unit.name == "HVB Solstrålen"
    assert unit.status == PublicationStatus.DRAFT
    assert (unit.places, unit.age_min, unit.age_max) == (8, 13, 17)
    assert unit.postal_code == "413 01"
    service = UnitService.objects.get(unit=unit)
    assert (service.service.code, service.operating_form.code) == ("hvb", "framework")
    assert set(service.subcategories.values_list("code", flat=True)) == {
        "hvb--akut",
        "hvb--behandlingsuppdrag",
    }
    price = Price.objects.get(offering=service)
    assert price.daily_price == Decimal("2450.50")
    assert (price.source, price.agreement, price.valid_from) == (
        PriceSource.FRAMEWORK,
        agreement,
        dt.date(2026, 1, 1),
    )
    link = AgreementUnit.objects.get(agreement=agreement, unit=unit)
    assert link.admitted_on == dt.date(2026, 1, 1)
    permit = Permit.objects.get(permit_number="IVO-1-2026")
    assert permit.unit == unit
    assert list(permit.services.values_list("code", flat=True)) == ["hvb"]


def test_history_records_the_importing_user(agreement, procurement, org):
    run(agreement, csv_bytes([row(org_number=org())]), procurement)
    unit = Unit.objects.get()
    for record in (
        unit.provider.history.latest(),
        unit.history.latest(),
        Price.objects.get().history.latest(),
        Permit.objects.get().history.latest(),
    ):
        assert record.history_user == procurement


def test_xlsx_with_swedish_headers_numbers_and_dates_imports(agreement, procurement, org):
    number = org()
    header = [
        "Organisationsnummer",
        "Utförare",
        "Juridisk form",
        "Verksamhet",
        "Gatuadress",
        "Postnummer",
        "Ort",
        "Kommun",
        "Insats",
        "Platser",
        "Ålder från",
        "Ålder till",
        "Dygnspris",
        "Pris giltigt från",
        "Kommentar",
    ]
    rows = [
        [
            int(number.replace("-", "")),
            "Ekbacken AB",
            "AB",
            "Ekbacken",
            "Ekv. 2",
            41302,
            "Göteborg",
            "1480",
            "stodboende",
            5,
            16,
            20,
            1850.5,
            dt.datetime(2026, 7, 1),
            "ny",
        ],
        [
            int(number.replace("-", "")),
            "Ekbacken AB",
            "AB",
            "Ekbacken",
            "Ekv. 2",
            41302,
            "Göteborg",
            "1480",
            "HVB barn och unga",
            5,
            16,
            20,
            2100,
            dt.date(2026, 7, 1),
            "",
        ],
    ]
    report = run(agreement, xlsx_bytes(rows, header), procurement, filename="avtal.xlsx")

    assert report.ok, errors_by_row(report)
    assert report.ignored_columns == ["Kommentar"]
    unit = Unit.objects.get(name="Ekbacken")
    assert unit.provider.org_number == number
    assert unit.municipality.code == "1480"
    assert unit.postal_code == "413 02"
    prices = dict(Price.objects.values_list("offering__service__code", "daily_price"))
    assert prices == {"stodboende": Decimal("1850.50"), "hvb": Decimal("2100.00")}
    assert AgreementUnit.objects.get(unit=unit).admitted_on == dt.date(2026, 7, 1)


def test_existing_provider_and_unit_are_matched_and_the_unit_updated(agreement, procurement):
    unit = UnitFactory(name="HVB Solstrålen", places=4)
    other_name = unit.provider.legal_name
    content = csv_bytes(
        [row(org_number=unit.provider.org_number, unit_name="hvb solstrålen", places="10")]
    )
    report = run(agreement, content, procurement)

    assert report.ok, errors_by_row(report)
    assert Unit.objects.count() == 1
    unit.refresh_from_db()
    assert unit.places == 10
    assert unit.provider.legal_name == other_name  # the register's provider data is kept
    assert report.summary["unit_updated"] == 1
    assert report.summary["provider_created"] == 0


def test_importing_the_same_file_twice_adds_nothing_the_second_time(agreement, procurement, org):
    content = csv_bytes([row(org_number=org())])
    run(agreement, content, procurement)
    report = run(agreement, content, procurement)

    assert report.ok, errors_by_row(report)
    assert report.summary["price_exists"] == 1
    assert Price.objects.count() == 1
    assert AgreementUnit.objects.count() == 1


def test_earliest_price_date_of_a_unit_is_its_admission_date(agreement, procurement, org):
    number = org()
    content = csv_bytes(
        [
            row(org_number=number, price_valid_from="2027-01-01", permit_number=""),
            row(
                org_number=number,
                price_valid_from="2026-07-01",
                price_valid_to="2026-12-31",
                permit_number="",
            ),
        ]
    )
    report = run(agreement, content, procurement)
    assert report.ok, errors_by_row(report)
    assert AgreementUnit.objects.get().admitted_on == dt.date(2026, 7, 1)
    assert Price.objects.count() == 2


# --- All or nothing -------------------------------------------------------------------------------


def test_one_bad_row_among_good_ones_imports_nothing_and_reports_every_bad_row(
    agreement, procurement, org
):
    good = org()
    bad_check_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    content = csv_bytes(
        [
            row(org_number=org(), unit_name="Första", permit_number=""),
            row(org_number=bad_check_digit, unit_name="Andra", permit_number=""),
            row(org_number=org(), unit_name="Tredje", permit_number=""),
            row(
                org_number=org(),
                unit_name="Fjärde",
                service="ridskola",
                daily_price="-5",
                places="-1",
                permit_number="",
            ),
        ]
    )
    report = run(agreement, content, procurement)

    assert not report.imported
    assert nothing_imported()
    errors = errors_by_row(report)
    assert set(errors) == {3, 5}
    assert [column for column, _ in errors[3]] == ["org_number"]
    assert {column for column, _ in errors[5]} == {"service", "daily_price", "places"}


def test_a_database_level_refusal_in_a_late_row_rolls_back_the_earlier_rows(
    agreement, procurement, org
):
    # Closed agreement: the second unit's admission date is refused by the rules while
    # applying, after the first row has been written.
    agreement.is_open = False
    agreement.save()
    content = csv_bytes(
        [
            row(org_number=org(), unit_name="Första", permit_number=""),
            row(
                org_number=org(), unit_name="Andra", price_valid_from="2026-07-01", permit_number=""
            ),
        ]
    )
    report = run(agreement, content, procurement)

    assert nothing_imported()
    errors = errors_by_row(report)
    assert list(errors) == [3]
    assert errors[3][0][0] == "price_valid_from"
    assert report.rows[0].actions == []  # nothing happened, so nothing is claimed


def test_dry_run_imports_nothing_and_reports_what_would_be_created(agreement, procurement, org):
    report = run(agreement, csv_bytes([row(org_number=org())]), procurement, dry_run=True)

    assert report.ok
    assert not report.imported
    assert nothing_imported()
    summary = report.summary
    assert (
        summary["provider_created"],
        summary["unit_created"],
        summary["price_created"],
        summary["admitted"],
        summary["permit_created"],
    ) == (1, 1, 1, 1, 1)


def test_dry_run_catches_database_conflicts_too(agreement, procurement):
    unit = UnitFactory(name="HVB Solstrålen")
    existing = offering(unit, "hvb", "framework")
    Price.objects.create(
        offering=existing,
        daily_price=2000,
        valid_from=dt.date(2025, 1, 1),
        source=PriceSource.FRAMEWORK,
    )
    content = csv_bytes([row(org_number=unit.provider.org_number, permit_number="")])
    report = run(agreement, content, procurement, dry_run=True)

    assert errors_by_row(report)[2][0][0] == "price_valid_from"


def test_duplicate_rows_in_the_file_are_reported(agreement, procurement, org):
    number = org()
    content = csv_bytes([row(org_number=number), row(org_number=number)])
    report = run(agreement, content, procurement)

    assert nothing_imported()
    assert list(errors_by_row(report)) == [3]
    assert "2" in errors_by_row(report)[3][0][1]


def test_an_xlsx_row_repeated_with_a_formatted_empty_cell_after_it_is_still_a_duplicate(
    agreement, procurement, org
):
    # The reader ignores the sheet's declared size, so rows are as wide as their last cell:
    # a formatted empty cell must not make a repeated row look different.
    number = org()
    values = [row(org_number=number)[name] for name in HEADER]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in (HEADER, values, values):
        sheet.append(line)
    sheet.cell(row=3, column=len(HEADER) + 3).font = openpyxl.styles.Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(agreement, buffer.getvalue(), procurement, filename="avtal.xlsx")

    assert nothing_imported()
    (column, message), *_rest = errors_by_row(report)[3]
    assert list(errors_by_row(report)) == [3]
    assert (column, "2" in message) == ("", True)  # "repeats row 2", not a price overlap


def test_the_header_and_ten_thousand_rows_are_read_empty_ones_included():
    content = (";".join(HEADER) + "\n" + "\n" * importer.MAX_ROWS).encode()
    assert sum(1 for _row in importer.iter_rows(content, "avtal.csv")) == importer.MAX_ROWS + 1


def test_overlapping_price_periods_within_the_file_are_reported(agreement, procurement, org):
    number = org()
    content = csv_bytes(
        [
            row(org_number=number, price_valid_to="2026-12-31"),
            row(org_number=number, daily_price="2600", price_valid_from="2026-06-01"),
        ]
    )
    report = run(agreement, content, procurement)
    assert nothing_imported()
    assert errors_by_row(report)[3][0][0] == "price_valid_from"


def test_price_overlapping_one_in_the_register_is_a_row_error_not_a_crash(agreement, procurement):
    unit = UnitFactory(name="HVB Solstrålen")
    existing = offering(unit, "hvb", "framework")
    Price.objects.create(
        offering=existing,
        daily_price=2000,
        valid_from=dt.date(2025, 1, 1),
        source=PriceSource.FRAMEWORK,
    )
    content = csv_bytes([row(org_number=unit.provider.org_number, permit_number="")])
    report = run(agreement, content, procurement)

    assert not report.imported
    [(column, message)] = errors_by_row(report)[2]
    assert column == "price_valid_from"
    assert "2000" in message
    assert Price.objects.count() == 1
    assert not AgreementUnit.objects.exists()


def test_unit_described_differently_in_two_rows_is_reported(agreement, procurement, org):
    number = org()
    content = csv_bytes(
        [
            row(org_number=number),
            row(
                org_number=number,
                service="stodboende",
                places="12",
                subcategories="",
                permit_number="",
            ),
        ]
    )
    report = run(agreement, content, procurement)
    assert nothing_imported()
    assert errors_by_row(report)[3] == [("places", errors_by_row(report)[3][0][1])]


# --- Row errors -------------------------------------------------------------------------------


def test_bad_org_number_check_digit_is_reported_with_row_and_column(agreement, procurement, org):
    good = org()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    report = run(agreement, csv_bytes([row(org_number=bad)]), procurement)
    [(column, message)] = errors_by_row(report)[2]
    assert column == "org_number"
    assert "kontrollsiffra" in message  # Swedish by default


def test_unknown_service_is_reported(agreement, procurement, org):
    report = run(agreement, csv_bytes([row(org_number=org(), service="ridskola")]), procurement)
    [(column, message)] = errors_by_row(report)[2]
    assert column == "service"
    assert "ridskola" in message


def test_service_the_matrix_does_not_allow_as_framework_is_reported(agreement, procurement, org):
    agreement.services.add(Service.objects.get(code="nodbistand-boende"))
    content = csv_bytes(
        [row(org_number=org(), service="nodbistand-boende", subcategories="", permit_number="")]
    )
    report = run(agreement, content, procurement)

    assert nothing_imported()
    [(column, _message)] = errors_by_row(report)[2]
    assert column == "service"


def test_service_outside_the_agreement_is_reported(agreement, procurement, org):
    content = csv_bytes([row(org_number=org(), service="familjehem", subcategories="")])
    report = run(agreement, content, procurement)
    assert [c for c, _ in errors_by_row(report)[2]] == ["service"]


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"daily_price": "12.345,50"}, "daily_price"),
        ({"daily_price": "NaN"}, "daily_price"),
        ({"daily_price": "1e12"}, "daily_price"),
        ({"daily_price": "12,345"}, "daily_price"),
        ({"daily_price": "0"}, "daily_price"),
        ({"price_valid_from": "2026-02-30"}, "price_valid_from"),
        ({"price_valid_from": "1/1/2026"}, "price_valid_from"),
        ({"price_valid_from": "2031-01-01"}, "price_valid_from"),
        ({"price_valid_to": "2025-12-31"}, "price_valid_to"),
        ({"places": "99999999999999"}, "places"),
        ({"places": "8.5"}, "places"),
        ({"age_min": "18", "age_max": "12"}, "age_max"),
        ({"municipality": "Atlantis"}, "municipality"),
        ({"postal_code": "ABC"}, "postal_code"),
        ({"legal_form": "kommanditbolag"}, "legal_form"),
        ({"subcategories": "akut, flygande"}, "subcategories"),
        ({"subcategories": "familjehem--jourhem"}, "subcategories"),
        ({"unit_name": ""}, "unit_name"),
        ({"unit_name": "x" * 201}, "unit_name"),
        ({"permit_number": "", "permit_valid_from": "2025-01-01"}, "permit_number"),
        ({"permit_valid_from": ""}, "permit_valid_from"),
        ({"provider_name": ""}, "provider_name"),
    ],
)
def test_invalid_cells_are_row_errors_under_their_column(
    agreement, procurement, org, overrides, column
):
    report = run(agreement, csv_bytes([row(org_number=org(), **overrides)]), procurement)
    assert nothing_imported()
    assert column in [c for c, _ in errors_by_row(report)[2]], errors_by_row(report)


def test_permit_number_of_another_unit_is_reported(agreement, procurement, org):
    other = UnitFactory()
    Permit.objects.create(unit=other, permit_number="IVO-1-2026", valid_from=dt.date(2025, 1, 1))
    report = run(agreement, csv_bytes([row(org_number=org())]), procurement)
    assert [c for c, _ in errors_by_row(report)[2]] == ["permit_number"]


# --- Coordinates ----------------------------------------------------------------------------

COORDINATE_HEADER = [*HEADER, "latitude", "longitude"]


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("57.65567", "12.01376"), ("57,65567", "12,01376"), (" 57,65567 ", "12,0137600")],
)
def test_coordinates_with_a_decimal_point_or_comma_are_imported(
    agreement, procurement, org, latitude, longitude
):
    content = csv_bytes(
        [row(org_number=org(), latitude=latitude, longitude=longitude)], COORDINATE_HEADER
    )
    report = run(agreement, content, procurement)

    assert report.ok, errors_by_row(report)
    unit = Unit.objects.get()
    assert (unit.latitude, unit.longitude) == (Decimal("57.65567"), Decimal("12.01376"))


def test_coordinates_under_swedish_headers_in_xlsx_number_cells_are_imported(
    agreement, procurement, org
):
    header = ["Organisationsnummer", "Utförare", "Juridisk form", "Verksamhet", "Gatuadress"]
    header += ["Postnummer", "Ort", "Kommun", "Insats", "Platser", "Ålder från", "Ålder till"]
    header += ["Dygnspris", "Pris giltigt från", "Latitud", "Longitud"]
    values = [org(), "Ekbacken AB", "AB", "Ekbacken", None, None, None, "1480", "hvb", 5]
    values += [None, None, 2100, dt.date(2026, 7, 1), 57.70716, -11.9668]
    report = run(agreement, xlsx_bytes([values], header), procurement, filename="avtal.xlsx")

    assert report.ok, errors_by_row(report)
    assert report.ignored_columns == []
    unit = Unit.objects.get(name="Ekbacken")
    assert (unit.latitude, unit.longitude) == (Decimal("57.70716"), Decimal("-11.96680"))


def test_coordinates_update_a_unit_in_the_register(agreement, procurement):
    unit = UnitFactory(name="HVB Solstrålen")
    content = csv_bytes(
        [row(org_number=unit.provider.org_number, latitude="57,7", longitude="11,9")],
        COORDINATE_HEADER,
    )
    report = run(agreement, content, procurement)

    assert report.ok, errors_by_row(report)
    unit.refresh_from_db()
    assert (unit.latitude, unit.longitude) == (Decimal("57.7"), Decimal("11.9"))
    assert report.summary["unit_updated"] == 1
    assert unit.history.latest().history_user == procurement


@pytest.mark.parametrize(
    "header", [COORDINATE_HEADER, HEADER], ids=["empty cells", "no coordinate columns"]
)
def test_empty_coordinate_cells_keep_the_units_coordinates(agreement, procurement, header):
    unit = UnitFactory(
        name="HVB Solstrålen", latitude=Decimal("57.65567"), longitude=Decimal("12.01376")
    )
    content = csv_bytes(
        [row(org_number=unit.provider.org_number, latitude="", longitude="", places="10")],
        header,
    )
    report = run(agreement, content, procurement)

    assert report.ok, errors_by_row(report)
    unit.refresh_from_db()
    assert unit.places == 10  # the row was applied
    assert (unit.latitude, unit.longitude) == (Decimal("57.65567"), Decimal("12.01376"))


def test_a_new_unit_without_coordinates_has_none(agreement, procurement, org):
    content = csv_bytes([row(org_number=org(), latitude="", longitude="")], COORDINATE_HEADER)
    report = run(agreement, content, procurement)

    assert report.ok, errors_by_row(report)
    assert (Unit.objects.get().latitude, Unit.objects.get().longitude) == (None, None)


@pytest.mark.parametrize(
    ("given", "missing"), [("latitude", "longitude"), ("longitude", "latitude")]
)
def test_one_coordinate_without_the_other_is_a_row_error_and_nothing_is_imported(
    agreement, procurement, org, given, missing
):
    content = csv_bytes(
        [
            row(org_number=org(), unit_name="Första", latitude="57,7", longitude="11,9"),
            row(
                org_number=org(),
                unit_name="Andra",
                permit_number="",
                **{given: "57,7", missing: ""},
            ),
        ],
        COORDINATE_HEADER,
    )
    report = run(agreement, content, procurement)

    assert not report.imported
    assert nothing_imported()
    errors = errors_by_row(report)
    assert set(errors) == {3}  # the spreadsheet's row number: the header is row 1
    [(column, message)] = errors[3]
    assert column == missing
    assert "latitud" in message and "longitud" in message  # either language


def test_one_coordinate_column_without_the_other_is_a_row_error(agreement, procurement, org):
    content = csv_bytes([row(org_number=org(), latitud="57,7")], [*HEADER, "latitud"])
    report = run(agreement, content, procurement)

    assert nothing_imported()
    assert [column for column, _ in errors_by_row(report)[2]] == ["longitude"]


@pytest.mark.parametrize(
    ("latitude", "longitude", "column"),
    [
        ("90,00001", "12", "latitude"),
        ("-91", "12", "latitude"),
        ("57,7", "180,5", "longitude"),
        ("57,7", "-181", "longitude"),
        ("6400000", "320000", "latitude"),  # SWEREF 99 TM, not degrees: both out of range
        ("57,707165", "12", "latitude"),  # six decimals
        ("57,7", "12.013765", "longitude"),
        ("57.707,1", "12", "latitude"),
        ("57°42′N", "12", "latitude"),
        ("norr", "12", "latitude"),
        ("57,7", "NaN", "longitude"),
        ("57,7", "1e2", "longitude"),
        ("57,7", "°", "longitude"),  # nothing but a degree sign: missing
    ],
)
def test_bad_coordinates_are_row_errors_under_their_column_and_nothing_is_imported(
    agreement, procurement, org, latitude, longitude, column
):
    content = csv_bytes(
        [
            row(org_number=org(), unit_name="Första", permit_number=""),
            row(org_number=org(), unit_name="Andra", latitude=latitude, longitude=longitude),
        ],
        COORDINATE_HEADER,
    )
    report = run(agreement, content, procurement)

    assert not report.imported
    assert nothing_imported()
    errors = errors_by_row(report)
    assert set(errors) == {3}
    assert column in [c for c, _ in errors[3]], errors
    # A wrong coordinate is not also reported as missing its partner.
    assert len(errors[3]) == (2 if latitude == "6400000" else 1), errors


def test_the_range_message_is_the_models(agreement, procurement, org):
    content = csv_bytes([row(org_number=org(), latitude="95", longitude="12")], COORDINATE_HEADER)
    report = run(agreement, content, procurement)

    [(column, message)] = errors_by_row(report)[2]
    constraint = next(c for c in Unit._meta.constraints if c.name == "unit_latitude_range")
    assert (column, message) == ("latitude", str(constraint.get_violation_error_message()))


def test_one_unit_with_different_coordinates_in_two_rows_is_reported(agreement, procurement, org):
    number = org()
    content = csv_bytes(
        [
            row(org_number=number, latitude="57,7", longitude="11,9", permit_number=""),
            row(
                org_number=number,
                service="stodboende",
                subcategories="",
                latitude="57,8",
                longitude="11.90000",
                permit_number="",
            ),
        ],
        COORDINATE_HEADER,
    )
    report = run(agreement, content, procurement)

    assert nothing_imported()
    assert [column for column, _ in errors_by_row(report)[3]] == ["latitude"]


@pytest.mark.parametrize(
    ("latitude_header", "longitude_header"),
    [("Latitud", "Longitud"), ("breddgrad", "Längdgrad"), ("LAT", "lng"), ("latitude", "lon")],
)
def test_coordinate_header_aliases(agreement, procurement, org, latitude_header, longitude_header):
    header = [*HEADER, latitude_header, longitude_header]
    values = {**row(org_number=org()), latitude_header: "57,7", longitude_header: "11,9"}
    report = run(agreement, csv_bytes([values], header), procurement)

    assert report.ok, errors_by_row(report)
    assert report.ignored_columns == []
    assert Unit.objects.get().latitude == Decimal("57.7")


# --- Unreadable files --------------------------------------------------------------------------


def _broken_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"", "units.csv"),
        (b"   \n\n", "units.csv"),
        (b"PK\x03\x04 broken", "units.xlsx"),
        (_broken_xlsx(), "units.xlsx"),
        (b"%PDF-1.4 ...", "units.pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "units.xls"),
        (b"org_number;unit_name\x00;x", "units.csv"),
        (b"org_number;unit_name\n556000-0001;Solen\n", "units.csv"),
        ("\n".join(HEADER).encode(), "units.csv"),
        (";".join(HEADER).encode() + b"\n", "units.csv"),
    ],
)
def test_unreadable_files_give_one_clear_error(agreement, procurement, content, filename):
    report = run(agreement, content, procurement, filename=filename)
    assert report.file_error
    assert report.rows == []
    assert nothing_imported()


def test_missing_columns_are_named(agreement, procurement):
    report = run(agreement, b"org_number;unit_name\n556000-0001;Solen\n", procurement)
    assert "daily_price" in report.file_error
    assert "org_number" not in report.file_error


def test_more_than_ten_thousand_rows_is_refused_before_touching_the_database(
    agreement, procurement, django_assert_max_num_queries
):
    line = ";".join(row().get(name, "") for name in HEADER)
    content = (";".join(HEADER) + "\n" + "\n".join([line] * 10_001)).encode()
    with django_assert_max_num_queries(0):
        report = run(agreement, content, procurement)
    assert "10" in report.file_error
    assert report.rows == []


def test_a_column_given_twice_is_a_file_error(agreement, procurement):
    header = [*HEADER, "dygnspris"]
    report = run(agreement, csv_bytes([row()], header=header), procurement)
    assert "dygnspris" in report.file_error


def test_comma_separated_csv_in_latin1_is_read(agreement, procurement, org):
    content = csv_bytes([row(org_number=org(), daily_price="2450.50")], delimiter=",")
    report = run(agreement, content.decode().encode("cp1252"), procurement)
    assert report.ok, (report.file_error, errors_by_row(report))
    assert Unit.objects.get().name == "HVB Solstrålen"


# --- Who may import ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PLACEMENT_OFFICER])
def test_importer_refuses_an_actor_without_manage_agreements(agreement, org, role):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(agreement, csv_bytes([row(org_number=org())]), user_with_role(role))
    assert nothing_imported()


# --- The API endpoint -------------------------------------------------------------------------


def api_post(agreement, user, content, filename="units.csv", **data):
    client = APIClient()
    client.force_authenticate(user)
    upload = SimpleUploadedFile(filename, content)
    return client.post(
        f"/api/v1/agreements/{agreement.pk}/import/",
        {"file": upload, **data},
        format="multipart",
    )


def test_api_import_creates_and_returns_the_report(agreement, procurement, org):
    response = api_post(agreement, procurement, csv_bytes([row(org_number=org())]))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["imported"] is True
    assert data["summary"]["unit_created"] == 1
    assert data["rows"][0]["row"] == 2
    assert Unit.objects.count() == 1


def test_api_dry_run_imports_nothing(agreement, procurement, org):
    response = api_post(agreement, procurement, csv_bytes([row(org_number=org())]), dry_run="true")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert nothing_imported()


def test_api_report_lists_bad_rows_with_400(agreement, procurement, org):
    content = csv_bytes([row(org_number=org()), row(org_number=org(), service="ridskola")])
    response = api_post(agreement, procurement, content)
    assert response.status_code == 400
    rows = {r["row"]: r["errors"] for r in response.json()["rows"]}
    assert rows[2] == []
    assert rows[3][0]["column"] == "service"
    assert nothing_imported()


def test_api_unreadable_file_is_a_400_with_the_file_error(agreement, procurement):
    response = api_post(agreement, procurement, b"PK\x03\x04junk", filename="x.xlsx")
    assert response.status_code == 400
    assert response.json()["file_error"]


def test_api_import_without_a_file_is_a_400(agreement, procurement):
    client = APIClient()
    client.force_authenticate(procurement)
    response = client.post(f"/api/v1/agreements/{agreement.pk}/import/", {"dry_run": "true"})
    assert response.status_code == 400


def test_api_import_of_a_json_body_is_refused_not_crashed(agreement, procurement):
    client = APIClient()
    client.force_authenticate(procurement)
    response = client.post(
        f"/api/v1/agreements/{agreement.pk}/import/", {"file": "x"}, format="json"
    )
    assert response.status_code == 415


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PLACEMENT_OFFICER, Role.MANAGER])
def test_api_import_is_forbidden_without_manage_agreements(agreement, org, role):
    response = api_post(agreement, user_with_role(role), csv_bytes([row(org_number=org())]))
    assert response.status_code == 403
    assert nothing_imported()


def test_api_import_to_a_missing_agreement_is_not_found(procurement, org):
    missing = FrameworkAgreement(pk=987654)
    response = api_post(missing, procurement, csv_bytes([row(org_number=org())]))
    assert response.status_code == 404


# --- The browser page ---------------------------------------------------------------------------

PAGE = "/register/import/"


def test_import_page_is_for_procurement_only(client, agreement, procurement):
    client.force_login(procurement)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert agreement.reference in page.content.decode()
    client.force_login(user_with_role(Role.QUALITY_CONTROL))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE).status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_the_import_page(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_clean_dry_run_offers_to_import_and_the_button_imports_the_same_file(
    client, agreement, procurement, org
):
    client.force_login(procurement)
    upload = SimpleUploadedFile("avtal.csv", csv_bytes([row(org_number=org())]))
    page = client.post(PAGE, {"agreement": agreement.pk, "file": upload, "dry_run": "on"})
    body = page.content.decode()
    assert page.status_code == 200
    assert nothing_imported()
    assert 'action="/register/import/confirm/"' in body
    token = page.context["confirm_token"]

    done = client.post("/register/import/confirm/", {"token": token})
    assert done.status_code == 200
    assert done.context["report"].imported
    assert Unit.objects.get().name == "HVB Solstrålen"
    # The kept file is gone once used.
    again = client.post("/register/import/confirm/", {"token": token})
    assert again.status_code == 302
    assert Unit.objects.count() == 1


def test_confirm_with_a_wrong_token_imports_nothing(client, agreement, procurement, org):
    client.force_login(procurement)
    upload = SimpleUploadedFile("avtal.csv", csv_bytes([row(org_number=org())]))
    client.post(PAGE, {"agreement": agreement.pk, "file": upload, "dry_run": "on"})
    response = client.post("/register/import/confirm/", {"token": "guess"})
    assert response.status_code == 302
    assert nothing_imported()


def test_page_shows_the_row_by_row_report_of_a_bad_file(client, agreement, procurement, org):
    client.force_login(procurement)
    content = csv_bytes([row(org_number=org()), row(org_number=org(), service="ridskola")])
    upload = SimpleUploadedFile("avtal.csv", content)
    page = client.post(PAGE, {"agreement": agreement.pk, "file": upload})
    body = page.content.decode()
    assert nothing_imported()
    assert "ridskola" in body
    assert '<th scope="row">3</th>' in body
    assert 'action="/register/import/confirm/"' not in body
    assert "<caption" in body


def test_page_imports_directly_without_dry_run(client, agreement, procurement, org):
    client.force_login(procurement)
    upload = SimpleUploadedFile("avtal.csv", csv_bytes([row(org_number=org())]))
    page = client.post(PAGE, {"agreement": agreement.pk, "file": upload})
    assert page.status_code == 200
    assert page.context["report"].imported
    assert Unit.objects.count() == 1


def test_page_reports_an_unreadable_file(client, agreement, procurement):
    client.force_login(procurement)
    upload = SimpleUploadedFile("avtal.xlsx", b"PK\x03\x04junk")
    page = client.post(PAGE, {"agreement": agreement.pk, "file": upload, "dry_run": "on"})
    assert page.status_code == 200
    assert page.context["report"].file_error in page.content.decode()


# --- The management command -----------------------------------------------------------------------


def test_command_imports_as_the_given_actor(tmp_path, agreement, procurement, org):
    path = tmp_path / "avtal.csv"
    path.write_bytes(csv_bytes([row(org_number=org())]))
    out = io.StringIO()
    call_command(
        "import_agreement_units",
        agreement.reference,
        str(path),
        actor=procurement.username,
        stdout=out,
    )
    assert Unit.objects.get().history.latest().history_user == procurement


def test_command_dry_run_imports_nothing(tmp_path, agreement, procurement, org):
    path = tmp_path / "avtal.xlsx"
    values = row(org_number=org())
    path.write_bytes(xlsx_bytes([[values[name] for name in HEADER]], HEADER))
    call_command(
        "import_agreement_units", agreement.reference, str(path), dry_run=True, stdout=io.StringIO()
    )
    assert nothing_imported()


def test_command_fails_and_imports_nothing_when_a_row_is_bad(tmp_path, agreement, org):
    path = tmp_path / "avtal.csv"
    path.write_bytes(csv_bytes([row(org_number=org()), row(org_number="123")]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_agreement_units",
            agreement.reference,
            str(path),
            stderr=err,
            stdout=io.StringIO(),
        )
    assert "3" in err.getvalue()
    assert nothing_imported()


@pytest.mark.parametrize(
    "args",
    [
        ["NO-SUCH", "{path}"],
        ["RA-2026-1", "/no/such/file.csv"],
        ["RA-2026-1", "{path}", "--actor", "nobody"],
    ],
)
def test_command_refuses_bad_arguments(tmp_path, agreement, args):
    path = tmp_path / "avtal.csv"
    path.write_bytes(csv_bytes([row()]))
    with pytest.raises(CommandError):
        call_command(
            "import_agreement_units", *[a.format(path=path) for a in args], stdout=io.StringIO()
        )


def test_command_refuses_an_actor_without_manage_agreements(tmp_path, agreement, org):
    path = tmp_path / "avtal.csv"
    path.write_bytes(csv_bytes([row(org_number=org())]))
    officer = user_with_role(Role.QUALITY_CONTROL)
    with pytest.raises(CommandError):
        call_command(
            "import_agreement_units",
            agreement.reference,
            str(path),
            actor=officer.username,
            stdout=io.StringIO(),
        )
    assert nothing_imported()


def test_existing_providers_created_outside_the_file_are_not_duplicated(agreement, procurement):
    provider = ProviderFactory()
    content = csv_bytes(
        [row(org_number=provider.org_number.replace("-", ""), provider_name="", legal_form="")]
    )
    report = run(agreement, content, procurement)
    assert report.ok, errors_by_row(report)
    assert Provider.objects.count() == 1
