"""Supplier follow-up rules, in one place: the workflows of controls, feedback, deep controls,
order-stop proposals, signals and site visits (declared in followup.workflows, asked through
this module), which checks a pre-admission control needs, the publication condition for
direct-procurement units, the feedback pattern rule, what an outcome and a site visit need,
and the tones of the follow-up pages' status badges.

The UI, the API and the services all ask these; a refusal is a RuleViolation whose message
is shown to the user as it is (or a ValidationError naming the field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm
from followup.models import CheckResult, Control, ControlCheck, DeepControl, Feedback, SiteVisit
from followup.workflows import CONTROL as CONTROL
from followup.workflows import DECISION_ACTIONS as DECISION_ACTIONS
from followup.workflows import DEEP_CONTROL as DEEP_CONTROL
from followup.workflows import FEEDBACK as FEEDBACK
from followup.workflows import ORDER_STOP_PROPOSAL as ORDER_STOP_PROPOSAL
from followup.workflows import OUTCOME_ACTIONS as OUTCOME_ACTIONS
from followup.workflows import PROVIDER_CONTROL as PROVIDER_CONTROL
from followup.workflows import SIGNAL as SIGNAL
from followup.workflows import SITE_VISIT as SITE_VISIT
from followup.workflows import is_quality_team, other_team_refusal
from followup.workflows import may_record_visit as may_record_visit
from followup.workflows import may_run_followup as may_run_followup
from providers import rules as register_rules
from providers.models import LegalForm, Unit, UnitService
from spink.accounts import access
from spink.accounts.models import User
from spink.errors import RuleViolation
from spink.web import Tone

# --- Pre-admission controls ------------------------------------------------------------------

K = ControlCheck.Kind
COMPANY_FORMS = frozenset({LegalForm.COMPANY, LegalForm.ECONOMIC_ASSOCIATION})
ASSOCIATION_FORMS = frozenset({LegalForm.NON_PROFIT_ASSOCIATION, LegalForm.FOUNDATION})
COMPANY_CHECKS = (K.CREDIT, K.EMPLOYER_REGISTRATION, K.F_TAX, K.LEGAL_DATABASE_COMPANY)
ASSOCIATION_CHECKS = (K.TAX_REGISTRATION, K.ENFORCEMENT_DEBTS, K.LEGAL_DATABASE_PEOPLE)
PERMIT_CHECKS = (K.IVO_PERMIT, K.SUPERVISION_REPORTS)
DECIDED_RESULTS = (CheckResult.PASSED, CheckResult.REMARK, CheckResult.FAILED)


# Results that count for a check's approval: a passed check, or one passed with a remark.
APPROVING_RESULTS = frozenset({CheckResult.PASSED, CheckResult.REMARK})


def check_permits_registered(units: Iterable[Unit], on: dt.date) -> None:
    """The control's IVO check reads the register: it passes only when every permit-requiring
    offering of the units has a valid permit registered (the unit's permit page)."""
    missing = register_rules.offerings_missing_permit(units, on)
    if missing:
        raise ValidationError(
            {
                "result": _(
                    "No valid IVO permit is registered for: %(offerings)s. Register the "
                    "permit on the unit's permit page first."
                )
                % {
                    "offerings": ", ".join(
                        f"{offering.unit.name} ({offering.service.name})" for offering in missing
                    )
                }
            },
            code="permit_missing",
        )


def needs_permit(units: Iterable[Unit]) -> bool:
    """Whether any of the units offers a permit-requiring service outside own operation."""
    return (
        UnitService.objects.filter(unit__in=list(units), service__requires_permit=True)
        .exclude(operating_form__code=OperatingForm.OWN)
        .exists()
    )


def checklist(legal_form: str, permit_needed: bool) -> list[str]:
    """The checks of a control: by legal form, plus the IVO checks for permit-requiring work.

    A legal form that is neither a company nor an association/foundation ("other") gets both
    lists: nothing is left out because the form is unusual.
    """
    if legal_form in COMPANY_FORMS:
        kinds = list(COMPANY_CHECKS)
    elif legal_form in ASSOCIATION_FORMS:
        kinds = list(ASSOCIATION_CHECKS)
    else:
        kinds = [*COMPANY_CHECKS, *ASSOCIATION_CHECKS]
    if permit_needed:
        kinds += PERMIT_CHECKS
    return [str(kind) for kind in kinds]


def check_result(result: str) -> None:
    if result not in DECIDED_RESULTS:
        raise ValidationError({"result": _("Choose passed, remark or failed.")})


def require_text(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def check_unit_publishable(unit: Unit, on: dt.date) -> None:
    """Registered in providers.rules.PUBLICATION_CHECKS (followup.apps).

    A unit that offers anything by direct procurement is published only when its provider's
    latest decided pre-admission control approved it. Framework providers are controlled by
    procurement before they enter the register, so units without a direct offering need none.
    """
    if not unit.offerings.filter(operating_form__code=OperatingForm.DIRECT).exists():
        return
    controls = Control.objects.filter(provider_id=unit.provider_id)
    latest = (
        controls.exclude(decision=Control.Decision.PENDING).order_by("-decided_at", "-pk").first()
    )
    if latest is not None and latest.decision == Control.Decision.APPROVED:
        return
    if latest is not None:
        assert latest.decided_at is not None  # a decided control
        raise RuleViolation(
            _(
                "The provider was not approved in Spink's pre-admission control "
                "(%(date)s), so its direct-procurement units cannot be published."
            )
            % {"date": latest.decided_at.date().isoformat()},
            "control_rejected",
        )
    if controls.filter(decision=Control.Decision.PENDING).exists():
        raise RuleViolation(
            _(
                "The provider's pre-admission control is not decided yet: a direct-procurement "
                "unit is published only after the control is approved."
            ),
            "control_pending",
        )
    raise RuleViolation(
        _(
            "A direct-procurement unit is published only when its provider has an approved "
            "pre-admission control. Start a control of the provider first."
        ),
        "control_missing",
    )


# --- Feedback (synpunkter) -------------------------------------------------------------------

PATTERN_MONTHS = 12


def check_closing_category(category: str) -> None:
    if category not in Feedback.Closing.values:
        raise ValidationError({"closing_category": _("Choose how the feedback was closed.")})


def pattern_threshold() -> int:
    return settings.FEEDBACK_PATTERN_THRESHOLD


def months_before(moment: dt.datetime, months: int = PATTERN_MONTHS) -> dt.datetime:
    """The same moment `months` months earlier (the last day of a shorter month if need be)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def is_pattern(count: int) -> bool:
    """Whether this many feedbacks in one category within 12 months propose a deep control."""
    return count >= pattern_threshold()


# --- Deep controls ---------------------------------------------------------------------------


def check_outcome(outcome: str) -> None:
    """An outcome is one of the outcomes (what each needs beyond that: its action in
    DEEP_CONTROL, and the register's own services when it is applied)."""
    if outcome not in DeepControl.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})


def check_site_visit(done: bool, date: dt.date | None) -> None:
    if done and date is None:
        raise ValidationError({"site_visit_date": _("Give the date of the site visit.")})


# --- Matching-focused site visits ------------------------------------------------------------


def check_may_plan_visit(user: User, team: str) -> None:
    """Placement officers plan visits for their own team; the quality team joins any team's."""
    if access.is_administrator(user) or is_quality_team(user):
        return
    if team != user.placement_team:
        raise other_team_refusal()


def check_offering(unit: Unit, service, operating_form) -> None:
    if not unit.offerings.filter(service=service, operating_form=operating_form).exists():
        raise ValidationError(
            {"service": _("The unit does not offer this service in this operating form.")}
        )


def check_visit_record(visited_on: dt.date | None, assessment: str, today: dt.date) -> None:
    errors = {}
    if visited_on is None:
        errors["visited_on"] = _("Give the date of the visit.")
    elif visited_on > today:
        errors["visited_on"] = _("A visit cannot be recorded before it has taken place.")
    if assessment not in SiteVisit.Assessment.values:
        errors["assessment"] = _("Give the overall assessment.")
    if errors:
        raise ValidationError(errors)


# --- Badge tones -----------------------------------------------------------------------------

CHECK_RESULT_TONES = {
    CheckResult.OPEN: Tone.NEUTRAL,
    CheckResult.PASSED: Tone.GOOD,
    CheckResult.REMARK: Tone.WARNING,
    CheckResult.FAILED: Tone.BAD,
}
CONTROL_DECISION_TONES = {
    Control.Decision.PENDING: Tone.ACTIVE,
    Control.Decision.APPROVED: Tone.GOOD,
    Control.Decision.REJECTED: Tone.BAD,
}
FEEDBACK_STATUS_TONES = {
    Feedback.Status.RECEIVED: Tone.ACTIVE,
    Feedback.Status.COMMUNICATED: Tone.WARNING,
    Feedback.Status.ANSWERED: Tone.WARNING,
    Feedback.Status.CLOSED: Tone.NEUTRAL,
}
OUTCOME_TONES = {
    DeepControl.Outcome.NO_ACTION: Tone.GOOD,
    DeepControl.Outcome.PAUSED: Tone.WARNING,
    DeepControl.Outcome.REMOVED: Tone.BAD,
    DeepControl.Outcome.RECOMMENDATION_STOP: Tone.STOP,
    DeepControl.Outcome.ORDER_STOP_PROPOSED: Tone.WARNING,
}
ORDER_STOP_DECISION_TONES = {
    DeepControl.OrderStopDecision.DECIDED: Tone.STOP,
    DeepControl.OrderStopDecision.DECLINED: Tone.NEUTRAL,
}
ASSESSMENT_TONES = {
    SiteVisit.Assessment.APPROPRIATE: Tone.GOOD,
    SiteVisit.Assessment.NOT_APPROPRIATE: Tone.BAD,
}


def _merged(*tables: dict) -> dict:
    """One lookup for the badge filter, which gets the stored value only: two statuses that
    store the same value must then have the same tone."""
    merged: dict = {}
    for table in tables:
        for member, tone in table.items():
            if merged.setdefault(member, tone) != tone:
                raise ValueError(f"{member!r} has two tones: {merged[member]} and {tone}")
    return merged


TONES: dict[str, Tone] = _merged(
    CHECK_RESULT_TONES,
    CONTROL_DECISION_TONES,
    FEEDBACK_STATUS_TONES,
    OUTCOME_TONES,
    ORDER_STOP_DECISION_TONES,
    ASSESSMENT_TONES,
)


def tone(value) -> Tone:
    """The badge tone of a stored status, decision, outcome or assessment."""
    return TONES.get(str(value), Tone.NEUTRAL)
