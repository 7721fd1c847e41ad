"""Attachments of placement requests: type by content, size, storage under random names, the
authorised download and its read log, protected identity, removal on the timeline, the API."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from placements import attachments, services
from placements.models import Attachment, PersonDataAccess, TimelineEvent
from spink import uploads
from spink.accounts.models import PlacementTeam, Role
from spink.errors import RuleViolation
from tests.factories import (
    OrgUnitFactory,
    placement_officer,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db
K = TimelineEvent.Kind


# --- Real small files, built here --------------------------------------------------------------


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def docx_bytes(*, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p/></w:body></w:document>',
        )
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def placement(worker, officer):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    return request


def attach(actor, request, name="beslut.pdf", content=None, kind="decision"):
    return attachments.add_attachment(
        actor=actor, request=request, kind=kind, file=upload(name, content or pdf_bytes())
    )


def add_url(request):
    return reverse("placements:attachment-add", args=[request.pk])


def download_url(attachment):
    return reverse("placements:attachment-download", args=[attachment.request_id, attachment.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- What a file may be ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("beslut.pdf", pdf_bytes(), attachments.PDF),
        ("foto.PNG", png_bytes(), attachments.PNG),
        ("utredning.docx", docx_bytes(), attachments.DOCX),
        ("utdrag.odt", odt_bytes(), attachments.ODT),
    ],
)
def test_real_files_are_known_by_their_content(name, content, content_type):
    inspected = attachments.inspect(upload(name, content, "application/octet-stream"))
    assert inspected.content_type == content_type
    assert inspected.original_name == name


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("beslut.pdf", EXE, "file_content"),  # a program renamed
        ("program.exe", EXE, "file_type"),
        ("bild.png", pdf_bytes(), "file_content"),
        ("utredning.docx", odt_bytes(), "file_content"),
        ("utredning.docx", docx_bytes(macros=True), "macros"),
        ("trasig.docx", b"PK\x03\x04" + b"\x00" * 40, "damaged"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(name, content, code):
    with pytest.raises(Exception) as refused:
        attachments.inspect(upload(name, content))
    errors = refused.value.error_dict["file"]
    assert [error.code for error in errors] == [code]


def test_a_file_above_the_limit_is_refused_as_the_upload_handler_leaves_it():
    too_big = uploads.OversizedUpload(
        "stor.pdf", "application/pdf", uploads.MAX_UPLOAD_BYTES + 1, None
    )
    with pytest.raises(Exception) as refused:
        attachments.inspect(too_big)
    assert refused.value.error_dict["file"][0].code == "file_too_large"


def test_the_users_file_name_is_a_label_only():
    assert attachments.clean_name("C:\\Users\\x\\..\\beslut\x00.pdf") == "beslut.pdf"
    assert attachments.clean_name("../../etc/passwd") == "passwd"
    long = "a" * 300 + ".pdf"
    assert len(attachments.clean_name(long)) == 255 and attachments.clean_name(long).endswith(
        ".pdf"
    )


# --- Storing ----------------------------------------------------------------------------------


def test_an_attachment_is_stored_under_a_random_name_and_put_on_the_timeline(worker, placement):
    attachment = attach(worker, placement, name="Beslut Alva.pdf")
    assert attachment.original_name == "Beslut Alva.pdf"
    assert "Alva" not in attachment.storage_name and not attachment.storage_name.endswith(".pdf")
    assert attachment.content_type == attachments.PDF and attachment.size == len(pdf_bytes())
    with default_storage.open(attachment.storage_name) as stored:
        assert stored.read() == pdf_bytes()
    event = placement.timeline.get(kind=K.ATTACHMENT_ADDED)
    assert event.actor == worker and event.data["attachment"] == attachment.pk


def test_the_assigned_officer_attaches_but_nobody_outside_the_request_does(
    worker, officer, placement
):
    assert attach(officer, placement).uploaded_by == officer
    colleague = social_worker(OrgUnitFactory(administration=worker.administration))
    team_officer = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    for outsider in (colleague, team_officer, user_with_role(Role.MANAGER, worker.municipality)):
        with pytest.raises(RuleViolation):
            attach(outsider, placement)
    assert placement.attachments.count() == 1


def test_a_closed_request_takes_no_attachment_and_nothing_is_left_in_storage(
    worker, placement, media
):
    services.withdraw(actor=worker, request=placement.pk, reason="Ändrade planer")
    with pytest.raises(RuleViolation):
        attach(worker, placement)
    assert not (media / "attachments").exists() or not any((media / "attachments").iterdir())


# --- The page ---------------------------------------------------------------------------------


def test_the_request_page_lists_attachments_with_the_upload_form_and_the_print_link(
    client, worker, placement
):
    attach(worker, placement, name="beslut-2026.pdf")
    client.force_login(worker)
    text = client.get(reverse("placements:request-detail", args=[placement.pk])).content.decode()
    assert 'id="attachments-heading"' in text
    assert "beslut-2026.pdf" in text
    assert 'enctype="multipart/form-data"' in text
    assert reverse("placements:request-print", args=[placement.pk]) in text


def test_uploading_on_the_page_stores_the_file_and_goes_back_to_the_section(
    client, worker, placement
):
    client.force_login(worker)
    response = client.post(
        add_url(placement),
        {
            "attachment-kind": "investigation",
            "attachment-file": upload("utredning.docx", docx_bytes()),
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    attachment = placement.attachments.get()
    assert attachment.kind == "investigation" and attachment.content_type == attachments.DOCX


def test_a_renamed_program_is_refused_next_to_the_field_with_a_focused_summary(
    client, worker, placement
):
    client.force_login(worker)
    response = client.post(
        add_url(placement),
        {"attachment-kind": "decision", "attachment-file": upload("beslut.pdf", EXE)},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in text
    assert 'id="id_attachment-file_error"' in text
    assert 'href="#id_attachment-file"' in text
    assert not placement.attachments.exists()


def test_a_file_too_big_is_refused_on_the_page(client, worker, placement, settings):
    client.force_login(worker)
    big = upload("stor.pdf", b"%PDF-1.4\n" + b"0" * (uploads.MAX_UPLOAD_BYTES + 10))
    response = client.post(
        add_url(placement), {"attachment-kind": "decision", "attachment-file": big}
    )
    assert response.status_code == 400
    assert 'id="id_attachment-file_error"' in response.content.decode()
    assert not placement.attachments.exists()


def test_someone_who_may_not_attach_is_shown_no_form_and_refused(client, worker, placement):
    team_officer = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    client.force_login(team_officer)
    text = client.get(reverse("placements:request-detail", args=[placement.pk])).content.decode()
    assert 'id="attachments-heading"' in text and "attachment-file" not in text
    response = client.post(
        add_url(placement),
        {"attachment-kind": "decision", "attachment-file": upload("b.pdf", pdf_bytes())},
    )
    assert response.status_code == 403


# --- Download ---------------------------------------------------------------------------------


def test_the_owner_and_the_officer_download_and_each_download_is_logged(
    client, worker, officer, placement
):
    attachment = attach(worker, placement, name="Beslut – Alva.pdf")
    for user in (worker, officer):
        client.force_login(user)
        before = PersonDataAccess.objects.filter(user=user, channel="download").count()
        response = client.get(download_url(attachment))
        assert response.status_code == 200
        assert body(response) == pdf_bytes()
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''Beslut%20%E2%80%93%20Alva.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert PersonDataAccess.objects.filter(user=user, channel="download").count() == before + 1


def test_another_administration_or_municipality_gets_404(client, worker, placement):
    attachment = attach(worker, placement)
    elsewhere_worker = social_worker()  # another administration and municipality
    elsewhere_officer = placement_officer(elsewhere_worker.municipality)
    for user in (elsewhere_worker, elsewhere_officer):
        client.force_login(user)
        assert client.get(download_url(attachment)).status_code == 404
    assert not PersonDataAccess.objects.filter(channel="download").exists()


def test_the_files_are_never_served_from_media_url(client, worker, placement):
    attachment = attach(worker, placement)
    client.force_login(worker)
    assert client.get(f"/media/{attachment.storage_name}").status_code == 404


def test_a_protected_identity_is_downloaded_only_by_its_social_worker_and_officer(
    client, worker, officer
):
    placement = submitted_request(worker, protected_identity=True, person_first_name="Zelmira")
    services.take(actor=officer, request=placement.pk)
    attachment = attach(worker, placement, name="Zelmira beslut.pdf")
    colleague = social_worker(worker.org_unit)  # same unit: sees ordinary persons, not her
    admin = user_with_role(Role.ADMINISTRATOR)
    for user in (colleague, admin):
        client.force_login(user)
        assert client.get(download_url(attachment)).status_code == 403
        page = client.get(reverse("placements:request-detail", args=[placement.pk]))
        assert "Zelmira" not in page.content.decode()
        printed = client.get(reverse("placements:request-print", args=[placement.pk]))
        assert "Zelmira" not in printed.content.decode()
    for user in (worker, officer):
        client.force_login(user)
        assert client.get(download_url(attachment)).status_code == 200
    assert set(
        PersonDataAccess.objects.filter(channel="download").values_list("user_id", flat=True)
    ) == {worker.pk, officer.pk}


# --- Removal ----------------------------------------------------------------------------------


def test_the_uploader_removes_an_attachment_on_the_timeline_and_the_file_goes_on_commit(
    client, worker, officer, placement, django_capture_on_commit_callbacks
):
    attachment = attach(worker, placement)
    name = attachment.storage_name
    url = reverse("placements:attachment-remove", args=[placement.pk, attachment.pk])
    client.force_login(officer)  # not the uploader
    assert client.post(url).status_code == 403
    client.force_login(worker)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post(url).status_code == 302
    assert default_storage.exists(name)  # still there until the removal is committed
    for callback in callbacks:
        callback()
    assert not default_storage.exists(name)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    removed = placement.timeline.get(kind=K.ATTACHMENT_REMOVED)
    assert removed.actor == worker and removed.text == "beslut.pdf"


def test_nothing_is_removed_from_a_closed_request(worker, placement):
    attachment = attach(worker, placement)
    services.withdraw(actor=worker, request=placement.pk, reason="Ändrade planer")
    with pytest.raises(RuleViolation):
        attachments.remove_attachment(actor=worker, attachment=attachment)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


# --- API --------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_url(request, attachment=None) -> str:
    base = f"/api/v1/placement-requests/{request.pk}/attachments/"
    return base if attachment is None else f"{base}{attachment.pk}/"


def test_the_api_uploads_lists_and_downloads(worker, officer, placement):
    response = api(worker).post(
        api_url(placement),
        {"kind": "decision", "file": upload("beslut.pdf", pdf_bytes())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["original_name"] == "beslut.pdf" and created["content_type"] == "application/pdf"
    listed = api(officer).get(api_url(placement)).json()
    assert [item["id"] for item in listed] == [created["id"]]
    attachment = Attachment.objects.get(pk=created["id"])
    assert listed[0]["download_url"] == api_url(placement, attachment)
    downloaded = api(officer).get(api_url(placement, attachment))
    assert downloaded.status_code == 200 and body(downloaded) == pdf_bytes()
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    assert PersonDataAccess.objects.filter(user=officer, channel="api-download").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "decision", "file": ("beslut.pdf", EXE)}, "file"),
        ({"kind": "decision", "file": ("tom.pdf", b"")}, "file"),
        ({"kind": "decision"}, "file"),
        ({"kind": "recept", "file": ("beslut.pdf", pdf_bytes())}, "kind"),
        ({"kind": "decision", "file": "not a file"}, "file"),
    ],
)
def test_the_api_answers_bad_input_with_field_errors(worker, placement, data, field):
    payload = {
        key: upload(*value) if isinstance(value, tuple) else value for key, value in data.items()
    }
    response = api(worker).post(api_url(placement), payload, format="multipart")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not placement.attachments.exists()


def test_the_api_hides_names_and_files_from_those_who_may_not_see_the_person(worker, officer):
    placement = submitted_request(worker, protected_identity=True)
    services.take(actor=officer, request=placement.pk)
    attachment = attach(worker, placement, name="hemligt.pdf")
    admin = user_with_role(Role.ADMINISTRATOR)
    listed = api(admin).get(api_url(placement)).json()
    assert listed[0]["original_name"] is None and listed[0]["download_url"] is None
    assert api(admin).get(api_url(placement, attachment)).status_code == 403
    elsewhere = social_worker()
    assert api(elsewhere).get(api_url(placement)).status_code == 404
    assert api(elsewhere).get(api_url(placement, attachment)).status_code == 404
    assert api(worker).get(f"{api_url(placement)}99999999999999999999/").status_code == 404


def test_the_api_refuses_an_upload_by_someone_not_working_on_the_request(worker, placement):
    manager = user_with_role(Role.MANAGER, worker.municipality)
    response = api(manager).post(
        api_url(placement),
        {"kind": "decision", "file": upload("b.pdf", pdf_bytes())},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["code"] == "not_allowed"


def test_the_api_removes_the_uploaders_attachment(worker, officer, placement):
    attachment = attach(worker, placement)
    assert api(officer).delete(api_url(placement, attachment)).status_code == 400
    assert api(worker).delete(api_url(placement, attachment)).status_code == 204
    assert not placement.attachments.exists()
    assert placement.timeline.filter(kind=K.ATTACHMENT_REMOVED).count() == 1


# --- Never in e-mails or exports ----------------------------------------------------------------


def test_attachments_are_in_no_export(client, worker, placement):
    attach(worker, placement, name="exportbeslut.pdf")
    client.force_login(worker)
    response = client.get(reverse("placements:request-list-export"))
    assert b"exportbeslut" not in b"".join(response.streaming_content)
