"""Demo follow-up data, made through the real services: approved controls for the providers of
the demo register's direct-procurement units (as the publication rule requires), a rejected
control, feedback in several states and a monitoring signal. Idempotent."""

from __future__ import annotations

from django.db import transaction

from categories.models import OperatingForm
from followup import services
from followup.models import CheckResult, Control, Feedback, FeedbackCategory, Signal
from providers.models import Provider, PublicationStatus, Unit
from spink.accounts.models import Role, User


@transaction.atomic
def seed() -> int:
    """Return the number of controls created (0 when the demo follow-up data exists)."""
    team = User.objects.filter(role=Role.QUALITY_CONTROL, is_active=True).first()
    worker = User.objects.filter(role=Role.SOCIAL_WORKER, municipality__code="1480").first()
    if team is None or Control.objects.exists():
        return 0
    direct_providers = Provider.objects.filter(
        units__offerings__operating_form__code=OperatingForm.DIRECT,
        units__status__in=[PublicationStatus.PUBLISHED, PublicationStatus.PAUSED],
    ).distinct()
    created = 0
    for provider in direct_providers.order_by("pk"):
        control = services.start_control(actor=team, provider=provider, units=[])
        for check in control.checks.all():
            services.record_check(
                actor=team,
                control=control.pk,
                kind=check.kind,
                result=CheckResult.PASSED,
                note="Demodata: kontrollerad.",
            )
        services.approve_control(
            actor=team, control=control.pk, reason="Alla kontrollpunkter godkända."
        )
        created += 1
    # A provider with only draft units, so the rejection leaves nothing published unapproved.
    rejected = (
        Provider.objects.filter(units__status=PublicationStatus.DRAFT)
        .exclude(
            units__status__in=[s for s in PublicationStatus.values if s != PublicationStatus.DRAFT]
        )
        .order_by("pk")
        .first()
    )
    if rejected is not None:
        control = services.start_control(actor=team, provider=rejected)
        kinds = list(control.checks.values_list("kind", flat=True))
        for index, kind in enumerate(kinds):
            result = CheckResult.FAILED if index == 0 else CheckResult.PASSED
            services.record_check(
                actor=team,
                control=control.pk,
                kind=kind,
                result=result,
                note="Demodata: svag ekonomi." if index == 0 else "",
            )
        services.reject_control(
            actor=team, control=control.pk, reason="Svag ekonomi och betalningsanmärkningar."
        )
        created += 1
    units = list(Unit.objects.filter(status=PublicationStatus.PUBLISHED).order_by("pk")[:3])
    if worker is not None and units:
        for unit, category in zip(
            units,
            [FeedbackCategory.DOCUMENTATION, FeedbackCategory.DELIVERY, FeedbackCategory.STAFFING],
            strict=False,
        ):
            feedback = services.lodge_feedback(
                actor=worker,
                unit=unit,
                category=category,
                description="Demodata: genomförandeplanen saknades vid uppföljningen.",
            )
            if category != FeedbackCategory.STAFFING:
                services.communicate_feedback(actor=team, feedback=feedback.pk)
            if category == FeedbackCategory.DOCUMENTATION:
                services.close_feedback(
                    actor=team,
                    feedback=feedback.pk,
                    closing_category=Feedback.Closing.DOCUMENTED,
                    note="Utföraren har kompletterat.",
                )
        Signal.objects.get_or_create(
            dedup_key="demo:credit:1",
            defaults={
                "kind": Signal.Kind.CREDIT,
                "severity": "high",
                "provider": units[0].provider,
                "title": "Demodata: betalningsanmärkning registrerad",
                "details": "Kreditupplysningen visar en ny betalningsanmärkning.",
            },
        )
    return created
