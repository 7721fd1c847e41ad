"""Helpers shared by the follow-up tests (controls, feedback, deep controls, site visits)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from followup import services
from followup.models import CheckResult, Control
from providers.models import LegalForm, PublicationStatus, Unit
from spink.accounts.models import Role
from tests.factories import ProviderFactory, UnitFactory, offering, user_with_role

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def quality(**kwargs):
    return user_with_role(Role.QUALITY_CONTROL, **kwargs)


def pdf_upload(name: str = "kreditupplysning.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def direct_unit(
    status: str = PublicationStatus.DRAFT,
    service_code: str = "socialt-boende",
    legal_form: str = LegalForm.COMPANY,
    **kwargs,
) -> Unit:
    """A unit offering a service by direct procurement (no permit needed by default)."""
    provider = kwargs.pop("provider", None) or ProviderFactory(legal_form=legal_form)
    unit = UnitFactory(provider=provider, status=status, **kwargs)
    offering(unit, service_code, "direct", price=1800)
    return unit


def framework_unit(status: str = PublicationStatus.DRAFT, **kwargs) -> Unit:
    unit = UnitFactory(status=status, **kwargs)
    offering(unit, "socialt-boende", "framework", price=1500)
    return unit


def completed_control(actor, provider, result: str = CheckResult.PASSED, units=None) -> Control:
    """A control with every check recorded (passed unless told otherwise), still pending."""
    control = services.start_control(actor=actor, provider=provider, units=units)
    for check in control.checks.all():
        services.record_check(
            actor=actor, control=control.pk, kind=check.kind, result=result, note="Kontrollerat"
        )
    return control


def approved_control(actor, provider, units=None) -> Control:
    control = completed_control(actor, provider, units=units)
    return services.approve_control(actor=actor, control=control.pk)


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
