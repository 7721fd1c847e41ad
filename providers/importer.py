"""Bulk import of a framework agreement's units and daily prices from a CSV or XLSX file.

The file's first non-empty row is the header. Header names may be English or Swedish; case,
accents, spaces and hyphens do not matter ("Pris giltigt från" = "pris_giltigt_fran").
Columns the importer does not know are ignored and listed in the report.

Column (Swedish headers also accepted)          Value
org_number (organisationsnummer, orgnr)         NNNNNN-NNNN; the check digit is verified
provider_name (utförare, leverantör)            needed when the provider is new
legal_form (juridisk form, bolagsform)          aktiebolag/AB, ekonomisk förening, ideell
                                                förening, stiftelse, kommunal, annan; needed
                                                when the provider is new
unit_name (verksamhet, verksamhetsnamn)         required
street_address (gatuadress, adress)             may be empty
postal_code (postnummer)                        five digits, may be empty
city (ort, postort)                             may be empty
municipality (kommun, kommunkod)                name or SCB code, e.g. 1480
latitude (latitud, breddgrad)         optional  decimal degrees (WGS 84, not SWEREF 99),
                                                -90 to 90, comma or point, at most five
                                                decimals: 57,70716
longitude (longitud, längdgrad)       optional  likewise, -180 to 180: 11,96679; a row gives
                                                both coordinates or neither (without them,
                                                matching measures from the municipality's
                                                centre)
service (insats, tjänst)                        service code, e.g. "hvb", or its name
subcategories (underkategorier)       optional  comma-separated codes, e.g. "akut, hvb--akut"
places (platser, antal platser)                 whole number
age_min (ålder från, lägsta ålder)              whole number 0–120, may be empty
age_max (ålder till, högsta ålder)              whole number 0–120, may be empty
daily_price (dygnspris, pris)                   SEK, decimal comma or point: 1850,50
price_valid_from (pris giltigt från)            YYYY-MM-DD
price_valid_to (pris giltigt till)    optional  YYYY-MM-DD
permit_number (tillståndsnummer)      optional  IVO permit number
permit_valid_from (tillstånd från)    optional  YYYY-MM-DD, needed for a new permit

Empty address, age and coordinate cells leave a unit already in the register as it is (a new
unit gets ages 0–120 and no coordinates): a file can give a unit coordinates but not remove
them (the unit form can). Row numbers in the report are the spreadsheet's own (the header is
usually 1).

What a row does: the provider is found by organisation number (created if new); the unit by
provider and name, case-insensitively (created as a draft if new, its details updated from the
file otherwise); the unit gets the service in the framework operating form (the matrix decides
whether that is allowed); a framework price is added for the agreement (an identical price
already in the register is left alone); the unit is admitted to the agreement, from the
earliest price date the file gives it, unless it is on the agreement already; an IVO permit
is created or made to cover the service when a permit number is given.

All or nothing: every row is checked (the file's own consistency first, then each row is
applied in a savepoint of ONE transaction, so database conflicts are found too) and if any row
fails, the transaction is rolled back and the report lists every error. A dry run does the
same and always rolls back.

Limits (spink/uploads.py): at most 10 MB and 10,000 rows below the header, empty rows
included; rows of at most 256 columns and cells of at most 32,767 characters; an XLSX is
inspected before openpyxl opens it (zip bomb, declared size, XML elements) and reading stops
after uploads.PARSE_SECONDS. Any of these refuses the whole file with one file error.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DataError, IntegrityError, transaction
from django.db.models import Field
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from categories.models import OperatingForm, Service, Subcategory
from providers import rules, services
from providers.models import (
    UNIT_EDITABLE_FIELDS,
    AgreementUnit,
    FrameworkAgreement,
    LegalForm,
    Permit,
    PriceSource,
    Provider,
    Unit,
    UnitService,
)
from providers.validators import normalise_org_number, validate_org_number
from spink import uploads
from spink.accounts.access import Capability
from spink.accounts.models import Municipality, User

MAX_ROWS = 10_000
MAX_BYTES = uploads.MAX_UPLOAD_BYTES
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    required: bool = True


COLUMNS: list[Column] = [
    Column("org_number", ("organisationsnummer", "orgnr", "organisation number")),
    Column("provider_name", ("utförare", "utförarnamn", "leverantör", "provider", "legal name")),
    Column("legal_form", ("juridisk form", "bolagsform", "associationsform")),
    Column("unit_name", ("verksamhet", "verksamhetsnamn", "unit")),
    Column("street_address", ("gatuadress", "adress", "besöksadress", "address")),
    Column("postal_code", ("postnummer", "postnr", "postcode")),
    Column("city", ("ort", "postort")),
    Column("municipality", ("kommun", "kommunkod")),
    Column("latitude", ("latitud", "breddgrad", "lat"), required=False),
    Column("longitude", ("longitud", "längdgrad", "lon", "lng"), required=False),
    Column("service", ("insats", "tjänst", "insatskod", "service code")),
    Column("subcategories", ("underkategorier", "underkategori"), required=False),
    Column("places", ("platser", "antal platser")),
    Column("age_min", ("ålder från", "lägsta ålder", "min age")),
    Column("age_max", ("ålder till", "högsta ålder", "max age")),
    Column("daily_price", ("dygnspris", "pris", "price")),
    Column("price_valid_from", ("pris giltigt från", "pris från", "giltigt från", "valid from")),
    Column(
        "price_valid_to",
        ("pris giltigt till", "pris till", "giltigt till", "valid to"),
        required=False,
    ),
    Column(
        "permit_number",
        ("tillståndsnummer", "IVO-tillstånd", "IVO-tillståndsnummer", "permit"),
        required=False,
    ),
    Column(
        "permit_valid_from",
        ("tillstånd giltigt från", "tillstånd från", "IVO-tillstånd från"),
        required=False,
    ),
]

# Report actions: kind → label (the summary counts rows per kind).
ACTION_LABELS = {
    "provider_created": gettext_lazy("New providers"),
    "unit_created": gettext_lazy("New units (draft)"),
    "unit_updated": gettext_lazy("Units updated"),
    "offering_created": gettext_lazy("Services added to units"),
    "offering_updated": gettext_lazy("Subcategories changed"),
    "price_created": gettext_lazy("New prices"),
    "price_exists": gettext_lazy("Prices already in the register"),
    "admitted": gettext_lazy("Units admitted to the agreement"),
    "permit_created": gettext_lazy("New IVO permits"),
    "permit_updated": gettext_lazy("IVO permits extended to a service"),
}

# The unit details a row gives and may update: the columns named after one of the unit's
# editable fields (UNIT_EDITABLE_FIELDS, the list the form and the API use), in the file's
# column order. The unit's name is its key here (unit_name), never updated from the file.
UNIT_KEY_FIELDS = ("name",)
UNIT_DETAIL_FIELDS: tuple[str, ...] = tuple(
    column.name
    for column in COLUMNS
    if column.name in UNIT_EDITABLE_FIELDS and column.name not in UNIT_KEY_FIELDS
)
# The provider fields a row gives when the provider is new (found by org_number otherwise,
# and never updated from the file).
PROVIDER_CREATE_FIELDS = {
    "legal_name": "provider_name",
    "org_number": "org_number",
    "legal_form": "legal_form",
    "municipality": "municipality",
}


class ImportFileError(Exception):
    """The file as a whole cannot be read; `str(error)` is the message for the user."""


# --- The report -------------------------------------------------------------------------------


@dataclass
class CellError:
    column: str
    message: str


@dataclass
class RowAction:
    kind: str
    text: str


@dataclass
class RowResult:
    row: int
    org_number: str = ""
    unit_name: str = ""
    service: str = ""
    actions: list[RowAction] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(CellError(column, str(message)))


@dataclass
class ImportReport:
    agreement_reference: str
    filename: str
    dry_run: bool
    imported: bool = False
    file_error: str = ""
    rows: list[RowResult] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_error) or any(row.errors for row in self.rows)

    @property
    def ok(self) -> bool:
        return not self.has_errors

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def error_count(self) -> int:
        return sum(len(row.errors) for row in self.rows) + (1 if self.file_error else 0)

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTION_LABELS, 0)
        for row in self.rows:
            for action in row.actions:
                counts[action.kind] += 1
        return counts

    @property
    def summary_lines(self) -> list[tuple[str, int]]:
        return [(str(ACTION_LABELS[kind]), n) for kind, n in self.summary.items() if n]


# --- Reading the file -------------------------------------------------------------------------

Cell = Any  # str from CSV; str, int, float, date, datetime or None from XLSX


def _key(text: str | Promise) -> str:
    """'Pris giltigt från' → 'pris_giltigt_fran': how headers and codes are compared."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.name, *_column.aliases):
        _ALIASES[_key(_alias)] = _column.name


def _is_empty(values: list[Cell]) -> bool:
    return all(value is None or str(value).strip() == "" for value in values)


def read_table(
    content: bytes, filename: str, *, deadline: uploads.Deadline | None = None
) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    """Header and data rows (spreadsheet row number, cells) of a CSV or XLSX file."""
    header: list[str] | None = None
    data: list[tuple[int, list[Cell]]] = []
    for number, values in iter_rows(content, filename, deadline=deadline):
        if _is_empty(values):
            continue
        if header is None:
            header = [("" if value is None else str(value)).strip() for value in values]
            continue
        data.append((number, values))
    if header is None:
        raise ImportFileError(_("The file is empty."))
    return header, data


def iter_rows(
    content: bytes, filename: str, *, deadline: uploads.Deadline | None = None
) -> Iterator[tuple[int, list[Cell]]]:
    """Every row of the file as read, empty ones included, within the upload limits.

    Refuses (ImportFileError) as soon as a limit is passed, so that a hostile file costs at
    most MAX_ROWS + 1 rows of reading whatever it declares: more rows than that (the header
    and empty rows count too), a row wider than uploads.MAX_COLUMNS, a cell longer than
    uploads.MAX_CELL_CHARS, or reading beyond the deadline (uploads.PARSE_SECONDS).
    """
    deadline = deadline or uploads.Deadline()
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    try:
        uploads.check_size(len(content), MAX_BYTES)
    except uploads.UploadRefused as refused:
        raise ImportFileError(refused.message) from refused
    name = (filename or "").lower()
    if content.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise ImportFileError(_("Old .xls files cannot be read: save the file as .xlsx or CSV."))
    if content.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(content, deadline)
    elif name.endswith((".csv", ".txt")) or "." not in name:
        rows = _csv_rows(content)
    else:
        raise ImportFileError(_("Upload a CSV or XLSX file."))
    with contextlib.closing(rows):
        for read, (number, values) in enumerate(rows, start=1):
            if read > MAX_ROWS + 1:  # the header row is not one of the MAX_ROWS
                raise ImportFileError(_too_many_rows())
            try:
                deadline.check()
            except uploads.UploadRefused as refused:
                raise ImportFileError(refused.message) from refused
            if len(values) > uploads.MAX_COLUMNS:
                raise ImportFileError(
                    _("Row %(row)s has more than %(max)s columns: remove the columns not in use.")
                    % {"row": number, "max": uploads.MAX_COLUMNS}
                )
            for value in values:
                if isinstance(value, str) and len(value) > uploads.MAX_CELL_CHARS:
                    raise ImportFileError(
                        _("Row %(row)s has a cell of more than %(max)s characters.")
                        % {"row": number, "max": _count(uploads.MAX_CELL_CHARS)}
                    )
            yield number, values


def _too_many_rows() -> str:
    return _(
        "The file has more than %(max)s rows, empty rows included: split it into smaller files."
    ) % {"max": _count(MAX_ROWS)}


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _xlsx_rows(
    content: bytes, deadline: uploads.Deadline
) -> Generator[tuple[int, list[Cell]], None, None]:
    import openpyxl

    unreadable = _("The file could not be read as an Excel workbook (.xlsx).")
    try:
        uploads.check_office_zip(content, parsed=True, max_rows=MAX_ROWS + 1, deadline=deadline)
    except uploads.UploadRefused as refused:
        message = {"damaged": unreadable, "too_many_rows": _too_many_rows()}.get(
            refused.code, refused.message
        )
        raise ImportFileError(message) from refused
    # openpyxl raises many kinds of errors for a damaged file, while opening or while reading.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise ImportFileError(unreadable) from error
    try:
        sheet = workbook.worksheets[0]
        # The declared size is the file's own claim: with it, openpyxl pads every row to the
        # declared width and makes up the declared rows. Without it, rows are what is there.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            row = list(values)
            if len(row) <= uploads.MAX_COLUMNS:  # a wider row is refused by the caller
                # Trailing empty cells (formatted, say) mean nothing; without them, rows that
                # say the same compare equal, as when openpyxl padded every row.
                while row and (
                    row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())
                ):
                    row.pop()
            yield number, row
    except Exception as error:
        raise ImportFileError(unreadable) from error
    finally:
        workbook.close()


class _RowTooLong(Exception):
    pass


class _BoundedLines:
    """The text's lines for csv.reader, refusing a record (a quoted cell may span lines)
    longer than uploads.MAX_ROW_CHARS before csv builds it."""

    def __init__(self, text: str):
        self._lines = iter(io.StringIO(text))
        self.record_chars = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record_chars += len(line)
        if self.record_chars > uploads.MAX_ROW_CHARS:
            raise _RowTooLong
        return line


def _csv_rows(content: bytes) -> Generator[tuple[int, list[Cell]], None, None]:
    if b"\x00" in content:
        raise ImportFileError(_("The file is not a text (CSV) file."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")  # what older Swedish Excel saves as CSV
        except UnicodeDecodeError as error:
            raise ImportFileError(_("The file's character encoding is not UTF-8.")) from error
    first_line = text.lstrip().split("\n", 1)[0][: uploads.MAX_ROW_CHARS]
    delimiter = max(";,\t", key=first_line.count)
    lines = _BoundedLines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    # Numbered by record, as a spreadsheet shows them (a quoted cell may span several lines).
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except _RowTooLong:
            raise ImportFileError(
                _("Row %(row)s is longer than %(max)s characters.")
                % {"row": number, "max": _count(uploads.MAX_ROW_CHARS)}
            ) from None
        except csv.Error as error:
            raise ImportFileError(
                _("The CSV file could not be read: %(error)s") % {"error": error}
            ) from error
        lines.record_chars = 0
        yield number, values


def map_columns(header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Column name → index, column name → the header as written, and the ignored headers."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for position, text in enumerate(header):
        name = _ALIASES.get(_key(text))
        if name is None:
            if text:
                ignored.append(text)
            continue
        if name in index:
            raise ImportFileError(
                _("The columns “%(first)s” and “%(second)s” both mean %(column)s.")
                % {"first": written[name], "second": text, "column": name}
            )
        index[name] = position
        written[name] = text
    missing = [column.name for column in COLUMNS if column.required and column.name not in index]
    if missing:
        raise ImportFileError(
            _("The file lacks required columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    for column in COLUMNS:
        written.setdefault(column.name, column.name)
    return index, written, ignored


# --- Parsing cells ----------------------------------------------------------------------------


class _CellInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _text(value: Cell, max_length: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 41301 or 5560001234 typed as numbers as floats
    if isinstance(value, dt.datetime):
        value = value.date()
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise _CellInvalid(_("At most %(max)s characters.") % {"max": max_length})
    return text


def _required(text: str) -> str:
    if not text:
        raise _CellInvalid(_("A value is required."))
    return text


def _integer(value: Cell, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        raise _CellInvalid(_("Write a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise _CellInvalid(_("Write a whole number."))
        number = int(value)
    else:
        text = _text(value).replace(" ", "")
        if not text:
            return None
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise _CellInvalid(_("Write a whole number."))
        number = int(text)
    if not low <= number <= high:
        raise _CellInvalid(
            _("Write a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return number


MAX_PRICE = Decimal("9999999.99")


def _price(value: Cell) -> Decimal:
    if isinstance(value, bool):
        raise _CellInvalid(_("Write the price as a number, e.g. 1850,50."))
    if isinstance(value, int | float):
        text = repr(value)
    else:
        text = re.sub(r"(?i)\s|kr|sek|\u00a0|\u202f", "", _text(value))
        if not text:
            raise _CellInvalid(_("A value is required."))
        if "," in text and "." in text:
            raise _CellInvalid(
                _("Write the price with one decimal comma or point and no thousands separator.")
            )
        text = text.replace(",", ".")
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise _CellInvalid(_("Write the price as a number, e.g. 1850,50.")) from None
    if not price.is_finite():
        raise _CellInvalid(_("Write the price as a number, e.g. 1850,50."))
    if price <= 0:
        raise _CellInvalid(_("The price must be more than 0."))
    if price > MAX_PRICE:
        raise _CellInvalid(_("The price is unreasonably high."))
    if price != price.quantize(Decimal("0.01")):
        raise _CellInvalid(_("At most two decimals (öre)."))
    return price.quantize(Decimal("0.01"))


def _date(value: Cell) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    raise _CellInvalid(_("Write a date as YYYY-MM-DD, e.g. 2026-01-01."))


COORDINATE_PLACES = Decimal("0.00001")  # the model's five decimals, about a metre
COORDINATE_EXAMPLES = {"latitude": "57,70716", "longitude": "11,96679"}


def _unit_constraint_message(name: str) -> str:
    """The message of one of Unit's check constraints: the file says what the form says."""
    constraint = next(c for c in Unit._meta.constraints if c.name == name)
    return str(constraint.get_violation_error_message())


def _coordinate(value: Cell, name: str, limit: int) -> Decimal | None:
    """Decimal degrees, -limit to limit, point or comma, at most five decimals; None if empty."""
    wrong = _("Write decimal degrees, e.g. %(example)s.") % {"example": COORDINATE_EXAMPLES[name]}
    if isinstance(value, bool):
        raise _CellInvalid(wrong)
    if isinstance(value, int | float):
        text = repr(value)  # the shortest text that reads back as the cell's number: 57.70716
    else:
        text = re.sub(r"\s|\u00a0|\u202f|°", "", _text(value)).replace("\u2212", "-")
        if not text:
            return None
        if not re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", text):
            raise _CellInvalid(wrong)
        text = text.replace(",", ".")
    try:
        degrees = Decimal(text)
    except InvalidOperation:
        raise _CellInvalid(wrong) from None
    if not degrees.is_finite():
        raise _CellInvalid(wrong)
    if not -limit <= degrees <= limit:
        raise _CellInvalid(_unit_constraint_message(f"unit_{name}_range"))
    if degrees != degrees.quantize(COORDINATE_PLACES):
        raise _CellInvalid(_("At most five decimals (about a metre)."))
    return degrees.quantize(COORDINATE_PLACES)


def _postal_code(value: Cell) -> str:
    digits = _text(value).replace(" ", "")
    if not digits:
        return ""
    if not re.fullmatch(r"\d{5}", digits):
        raise _CellInvalid(_("Write a postal code as five digits, e.g. 413 01."))
    return f"{digits[:3]} {digits[3:]}"


# --- Reference data ---------------------------------------------------------------------------


class _Lookups:
    """The taxonomy and municipalities, read once per import."""

    def __init__(self, agreement: FrameworkAgreement):
        self.services: dict[str, Service] = {}
        for service in Service.objects.filter(is_active=True):
            for name in (service.code, service.name_sv, service.name_en):
                self.services.setdefault(_key(name), service)
        self.subcategories: dict[str, Subcategory] = {}
        self.subcategory_names: dict[tuple[int, str], Subcategory] = {}
        for sub in Subcategory.objects.filter(is_active=True):
            self.subcategories[_key(sub.code)] = sub
            for name in (sub.name_sv, sub.name_en):
                self.subcategory_names.setdefault((sub.service_id, _key(name)), sub)
        self.municipalities: dict[str, Municipality] = {}
        for municipality in Municipality.objects.all():
            self.municipalities[municipality.code] = municipality
            self.municipalities[_key(municipality.name)] = municipality
        self.legal_forms: dict[str, str] = {"ab": LegalForm.COMPANY}
        for value, label in LegalForm.choices:
            self.legal_forms[_key(value)] = value
            self.legal_forms[_key(label)] = value
        self.legal_forms.update(
            {
                _key("limited company"): LegalForm.COMPANY,
                _key("economic association"): LegalForm.ECONOMIC_ASSOCIATION,
                _key("non-profit association"): LegalForm.NON_PROFIT_ASSOCIATION,
                _key("foundation"): LegalForm.FOUNDATION,
                _key("municipal"): LegalForm.MUNICIPAL,
                _key("other"): LegalForm.OTHER,
            }
        )
        self.framework = OperatingForm.objects.get(code=OperatingForm.FRAMEWORK)
        self.agreement_services = set(agreement.services.values_list("pk", flat=True))


# --- Parsed rows ------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    result: RowResult
    raw: tuple
    org_number: str = ""
    provider_name: str = ""
    legal_form: str = ""
    unit_name: str = ""
    street_address: str = ""
    postal_code: str = ""
    city: str = ""
    municipality: Municipality | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    service: Service | None = None
    subcategories: list[Subcategory] = field(default_factory=list)
    places: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    daily_price: Decimal | None = None
    price_valid_from: dt.date | None = None
    price_valid_to: dt.date | None = None
    permit_number: str = ""
    permit_valid_from: dt.date | None = None

    @property
    def unit_key(self) -> tuple[str, str]:
        return (self.org_number, self.unit_name.casefold())

    def unit_details(self) -> dict[str, Any]:
        """The unit fields the row gives (empty cells give nothing, so they change nothing)."""
        details = {name: getattr(self, name) for name in UNIT_DETAIL_FIELDS}
        return {name: value for name, value in details.items() if value not in ("", None)}


def _parse_row(
    number: int,
    values: list[Cell],
    index: dict[str, int],
    written: dict[str, str],
    lookups: _Lookups,
    agreement: FrameworkAgreement,
) -> ParsedRow:
    def cell(name: str) -> Cell:
        position = index.get(name)
        return values[position] if position is not None and position < len(values) else None

    row = ParsedRow(result=RowResult(row=number), raw=tuple(_text(v) for v in values))
    result = row.result

    def parse(name: str, parser) -> Any:
        try:
            return parser(cell(name))
        except _CellInvalid as invalid:
            result.error(written[name], invalid.message)
            return None

    def org_number(value: Cell) -> str:
        text = _required(_text(value))
        try:
            validate_org_number(text)
        except ValidationError as error:
            raise _CellInvalid(" ".join(error.messages)) from None
        return normalise_org_number(text)

    def legal_form(value: Cell) -> str:
        text = _text(value)
        if text and _key(text) not in lookups.legal_forms:
            raise _CellInvalid(
                _("Unknown legal form “%(value)s”. Use one of: %(choices)s.")
                % {"value": text, "choices": ", ".join(LegalForm.values)}
            )
        return lookups.legal_forms.get(_key(text), "")

    def municipality(value: Cell) -> Municipality:
        text = _required(_text(value))
        found = lookups.municipalities.get(text) or lookups.municipalities.get(_key(text))
        if found is None:
            raise _CellInvalid(_("Unknown municipality “%(value)s”.") % {"value": text})
        return found

    def service(value: Cell) -> Service:
        text = _required(_text(value))
        found = lookups.services.get(_key(text))
        if found is None:
            raise _CellInvalid(_("Unknown service “%(value)s”.") % {"value": text})
        if lookups.agreement_services and found.pk not in lookups.agreement_services:
            raise _CellInvalid(
                _("The agreement %(reference)s does not cover %(service)s.")
                % {"reference": agreement.reference, "service": found.name}
            )
        return found

    row.org_number = parse("org_number", org_number) or ""
    row.provider_name = parse("provider_name", lambda v: _text(v, 200)) or ""
    row.legal_form = parse("legal_form", legal_form) or ""
    row.unit_name = parse("unit_name", lambda v: _required(_text(v, 200))) or ""
    row.street_address = parse("street_address", lambda v: _text(v, 200)) or ""
    row.postal_code = parse("postal_code", _postal_code) or ""
    row.city = parse("city", lambda v: _text(v, 100)) or ""
    row.municipality = parse("municipality", municipality)
    row.latitude = parse("latitude", lambda v: _coordinate(v, "latitude", 90))
    row.longitude = parse("longitude", lambda v: _coordinate(v, "longitude", 180))
    row.service = parse("service", service)
    row.places = parse("places", lambda v: _required_value(_integer(v, 0, 32767)))
    row.age_min = parse("age_min", lambda v: _integer(v, 0, 120))
    row.age_max = parse("age_max", lambda v: _integer(v, 0, 120))
    row.daily_price = parse("daily_price", _price)
    row.price_valid_from = parse("price_valid_from", lambda v: _required_value(_date(v)))
    row.price_valid_to = parse("price_valid_to", _date)
    row.permit_number = parse("permit_number", lambda v: _text(v, 40)) or ""
    row.permit_valid_from = parse("permit_valid_from", _date)

    if row.service is not None:
        row.subcategories = (
            parse("subcategories", lambda v: _subcategories(_text(v), row.service, lookups)) or []
        )
    # Both or neither: the missing one is reported (a wrong one has its own error already).
    for given, missing in (("latitude", "longitude"), ("longitude", "latitude")):
        wrong = any(error.column == written[missing] for error in result.errors)
        if getattr(row, given) is not None and getattr(row, missing) is None and not wrong:
            result.error(
                written[missing], _unit_constraint_message("unit_coordinates_both_or_neither")
            )
    if row.age_min is not None and row.age_max is not None and row.age_max < row.age_min:
        result.error(written["age_max"], _("The oldest age is lower than the youngest."))
    start, end = row.price_valid_from, row.price_valid_to
    if start is not None and end is not None and end < start:
        result.error(written["price_valid_to"], _("The price ends before it starts."))
    if start is not None and not agreement.valid_from <= start <= agreement.valid_to:
        result.error(
            written["price_valid_from"],
            _("The price must start within the agreement period (%(from)s to %(to)s).")
            % {"from": agreement.valid_from, "to": agreement.valid_to},
        )
    if end is not None and end > agreement.valid_to:
        result.error(
            written["price_valid_to"],
            _("The price cannot run past the end of the agreement (%(to)s).")
            % {"to": agreement.valid_to},
        )
    if row.permit_valid_from is not None and not row.permit_number:
        result.error(written["permit_number"], _("Give the permit number with its date."))

    result.org_number = row.org_number or _text(cell("org_number"))
    result.unit_name = row.unit_name or _text(cell("unit_name"))
    result.service = row.service.name if row.service else _text(cell("service"))
    return row


def _required_value(value):
    if value is None:
        raise _CellInvalid(_("A value is required."))
    return value


def _subcategories(text: str, service: Service, lookups: _Lookups) -> list[Subcategory]:
    found, unknown = [], []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        key = _key(part)
        # A full code ("hvb--akut"), the code within the row's service ("akut") or a name.
        sub = (
            lookups.subcategories.get(key)
            or lookups.subcategories.get(_key(f"{service.code}--{part.strip()}"))
            or lookups.subcategory_names.get((service.pk, key))
        )
        if sub is None:
            unknown.append(part.strip())
        elif sub not in found:
            found.append(sub)
    if unknown:
        raise _CellInvalid(
            _("Unknown subcategories of %(service)s: %(values)s.")
            % {"service": service.name, "values": ", ".join(unknown)}
        )
    return found


def _check_file_consistency(rows: list[ParsedRow], written: dict[str, str]) -> None:
    """Rows that contradict each other: duplicates, and one unit or provider described twice."""
    first_of_unit: dict[tuple[str, str], ParsedRow] = {}
    first_of_provider: dict[str, ParsedRow] = {}
    offerings: dict[tuple, list[ParsedRow]] = {}
    permits: dict[str, ParsedRow] = {}
    for row in rows:
        if not (row.org_number and row.unit_name):
            continue
        result = row.result
        provider = first_of_provider.setdefault(row.org_number, row)
        for name in ("provider_name", "legal_form"):
            theirs, ours = getattr(provider, name), getattr(row, name)
            if provider is not row and theirs and ours and theirs != ours:
                result.error(
                    written[name],
                    _("Differs from row %(row)s for the same organisation number.")
                    % {"row": provider.result.row},
                )
        unit = first_of_unit.setdefault(row.unit_key, row)
        if unit is not row:
            theirs_details, ours_details = unit.unit_details(), row.unit_details()
            for name in UNIT_DETAIL_FIELDS:
                if (
                    name in theirs_details
                    and name in ours_details
                    and (theirs_details[name] != ours_details[name])
                ):
                    result.error(
                        written[name],
                        _("Differs from row %(row)s for the same unit.") % {"row": unit.result.row},
                    )
        if row.permit_number:
            holder = permits.setdefault(row.permit_number, row)
            if holder.unit_key != row.unit_key:
                result.error(
                    written["permit_number"],
                    _("Row %(row)s gives the same permit number to another unit.")
                    % {"row": holder.result.row},
                )
        if row.service is None or row.price_valid_from is None:
            continue
        same_offering = offerings.setdefault((*row.unit_key, row.service.pk), [])
        for other in same_offering:
            if other.raw == row.raw:
                result.error("", _("The row repeats row %(row)s.") % {"row": other.result.row})
                break
            if _overlaps(other, row):
                result.error(
                    written["price_valid_from"],
                    _("Row %(row)s has a price for the same unit and service in this period.")
                    % {"row": other.result.row},
                )
                break
            if {s.pk for s in other.subcategories} != {s.pk for s in row.subcategories}:
                result.error(
                    written["subcategories"],
                    _("Differs from row %(row)s for the same unit and service.")
                    % {"row": other.result.row},
                )
                break
        same_offering.append(row)


def _overlaps(a: ParsedRow, b: ParsedRow) -> bool:
    assert a.price_valid_from is not None and b.price_valid_from is not None  # checked rows
    far = dt.date.max
    return a.price_valid_from <= (b.price_valid_to or far) and b.price_valid_from <= (
        a.price_valid_to or far
    )


# --- Applying rows ----------------------------------------------------------------------------


class _RowFailed(Exception):
    def __init__(self, errors: list[CellError]):
        super().__init__(errors)
        self.errors = errors


@contextlib.contextmanager
def _step(written: dict[str, str], fields: dict[str, str], default: str) -> Iterator[None]:
    """Turn a refusal from the services or rules into row errors under the right columns."""
    try:
        yield
    except rules.RuleViolation as violation:
        raise _RowFailed([CellError(written[default], str(violation.message))]) from None
    except ValidationError as error:
        errors: list[CellError] = []
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                column = written[fields.get(name, default)]
                errors.extend(CellError(column, message) for message in messages)
        else:
            errors.extend(CellError(written[default], message) for message in error.messages)
        raise _RowFailed(errors) from None


_UNIT_FIELDS = {"name": "unit_name", **{name: name for name in UNIT_DETAIL_FIELDS}}
_OFFERING_FIELDS = {
    "operating_form": "service",
    "service": "service",
    "subcategories": "subcategories",
}
_PRICE_FIELDS = {
    "daily_price": "daily_price",
    "valid_from": "price_valid_from",
    "valid_to": "price_valid_to",
}
_PERMIT_FIELDS = {"permit_number": "permit_number", "valid_from": "permit_valid_from"}


class _Applier:
    def __init__(
        self,
        agreement: FrameworkAgreement,
        actor: User | None,
        lookups: _Lookups,
        written: dict[str, str],
        admission_dates: dict[tuple[str, str], dt.date],
    ):
        self.agreement = agreement
        self.actor = actor
        self.lookups = lookups
        self.written = written
        self.admission_dates = admission_dates

    def step(self, fields: dict[str, str], default: str):
        return _step(self.written, fields, default)

    def fail(self, column: str, message: str) -> _RowFailed:
        return _RowFailed([CellError(self.written[column], message)])

    def apply(self, row: ParsedRow) -> list[RowAction]:
        actions: list[RowAction] = []
        provider = self._provider(row, actions)
        unit = self._unit(row, provider, actions)
        offering = self._offering(row, unit, actions)
        self._price(row, offering, actions)
        self._admission(row, unit, actions)
        if row.permit_number:
            self._permit(row, unit, actions)
        return actions

    def _provider(self, row: ParsedRow, actions: list[RowAction]) -> Provider:
        provider = Provider.objects.filter(org_number=row.org_number).first()
        if provider is not None:
            return provider
        if not row.provider_name:
            raise self.fail(
                "provider_name",
                _("Give the provider's name: %(org)s is not in the register yet.")
                % {"org": row.org_number},
            )
        if not row.legal_form:
            raise self.fail(
                "legal_form",
                _("Give the legal form: %(org)s is not in the register yet.")
                % {"org": row.org_number},
            )
        with self.step(PROVIDER_CREATE_FIELDS, "org_number"):
            provider = services.create_provider(
                actor=self.actor,
                for_agreement=self.agreement,
                legal_name=row.provider_name,
                org_number=row.org_number,
                legal_form=row.legal_form,
                municipality=row.municipality,
            )
        actions.append(
            RowAction("provider_created", _("New provider: %(name)s") % {"name": row.provider_name})
        )
        return provider

    def _unit(self, row: ParsedRow, provider: Provider, actions: list[RowAction]) -> Unit:
        matches = list(Unit.objects.filter(provider=provider, name__iexact=row.unit_name)[:2])
        if len(matches) > 1:
            raise self.fail(
                "unit_name",
                _("The provider has several units named “%(name)s”: rename one in the register.")
                % {"name": row.unit_name},
            )
        details = row.unit_details()
        if not matches:
            with self.step(_UNIT_FIELDS, "unit_name"):
                unit = services.create_unit(
                    actor=self.actor,
                    for_agreement=self.agreement,
                    provider=provider,
                    name=row.unit_name,
                    **details,
                )
            actions.append(
                RowAction("unit_created", _("New unit (draft): %(name)s") % {"name": unit.name})
            )
            return unit
        unit = matches[0]
        changed = {
            name: value
            for name, value in details.items()
            # municipality_id, not municipality: no query per row for the comparison
            if getattr(unit, "municipality_id" if name == "municipality" else name)
            != (value.pk if name == "municipality" else value)
        }
        if changed:
            with self.step(_UNIT_FIELDS, "unit_name"):
                services.update_unit(
                    actor=self.actor, unit=unit, for_agreement=self.agreement, **changed
                )
            actions.append(
                RowAction(
                    "unit_updated",
                    _("Unit updated: %(fields)s")
                    % {
                        "fields": ", ".join(
                            str(cast(Field, Unit._meta.get_field(n)).verbose_name) for n in changed
                        )
                    },
                )
            )
        return unit

    def _offering(self, row: ParsedRow, unit: Unit, actions: list[RowAction]) -> UnitService:
        assert row.service is not None  # a row without a service has an error, never applied
        framework = self.lookups.framework
        existing = UnitService.objects.filter(
            unit=unit, service=row.service, operating_form=framework
        ).first()
        before = set(existing.subcategories.values_list("pk", flat=True)) if existing else set()
        # An empty cell keeps the subcategories the register already has.
        subcategories = row.subcategories or (
            list(existing.subcategories.all()) if existing else []
        )
        with self.step(_OFFERING_FIELDS, "service"):
            offering = services.set_offering(
                actor=self.actor,
                unit=unit,
                service=row.service,
                operating_form=framework,
                subcategories=subcategories,
                for_agreement=self.agreement,
            )
        if existing is None:
            actions.append(
                RowAction(
                    "offering_created",
                    _("Service added: %(service)s (%(form)s)")
                    % {"service": row.service.name, "form": framework.name},
                )
            )
        elif before != {s.pk for s in subcategories}:
            actions.append(
                RowAction(
                    "offering_updated",
                    _("Subcategories of %(service)s: %(names)s")
                    % {
                        "service": row.service.name,
                        "names": ", ".join(s.name for s in subcategories) or "–",
                    },
                )
            )
        return offering

    def _price(self, row: ParsedRow, offering: UnitService, actions: list[RowAction]) -> None:
        # A row without a price or its start has an error, never applied.
        assert row.daily_price is not None and row.price_valid_from is not None
        same = offering.prices.filter(
            daily_price=row.daily_price,
            valid_from=row.price_valid_from,
            valid_to=row.price_valid_to,
            agreement=self.agreement,
        ).exists()
        text = _("%(price)s kr per day from %(from)s") % {
            "price": f"{row.daily_price:.2f}".replace(".", ","),
            "from": row.price_valid_from.isoformat(),
        }
        if same:
            actions.append(
                RowAction(
                    "price_exists", _("Price already registered: %(price)s") % {"price": text}
                )
            )
            return
        with self.step(_PRICE_FIELDS, "price_valid_from"):
            services.add_price(
                actor=self.actor,
                offering=offering,
                daily_price=row.daily_price,
                valid_from=row.price_valid_from,
                valid_to=row.price_valid_to,
                source=PriceSource.FRAMEWORK,
                agreement=self.agreement,
            )
        actions.append(RowAction("price_created", _("New price: %(price)s") % {"price": text}))

    def _admission(self, row: ParsedRow, unit: Unit, actions: list[RowAction]) -> None:
        if AgreementUnit.objects.filter(agreement=self.agreement, unit=unit).exists():
            return
        assert row.price_valid_from is not None  # a row without one is never applied
        admitted_on = self.admission_dates.get(row.unit_key, row.price_valid_from)
        with self.step({}, "price_valid_from"):
            services.admit_unit(
                actor=self.actor, agreement=self.agreement, unit=unit, admitted_on=admitted_on
            )
        actions.append(
            RowAction(
                "admitted",
                _("Admitted to the agreement from %(date)s") % {"date": admitted_on.isoformat()},
            )
        )

    def _permit(self, row: ParsedRow, unit: Unit, actions: list[RowAction]) -> None:
        assert row.service is not None  # a row without a service has an error, never applied
        permit = Permit.objects.filter(permit_number=row.permit_number).first()
        if permit is None:
            if row.permit_valid_from is None:
                raise self.fail(
                    "permit_valid_from",
                    _("Give the date IVO permit %(number)s is valid from.")
                    % {"number": row.permit_number},
                )
            with self.step(_PERMIT_FIELDS, "permit_number"):
                services.save_permit(
                    actor=self.actor,
                    permit=Permit(
                        unit=unit, permit_number=row.permit_number, valid_from=row.permit_valid_from
                    ),
                    services=[row.service],
                    for_agreement=self.agreement,
                )
            actions.append(
                RowAction(
                    "permit_created",
                    _("New IVO permit %(number)s for %(service)s")
                    % {"number": row.permit_number, "service": row.service.name},
                )
            )
            return
        if permit.unit_id != unit.pk:
            raise self.fail(
                "permit_number",
                _("IVO permit %(number)s belongs to another unit.") % {"number": row.permit_number},
            )
        covered = list(permit.services.all())
        if row.service not in covered:
            with self.step(_PERMIT_FIELDS, "permit_number"):
                services.save_permit(
                    actor=self.actor,
                    permit=permit,
                    services=[*covered, row.service],
                    for_agreement=self.agreement,
                )
            actions.append(
                RowAction(
                    "permit_updated",
                    _("IVO permit %(number)s now covers %(service)s")
                    % {"number": row.permit_number, "service": row.service.name},
                )
            )


# --- Entry points -----------------------------------------------------------------------------


def import_upload(
    agreement: FrameworkAgreement, upload: UploadedFile, *, actor: User | None, dry_run: bool
) -> ImportReport:
    """import_units for an uploaded file; one that is too large is refused without reading it."""
    try:
        uploads.check_size(upload.size, MAX_BYTES)
    except uploads.UploadRefused as refused:
        services.require(actor, Capability.MANAGE_AGREEMENTS)
        return ImportReport(
            agreement.reference, upload.name or "", dry_run, file_error=refused.message
        )
    return import_units(agreement, upload.read(), upload.name or "", actor=actor, dry_run=dry_run)


def import_units(
    agreement: FrameworkAgreement,
    content: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool,
) -> ImportReport:
    """Check every row of the file and, unless it is a dry run or a row is wrong, import them.

    actor=None is a system job; a person needs MANAGE_AGREEMENTS (PermissionDenied otherwise).
    """
    services.require(actor, Capability.MANAGE_AGREEMENTS)
    report = ImportReport(agreement.reference, filename, dry_run)
    try:
        header, data = read_table(content, filename)
        index, written, report.ignored_columns = map_columns(header)
    except ImportFileError as error:
        report.file_error = str(error)
        return report
    if not data:
        report.file_error = _("The file has no rows to import.")
        return report

    lookups = _Lookups(agreement)
    rows = [
        _parse_row(number, values, index, written, lookups, agreement) for number, values in data
    ]
    report.rows = [row.result for row in rows]
    _check_file_consistency(rows, written)

    admission_dates: dict[tuple[str, str], dt.date] = {}
    for row in rows:
        if row.price_valid_from is not None and row.org_number and row.unit_name:
            earliest = admission_dates.get(row.unit_key)
            if earliest is None or row.price_valid_from < earliest:
                admission_dates[row.unit_key] = row.price_valid_from
    applier = _Applier(agreement, actor, lookups, written, admission_dates)

    with transaction.atomic():
        for row in rows:
            if row.result.errors:
                continue
            try:
                with transaction.atomic():
                    row.result.actions = applier.apply(row)
            except _RowFailed as failed:
                row.result.errors.extend(failed.errors)
            except (IntegrityError, DataError):
                row.result.error(
                    "", _("The row conflicts with data saved at the same time. Try again.")
                )
        if dry_run or report.has_errors:
            transaction.set_rollback(True)
    if report.has_errors and not dry_run:
        # Nothing was saved, so listing what the good rows did would mislead.
        for result in report.rows:
            result.actions = []
    report.imported = not dry_run and not report.has_errors
    return report
