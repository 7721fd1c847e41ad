"""Supplier follow-up rules, in one place: which checks a pre-admission control needs and when
it may be decided, the publication condition for direct-procurement units, the feedback
workflow and its pattern rule, deep-control outcomes and who plans and records site visits.

The UI, the API and the services all ask these functions; a refusal is a RuleViolation whose
message is shown to the user as it is (or a ValidationError naming the field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm
from followup.models import (
    CheckResult,
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    SiteVisit,
)
from providers import rules as register_rules
from providers.models import LegalForm, Unit, UnitService
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User
from spink.errors import RuleViolation

# --- Pre-admission controls ------------------------------------------------------------------

K = ControlCheck.Kind
COMPANY_FORMS = frozenset({LegalForm.COMPANY, LegalForm.ECONOMIC_ASSOCIATION})
ASSOCIATION_FORMS = frozenset({LegalForm.NON_PROFIT_ASSOCIATION, LegalForm.FOUNDATION})
COMPANY_CHECKS = (K.CREDIT, K.EMPLOYER_REGISTRATION, K.F_TAX, K.LEGAL_DATABASE_COMPANY)
ASSOCIATION_CHECKS = (K.TAX_REGISTRATION, K.ENFORCEMENT_DEBTS, K.LEGAL_DATABASE_PEOPLE)
PERMIT_CHECKS = (K.IVO_PERMIT, K.SUPERVISION_REPORTS)
DECIDED_RESULTS = (CheckResult.PASSED, CheckResult.REMARK, CheckResult.FAILED)


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


def check_control_can_start(provider, has_pending: bool) -> None:
    if provider.legal_form == LegalForm.MUNICIPAL:
        raise RuleViolation(
            _("The municipality's own operation is not controlled before admission."),
            "own_operation",
        )
    if has_pending:
        raise RuleViolation(
            _("A control of this provider is already in progress: finish it first."),
            "control_in_progress",
        )


def check_control_pending(control: Control) -> None:
    if control.decision != Control.Decision.PENDING:
        raise RuleViolation(
            _("The control has already been decided (%(decision)s) and cannot be changed.")
            % {"decision": Control.Decision(control.decision).label.lower()},
            "control_decided",
        )


def check_result(result: str) -> None:
    if result not in DECIDED_RESULTS:
        raise ValidationError({"result": _("Choose passed, remark or failed.")})


def _labels(checks: Iterable[ControlCheck]) -> str:
    return ", ".join(str(ControlCheck.Kind(check.kind).label) for check in checks)


def check_approvable(control: Control, checks: list[ControlCheck]) -> None:
    """A control is approved only when every check is done and none failed."""
    check_control_pending(control)
    failed = [check for check in checks if check.result == CheckResult.FAILED]
    if failed:
        raise RuleViolation(
            _("The control cannot be approved: these checks failed: %(checks)s.")
            % {"checks": _labels(failed)},
            "failed_checks",
        )
    still_open = [check for check in checks if check.result == CheckResult.OPEN]
    if still_open:
        raise RuleViolation(
            _("The control cannot be approved while checks are still open: %(checks)s.")
            % {"checks": _labels(still_open)},
            "open_checks",
        )


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

F = Feedback.Status
FEEDBACK_TRANSITIONS: dict[str, frozenset[str]] = {
    F.RECEIVED: frozenset({F.COMMUNICATED}),
    F.COMMUNICATED: frozenset({F.ANSWERED, F.CLOSED}),
    F.ANSWERED: frozenset({F.CLOSED}),
    F.CLOSED: frozenset(),
}
FEEDBACK_REFUSALS = {
    F.COMMUNICATED: _(
        "Only received feedback can be marked as communicated to the provider; "
        "this feedback is “%(status)s”."
    ),
    F.ANSWERED: _(
        "The provider's answer can be recorded only after the feedback has been communicated "
        "to the provider, and only once; this feedback is “%(status)s”."
    ),
    F.CLOSED: _(
        "Feedback can be closed only after it has been communicated to the provider; "
        "this feedback is “%(status)s”."
    ),
}
PATTERN_MONTHS = 12


def feedback_actions(feedback: Feedback) -> frozenset[str]:
    """The statuses the feedback may move to next."""
    return FEEDBACK_TRANSITIONS[feedback.status]


def check_feedback_transition(feedback: Feedback, to_status: str) -> None:
    if to_status not in FEEDBACK_TRANSITIONS[feedback.status]:
        raise RuleViolation(
            FEEDBACK_REFUSALS[to_status] % {"status": F(feedback.status).label.lower()},
            "illegal_transition",
        )


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

O = DeepControl.Outcome  # noqa: E741 - the outcomes, as the workflow's other tables do


def check_deep_control_open(deep_control: DeepControl) -> None:
    if deep_control.outcome:
        raise RuleViolation(
            _("The deep control already has an outcome (%(outcome)s) and cannot be changed.")
            % {"outcome": O(deep_control.outcome).label.lower()},
            "deep_control_decided",
        )


def check_outcome(deep_control: DeepControl, outcome: str) -> None:
    """What the outcome needs beyond what the register's own services check when applied."""
    if outcome not in O.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if outcome == O.ORDER_STOP_PROPOSED:
        # Only framework units get an order stop: the register's own rule and message.
        register_rules.check_order_stop(deep_control.unit, True)


def check_site_visit(done: bool, date: dt.date | None) -> None:
    if done and date is None:
        raise ValidationError({"site_visit_date": _("Give the date of the site visit.")})


def check_proposal_open(deep_control: DeepControl) -> None:
    if deep_control.outcome != O.ORDER_STOP_PROPOSED:
        raise RuleViolation(
            _("This deep control has not proposed an order stop."), "no_order_stop_proposal"
        )
    if deep_control.order_stop_decision:
        raise RuleViolation(
            _("Procurement has already decided on this proposal (%(decision)s).")
            % {
                "decision": DeepControl.OrderStopDecision(
                    deep_control.order_stop_decision
                ).label.lower()
            },
            "proposal_decided",
        )


# --- Matching-focused site visits ------------------------------------------------------------


def is_quality_team(user: User) -> bool:
    """The quality & control team (not an administrator, who may do everything)."""
    return not access.is_administrator(user) and access.has_capability(
        user, Capability.RUN_FOLLOWUP
    )


def check_may_plan_visit(user: User, team: str) -> None:
    """Placement officers plan visits for their own team; the quality team joins any team's."""
    if access.is_administrator(user) or is_quality_team(user):
        return
    if team != user.placement_team:
        raise RuleViolation(
            _("Placement officers plan and record site visits for their own team only."),
            "other_team",
        )


def may_record_visit(user: User, visit) -> bool:
    if access.is_administrator(user):
        return True
    if is_quality_team(user):
        return visit.joint_with_quality_team
    return access.has_capability(user, Capability.PLAN_SITE_VISITS) and (
        visit.team == user.placement_team
    )


def check_may_record_visit(user: User, visit) -> None:
    if not may_record_visit(user, visit):
        if is_quality_team(user):
            raise RuleViolation(
                _("The quality team records only the visits it has joined."), "not_joined"
            )
        raise RuleViolation(
            _("Placement officers plan and record site visits for their own team only."),
            "other_team",
        )


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
