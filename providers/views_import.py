"""Procurement's page for importing a framework agreement's units and prices from a file.

A dry run checks the file and, when it is clean, keeps it (server-side, for this session only)
so that "Import" imports exactly the file that was checked, without uploading it again.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from providers import importer, selectors
from providers.models import FrameworkAgreement
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.forms import model_choice_field
from spink.web import can

STASH_DIR = Path(tempfile.gettempdir()) / "spink-agreement-import"
STASH_MAX_AGE = 24 * 3600
SESSION_KEY = "agreement_import"


class ImportForm(forms.Form):
    agreement = forms.ModelChoiceField(
        label=gettext_lazy("Framework agreement"), queryset=FrameworkAgreement.objects.none()
    )
    file = forms.FileField(
        label=gettext_lazy("File (CSV or Excel .xlsx)"),
        help_text=gettext_lazy("One row per unit and service; the columns are listed below."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv", "aria-describedby": "id_file_helptext"}
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check every row without importing anything"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agreements = selectors.agreements().order_by("-valid_from", "name")
        model_choice_field(self, "agreement").queryset = agreements


def _require_manager(request: AuthenticatedHttpRequest) -> None:
    if not can(request, Capability.MANAGE_AGREEMENTS):
        raise PermissionDenied


def _stash(
    request: AuthenticatedHttpRequest, agreement: FrameworkAgreement, name: str, content: bytes
) -> str:
    STASH_DIR.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - STASH_MAX_AGE
    for old in STASH_DIR.glob("*.upload"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    _drop_stash(request)
    token = secrets.token_urlsafe(24)
    descriptor = os.open(STASH_DIR / f"{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    request.session[SESSION_KEY] = {
        "token": token,
        "agreement": agreement.pk,
        "name": name,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    return token


def _stashed(request: AuthenticatedHttpRequest, token: str) -> tuple[dict, bytes] | None:
    stash = request.session.get(SESSION_KEY)
    if not stash or not token or not secrets.compare_digest(stash["token"], token):
        return None
    try:
        content = (STASH_DIR / f"{stash['token']}.upload").read_bytes()
    except OSError:
        return None
    if hashlib.sha256(content).hexdigest() != stash["sha256"]:
        return None
    return stash, content


def _drop_stash(request: AuthenticatedHttpRequest) -> None:
    stash = request.session.pop(SESSION_KEY, None)
    if stash:
        (STASH_DIR / f"{stash['token']}.upload").unlink(missing_ok=True)


def _page(
    request: AuthenticatedHttpRequest, form: ImportForm, report=None, token: str = ""
) -> HttpResponse:
    return render(
        request,
        "providers/import/upload.html",
        {
            "form": form,
            "report": report,
            "confirm_token": token,
            "columns": importer.COLUMNS,
            "max_rows": importer.MAX_ROWS,
        },
    )


@login_required
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_manager(request)
    if request.method != "POST":
        return _page(request, ImportForm(initial={"agreement": request.GET.get("agreement")}))
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form)
    agreement = form.cleaned_data["agreement"]
    dry_run = form.cleaned_data["dry_run"]
    upload = form.cleaned_data["file"]
    report = importer.import_upload(agreement, upload, actor=request.user, dry_run=dry_run)
    token = ""
    if dry_run and report.ok:
        upload.seek(0)
        token = _stash(request, agreement, report.filename, upload.read())
    elif report.imported:
        messages.success(request, _imported_message(report))
    return _page(request, form, report, token)


@login_required
@require_POST
def confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Import the file whose dry run this session just saw, for real."""
    _require_manager(request)
    found = _stashed(request, request.POST.get("token", ""))
    if found is None:
        messages.error(request, _("The checked file is no longer kept. Upload it again."))
        return redirect("provider_import:upload")
    stash, content = found
    agreement = FrameworkAgreement.objects.filter(pk=stash["agreement"]).first()
    if agreement is None:
        _drop_stash(request)
        messages.error(request, _("The framework agreement no longer exists."))
        return redirect("provider_import:upload")
    report = importer.import_units(
        agreement, content, stash["name"], actor=request.user, dry_run=False
    )
    _drop_stash(request)
    if report.imported:
        messages.success(request, _imported_message(report))
    form = ImportForm(initial={"agreement": agreement.pk})
    return _page(request, form, report)


def _imported_message(report: importer.ImportReport) -> str:
    return _("Rows imported to %(reference)s: %(count)s.") % {
        "count": len(report.rows),
        "reference": report.agreement_reference,
    }
