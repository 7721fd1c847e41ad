"""Attachments of placement requests: what a file may be, the writes, the reads, the download.

An attachment (a decision, an extract of the investigation) is person data like the request's
own person fields:

* who may add or remove one is declared in placements.rules (REQUEST_WORKFLOW's "attach" and
  "remove_attachment", and may_remove_attachment: its uploader only); who may see its name
  and download it is rules.may_open_attachments (access.may_see_person, protected identity
  included), among those who can see the request at all (selectors.visible_requests);
* its type is decided from its content (magic bytes, the parts of an Office ZIP), never from
  the extension or the browser's word alone, under spink.uploads' limits;
* it is stored in Django's default storage (MEDIA_ROOT, or an S3 bucket by settings) under a
  random name, and served only by download views that check access, as an attachment with
  nosniff; every download is written to the read log (PersonDataAccess);
* it is never attached to e-mails, never in exports, and not registered in the admin.

Writes are keyword-only, the actor first, records or their ids, like placements.services.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from placements import rules
from placements.models import (
    Attachment,
    AttachmentKind,
    PersonDataAccess,
    PlacementRequest,
    TimelineEvent,
)
from placements.services import locked_request
from spink import uploads
from spink.accounts.models import User
from spink.errors import RuleViolation
from spink.workflow import NOT_ALLOWED

logger = logging.getLogger(__name__)

MAX_BYTES = uploads.MAX_UPLOAD_BYTES

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"

# The extensions a file may have and the type its content must then turn out to be.
EXTENSION_TYPES: dict[str, str] = {
    ".pdf": PDF,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".pptx": PPTX,
    ".odt": ODT,
    ".ods": ODS,
    ".odp": ODP,
}
TYPE_LABELS: dict[str, str] = {
    PDF: "PDF",
    PNG: "PNG",
    JPEG: "JPEG",
    DOCX: "Word (DOCX)",
    XLSX: "Excel (XLSX)",
    PPTX: "PowerPoint (PPTX)",
    ODT: "OpenDocument Text (ODT)",
    ODS: "OpenDocument Spreadsheet (ODS)",
    ODP: "OpenDocument Presentation (ODP)",
}
ACCEPT = ",".join(EXTENSION_TYPES)  # the file input's accept attribute

# The part of an Office Open XML package that says which application it belongs to.
_OOXML_MAIN_PARTS = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}
_ODF_TYPES = {ODT, ODS, ODP}
_NAME_LIMIT = 255


# --- What a file is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspected:
    content_type: str
    original_name: str
    size: int


def _refusal(message: str, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def clean_name(name: str | None) -> str:
    """The user's file name as a label: no path, no control characters, at most 255
    characters with the extension kept."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if len(base) > _NAME_LIMIT:
        suffix = PurePath(base).suffix[:20]
        base = base[: _NAME_LIMIT - len(suffix)] + suffix
    return base


def _sniff_zip(stream: IO[bytes]) -> str | None:
    """The Office type of a ZIP from its parts (after spink.uploads judged the archive)."""
    with zipfile.ZipFile(stream) as archive:
        names = set(archive.namelist())
        if "mimetype" in names:  # OpenDocument: the first part names the type
            with archive.open("mimetype") as part:
                declared = part.read(100).decode("ascii", "replace").strip()
            return declared if declared in _ODF_TYPES else None
        if "[Content_Types].xml" not in names:
            return None
        # A macro project inside a .docx/.xlsx is a renamed DOCM/XLSM: code that runs on the
        # colleague's machine when they open the decision.
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise _refusal(_("The file contains macros, which attachments may not have."), "macros")
        for main_part, content_type in _OOXML_MAIN_PARTS.items():
            if main_part in names:
                return content_type
    return None


def _sniff(stream: IO[bytes]) -> str | None:
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            uploads.check_office_zip(stream)
            return _sniff_zip(stream)
        except uploads.UploadRefused as refused:
            raise _refusal(refused.message, refused.code) from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise _refusal(_("The file is damaged and cannot be opened."), "damaged") from error
        finally:
            stream.seek(0)
    return None


def inspect(file: Any) -> Inspected:
    """Refuse (ValidationError on "file") a file that is too large, empty, of a type not
    allowed, or whose content is not what its extension says; else what it is."""
    if file is None:
        raise _refusal(_("Choose a file to attach."), "required")
    try:
        uploads.check_size(file.size, MAX_BYTES)
    except uploads.UploadRefused as refused:
        raise _refusal(refused.message, refused.code) from None
    if not file.size:
        raise _refusal(_("The file is empty."), "empty")
    name = clean_name(getattr(file, "name", ""))
    expected = EXTENSION_TYPES.get(PurePath(name).suffix.lower())
    if expected is None:
        raise _refusal(
            _(
                "Only PDF files, Office documents (Word, Excel, PowerPoint, OpenDocument) and "
                "PNG or JPEG images can be attached."
            ),
            "file_type",
        )
    found = _sniff(file)
    if found != expected:
        raise _refusal(
            _("The file's content is not a %(type)s file, as its name says.")
            % {"type": TYPE_LABELS[expected]},
            "file_content",
        )
    return Inspected(content_type=found, original_name=name, size=file.size)


class AttachmentForm(forms.Form):
    """The upload form of the request page: its shape only; the file is judged by `inspect`
    in the service (the API's serializer hands over to the same service)."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind of document"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "PDF, Word, Excel, PowerPoint, OpenDocument, PNG or JPEG; at most 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "attachment")
        super().__init__(*args, **kwargs)


# --- Writes -----------------------------------------------------------------------------------


def _pk(record: Model | int) -> int:
    return record.pk if isinstance(record, Model) else record


def _new_storage_name() -> str:
    # Random and without the user's name or extension: nothing to guess, nothing a web
    # server in front could serve by type.
    return f"attachments/{secrets.token_hex(16)}"


def add_attachment(
    *, actor: User, request: PlacementRequest | int, kind: str, file: Any
) -> Attachment:
    """Attach `file` to the request (workflow action "attach"), on its timeline."""
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("Choose the kind of document.")})
    # Judged before the row lock: reading 10 MB should not hold up the request's handling.
    inspected = inspect(file)
    stored: str | None = None
    try:
        with transaction.atomic():
            placement = locked_request(request)
            rules.REQUEST_WORKFLOW.check("attach", placement, actor)
            file.seek(0)
            stored = default_storage.save(_new_storage_name(), file)
            attachment = Attachment.objects.create(
                request=placement,
                kind=kind,
                original_name=inspected.original_name,
                content_type=inspected.content_type,
                size=inspected.size,
                storage_name=stored,
                uploaded_by=actor,
            )
            # The file name goes in the text, which is shown only with the person.
            TimelineEvent.objects.create(
                request=placement,
                kind=TimelineEvent.Kind.ATTACHMENT_ADDED,
                actor=actor,
                text=inspected.original_name,
                data={"attachment": attachment.pk, "attachment_kind": kind},
            )
    except BaseException:
        # Nothing of a refused or failed upload stays in storage.
        if stored is not None:
            default_storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def remove_attachment(*, actor: User, attachment: Attachment | int) -> None:
    """Remove an attachment (its uploader, while the workflow allows "remove_attachment"):
    recorded on the timeline, the file deleted from storage once the removal is committed."""
    request_id = (
        attachment.request_id
        if isinstance(attachment, Attachment)
        else Attachment.objects.values_list("request_id", flat=True).get(pk=attachment)
    )
    placement = locked_request(request_id)
    found = Attachment.objects.filter(pk=_pk(attachment), request=placement).first()
    if found is None:
        raise RuleViolation(_("The attachment has already been removed."), "removed")
    rules.REQUEST_WORKFLOW.check("remove_attachment", placement, actor)
    found.request = placement
    if not rules.may_remove_attachment(actor, found):
        raise RuleViolation(
            _("Only the person who uploaded an attachment can remove it."), NOT_ALLOWED
        )
    TimelineEvent.objects.create(
        request=placement,
        kind=TimelineEvent.Kind.ATTACHMENT_REMOVED,
        actor=actor,
        text=found.original_name,
        data={"attachment": found.pk, "attachment_kind": found.kind},
    )
    name = found.storage_name
    found.delete()
    transaction.on_commit(lambda: _delete_file(name))


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # noqa: BLE001 - the removal stands; a leftover file is only logged
        logger.exception("attachment file %s could not be deleted", name)


# --- Reads ------------------------------------------------------------------------------------


def of_request(request: PlacementRequest) -> QuerySet[Attachment]:
    """A request's attachments, oldest first, with their uploaders (one query)."""
    return request.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")


def section(
    request: PlacementRequest, user: User, actions: set[str], form: AttachmentForm | None = None
) -> dict[str, Any]:
    """What the request page's attachment section shows this user."""
    may_open = rules.may_open_attachments(user, request)
    items: list[Any] = list(of_request(request))
    for item in items:
        item.may_remove = may_open and rules.may_remove_attachment(user, item)
    return {
        "placement": request,
        "attachments": items,
        "may_open": may_open,
        "attachment_form": form
        if form is not None
        else AttachmentForm()
        if "attach" in actions
        else None,
    }


def open_for(*, actor: User, attachment: Attachment, channel: str) -> IO[bytes]:
    """The attachment's file for `actor`, who must be allowed to see the request's person;
    the opening is written to the read log like any display of the person."""
    if not rules.may_open_attachments(actor, attachment.request):
        raise PermissionDenied
    try:
        handle = default_storage.open(attachment.storage_name, "rb")
    except (FileNotFoundError, OSError):
        logger.error("attachment %s has no file in storage", attachment.pk)
        raise Http404 from None
    PersonDataAccess.objects.create(request=attachment.request, user=actor, channel=channel)
    return handle


def file_response(attachment: Attachment, handle: IO[bytes]) -> FileResponse:
    """The file as a download under its own name: never shown inline, never sniffed into
    something else by the browser."""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
