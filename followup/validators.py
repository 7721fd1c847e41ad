"""Validation of uploaded evidence files (control checks), under spink.uploads' limits."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from spink import uploads

EVIDENCE_MAX_BYTES = uploads.MAX_UPLOAD_BYTES

# Allowed extensions and the bytes such a file starts with (so a renamed file is refused).
_ZIP = (b"PK\x03\x04",)
EVIDENCE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": _ZIP,
    ".xlsx": _ZIP,
}


def validate_evidence(file) -> None:
    """An evidence file: at most 10 MB, and a PDF, PNG, JPG, DOCX or XLSX file.

    A DOCX or XLSX must also pass spink.uploads.check_office_zip: the server never parses
    evidence, but the colleague who opens it should not get a zip bomb.
    """
    if file is None or not getattr(file, "name", ""):
        return
    try:
        uploads.check_size(file.size, EVIDENCE_MAX_BYTES)
    except uploads.UploadRefused as refused:
        raise ValidationError(refused.message, code=refused.code) from None
    extension = Path(file.name).suffix.lower()
    signatures = EVIDENCE_SIGNATURES.get(extension)
    if signatures is None:
        raise ValidationError(
            _("Only PDF, PNG, JPG, DOCX and XLSX files can be attached."), code="file_type"
        )
    # Only new uploads are sniffed; a stored file was checked when it came in.
    if getattr(file, "_committed", True) is False or hasattr(file, "content_type"):
        position = file.tell() if hasattr(file, "tell") else 0
        file.seek(0)
        head = file.read(8)
        file.seek(position)
        if not any(head.startswith(signature) for signature in signatures):
            raise ValidationError(
                _("The file's content does not match its type (%(extension)s).")
                % {"extension": extension.lstrip(".").upper()},
                code="file_content",
            )
        if signatures == _ZIP:
            try:
                uploads.check_office_zip(file)
            except uploads.UploadRefused as refused:
                raise ValidationError(refused.message, code=refused.code) from None
