"""Validation of uploaded evidence files (control checks)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

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
    """An evidence file: at most 10 MB, and a PDF, PNG, JPG, DOCX or XLSX file."""
    if file is None or not getattr(file, "name", ""):
        return
    if file.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("The file is too large: at most 10 MB is allowed."), code="file_too_large"
        )
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
