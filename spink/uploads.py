"""The limits every uploaded file is held to, in one place.

A file of a few kilobytes can cost minutes of a worker: a ZIP that unpacks to gigabytes, a
spreadsheet that declares 17 billion cells, a million empty rows, one endless cell. Every
upload therefore goes through the same checks, cheapest first:

1. the request itself: `SizeCappedUploadHandler` (first in FILE_UPLOAD_HANDLERS) stops
   storing a file beyond MAX_UPLOAD_BYTES, and `check_size` refuses it with a clear message;
2. a ZIP-based Office file (XLSX, DOCX, …): `check_office_zip` judges the central directory
   before anything is unpacked (parts, unpacked size, compression ratio, declared sheet size)
   and, for a file the server is going to parse, streams its XML counting elements;
3. reading: a reader checks a `Deadline` as it goes and counts every row it reads, empty ones
   too, so that it stops at its limit however the file describes itself.

A new kind of upload uses the same functions (see followup.validators and providers.importer).
Refusals are `UploadRefused`, with a message for the user and a stable code for tests and APIs.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

# Every upload form says "at most 10 MB": a 10,000-row agreement file is about 2 MB as CSV
# and under 1 MB as XLSX, and a scanned certificate or a photographed permit fits easily.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# An XLSX has about ten parts and a DOCX with pictures a few hundred; a thousand is no
# ordinary document, and each part costs the ZIP reader work before anything is unpacked.
MAX_ZIP_MEMBERS = 1_000

# Unpacked, the largest agreement file we accept is about 10 MB of XML (10,000 rows of 18
# columns); five times that leaves room for rich formatting and for DOCX with pictures.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024

# Office XML compresses 5-20 times, pictures hardly at all; a part packed more than 100 times
# is the mark of a zip bomb (OWASP's usual threshold). Small parts are exempt: a tiny
# repetitive part compresses well and costs nothing to unpack.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024

# A sheet's <dimension ref="A1:XFD1048576"/> tells a trusting reader to allocate 17 billion
# cells; 20 million is far beyond any real document (10,000 rows × LibreOffice's 1,024
# columns is 10 million). Our own readers ignore the declaration and count what is there.
MAX_DECLARED_CELLS = 20_000_000

# For a spreadsheet the server parses, the XML elements it may hold (counted as tags, start
# and end alike). A 10,000-row file of 18 columns has about 1 million in its sheets; 3
# million allows extra columns. The shared strings and the other parts (styles above all,
# about 14 µs per element) are parsed whole while the workbook is opened, where no deadline
# can interrupt, so they get caps of their own that bound that phase to about 2 s.
MAX_SHEET_TAGS = 3_000_000
MAX_STRINGS_TAGS = 1_000_000
MAX_OTHER_TAGS = 100_000

# Excel 2003 had 256 columns; no file a person builds for an import needs more, and a wider
# row costs memory per row read (a cell in column XFD makes a row of 16,384).
MAX_COLUMNS = 256
# Excel itself keeps at most 32,767 characters in a cell.
MAX_CELL_CHARS = 32_767
# A CSV record (a quoted cell may span lines): far above a real row (a few hundred
# characters), below the csv module's own field limit (131,072), so ours is what trips.
MAX_ROW_CHARS = 100_000

# The backstop when no cap has tripped. Reading a legitimate 10,000-row XLSX (the largest
# import) took 1.5-4.5 s on a two-core machine under load, so 8 s does not fail it when the
# server is busy; hostile files trip one of the caps above within a fraction of a second.
PARSE_SECONDS = 8.0

_CHUNK = 1024 * 1024
_EOCD = b"PK\x05\x06"
_DIMENSION = re.compile(
    rb"<(?:[\w.-]+:)?dimension\s+ref=[\"']([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?[\"']"
)
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_STRINGS = "xl/sharedStrings.xml"


class UploadRefused(Exception):
    """An upload refused before or while it was read; `message` is for the user."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _megabytes(size: int) -> int:
    return size // (1024 * 1024)


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def check_size(size: int | None, limit: int = MAX_UPLOAD_BYTES) -> None:
    if size is not None and size > limit:
        raise UploadRefused(
            _("The file is larger than %(size)s MB.") % {"size": _megabytes(limit)},
            "file_too_large",
        )


class Deadline:
    """A time budget that readers check as they go (row by row, chunk by chunk)."""

    def __init__(self, seconds: float = PARSE_SECONDS):
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def check(self) -> None:
        if self.expired:
            raise UploadRefused(
                _(
                    "The file could not be read within %(seconds)s seconds: split it into "
                    "smaller files."
                )
                % {"seconds": f"{self.seconds:g}"},
                "too_slow",
            )


# --- ZIP-based Office files -------------------------------------------------------------------


def _damaged() -> UploadRefused:
    return UploadRefused(_("The file is damaged and cannot be opened."), "damaged")


def _declared_members(stream: IO[bytes]) -> int | None:
    """The member count the end-of-central-directory record declares, read before ZipFile
    builds an object per member (a 10 MB file can hold 200,000 tiny ones)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, 22 + 65_535)  # the record, and the longest comment it may carry
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 12 > len(tail):
        return None
    # Beyond 65,535 members ZIP64 puts 0xFFFF here, which is over the cap too.
    return struct.unpack("<H", tail[at + 10 : at + 12])[0]


def check_office_zip(
    source: bytes | IO[bytes],
    *,
    parsed: bool = False,
    max_rows: int | None = None,
    deadline: Deadline | None = None,
) -> None:
    """Refuse a ZIP-based Office file that would cost far more to open than it is worth.

    The central directory is judged before anything is unpacked. With parsed=True (a file the
    server is going to parse: a spreadsheet), its XML is also streamed, without building
    anything, to count elements, to find a row wider than MAX_COLUMNS and, with max_rows, a
    sheet of more rows than the reader will take (empty rows count: openpyxl parses a whole
    sheet that declares no size while it opens the workbook, where no deadline reaches).
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    position = stream.tell()
    try:
        declared = _declared_members(stream)
        if declared is not None and declared > MAX_ZIP_MEMBERS:
            raise _too_many_members()
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                members = archive.infolist()
                _check_directory(members)
                _check_xml(archive, members, parsed=parsed, max_rows=max_rows, deadline=deadline)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,
            RuntimeError,
            ValueError,
            OSError,
        ) as error:
            # A damaged archive, an unsupported compression or an encrypted part.
            raise _damaged() from error
    finally:
        stream.seek(position)


def _too_many_members() -> UploadRefused:
    return UploadRefused(
        _(
            "The file consists of more than %(max)s parts, far more than an ordinary Office "
            "file: it is refused."
        )
        % {"max": _count(MAX_ZIP_MEMBERS)},
        "too_many_parts",
    )


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise _too_many_members()
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        raise UploadRefused(
            _("Unpacked, the file would take more than %(size)s MB: it is refused.")
            % {"size": _megabytes(MAX_UNCOMPRESSED_BYTES)},
            "unpacked_too_large",
        )
    for member in members:
        if member.file_size < RATIO_CHECKED_FROM_BYTES:
            continue
        if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise UploadRefused(
                _(
                    "The file is compressed far more than an ordinary Office file (more than "
                    "%(ratio)s times), the mark of a “zip bomb”: it is refused."
                )
                % {"ratio": MAX_COMPRESSION_RATIO},
                "zip_bomb",
            )


def _segments(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's XML in pieces that end before a '<', so that no tag is cut in two.

    zipfile stops at the declared size and checks the CRC, so a part cannot unpack to more
    than the directory said.
    """
    carry = b""
    with archive.open(member) as part:
        while chunk := part.read(_CHUNK):
            buffer = carry + chunk
            cut = buffer.rfind(b"<")
            if cut <= 0 or len(buffer) - cut > _CHUNK:
                cut = len(buffer)
            carry = buffer[cut:]
            yield buffer[:cut]
    if carry:
        yield carry


def _check_dimension(head: bytes) -> None:
    found = _DIMENSION.search(head)
    if not found or not found.group(3):
        return
    first_col, first_row, last_col, last_row = (group.decode() for group in found.groups())
    columns = _column_number(last_col) - _column_number(first_col) + 1
    rows = int(last_row) - int(first_row) + 1
    if columns * rows > MAX_DECLARED_CELLS:
        raise UploadRefused(
            _(
                "A sheet in the file declares the size %(range)s, far more than can be read: "
                "save it again with only the rows and columns in use."
            )
            % {"range": f"{first_col}{first_row}:{last_col}{last_row}"},
            "huge_dimension",
        )


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _check_xml(
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    *,
    parsed: bool,
    max_rows: int | None,
    deadline: Deadline | None,
) -> None:
    tags = {"sheet": 0, "strings": 0, "other": 0}
    caps = {"sheet": MAX_SHEET_TAGS, "strings": MAX_STRINGS_TAGS, "other": MAX_OTHER_TAGS}
    for member in members:
        name = member.filename
        is_sheet = bool(_WORKSHEET.match(name))
        if not parsed:
            if is_sheet:
                with archive.open(member) as part:
                    _check_dimension(part.read(64 * 1024))
            continue
        if not name.endswith((".xml", ".rels")):
            continue  # pictures and other binary parts are not parsed
        group = "sheet" if is_sheet else "strings" if name == _STRINGS else "other"
        first = True
        sheet_rows = 0
        for segment in _segments(archive, member):
            if deadline is not None:
                deadline.check()
            if first and is_sheet:
                _check_dimension(segment[: 64 * 1024])
            first = False
            # Office XML never has a DTD; one here can only be an entity-expansion attempt.
            if b"<!DOCTYPE" in segment or b"<!ENTITY" in segment:
                raise UploadRefused(
                    _(
                        "The file contains XML declarations (DTD) that Office files never "
                        "use: it is refused."
                    ),
                    "xml_declarations",
                )
            tags[group] += segment.count(b"<")
            if tags[group] > caps[group]:
                raise _too_much_content(group)
            if is_sheet:
                # A row's cells are parsed all at once, before a reader sees the row; if a
                # piece holds more cells than MAX_COLUMNS per row in it (plus one row running
                # on from the previous piece), some row is wider than that.
                rows = len(_ROW_TAG.findall(segment))
                cells = len(_CELL_TAG.findall(segment))
                sheet_rows += rows
                if max_rows is not None and sheet_rows > max_rows:
                    raise UploadRefused(
                        _(
                            "A sheet in the file has more than %(max)s rows, empty rows "
                            "included: split it into smaller files."
                        )
                        % {"max": _count(max_rows)},
                        "too_many_rows",
                    )
                if cells > MAX_COLUMNS * (rows + 1):
                    raise UploadRefused(
                        _("A row in the file has more than %(max)s cells: the file is refused.")
                        % {"max": MAX_COLUMNS},
                        "wide_row",
                    )


def _too_much_content(group: str) -> UploadRefused:
    if group == "other":
        return UploadRefused(
            _(
                "The file holds far more formatting and other content besides the cells than "
                "can be read: save it again as a new workbook or as CSV."
            ),
            "too_much_content",
        )
    return UploadRefused(
        _(
            "The file holds more content than can be read at once: split it into smaller "
            "files or save it as CSV."
        ),
        "too_much_content",
    )


# --- The request ------------------------------------------------------------------------------


class OversizedUpload(UploadedFile):
    """Stands for a file larger than any form takes: its size is real, its content is not
    kept, so validators refuse it with the usual message and nothing large is stored."""

    def __init__(self, name: str | None, content_type: str | None, size: int, charset: str | None):
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class SizeCappedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: beyond MAX_UPLOAD_BYTES a file's data is counted and
    dropped instead of written to a temporary file (Django itself caps only the non-file
    fields, with DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > MAX_UPLOAD_BYTES:
            self.oversized = True
        # None keeps the chunk from the handlers after this one, which store the file.
        return None if self.oversized else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.oversized:
            return None  # the next handler returns the stored file
        return OversizedUpload(self.file_name, self.content_type, file_size, self.charset)
