"""Writes for supplier follow-up. Each function checks the actor's capability, asks the
step's workflow (followup.rules) under a row lock, and records who made the change in the
model's history. Parameters are keyword-only, the actor first; records are given as model
instances or their ids.

The register is changed only through providers.services (status, recommendation stop, order
stop), so its own rules and audit log apply to every outcome decided here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from categories.models import OperatingForm, Service
from followup import rules, selectors
from followup.models import (
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    QuestionTemplate,
    Severity,
    Signal,
    SiteVisit,
)
from followup.monitoring import services as monitoring_services
from placements.models import PlacementRequest
from providers import services as register
from providers.models import Provider, PublicationStatus, Unit
from providers.rules import UNIT_WORKFLOW
from providers.services import require, save_with_history
from spink import concurrency
from spink.accounts.access import Capability
from spink.accounts.models import User

logger = logging.getLogger(__name__)

FOLLOWUP = Capability.RUN_FOLLOWUP

# The fields people edit, per record: the version a form carries (spink.concurrency) and the
# service's check under its lock use these lists. Workflow steps whose state is a status or
# a decision carry that value instead (`from_status`, `from_decision`).
CHECK_FIELDS = ("result", "note", "evidence")
DEEP_CONTROL_DETAIL_FIELDS = (
    "reason_details",
    "checks_done",
    "site_visit_done",
    "site_visit_date",
    "site_visit_notes",
)
# An outcome is decided over the details as the decider saw them, and only once.
DEEP_CONTROL_DECISION_FIELDS = (*DEEP_CONTROL_DETAIL_FIELDS, "outcome")
PROPOSAL_FIELDS = ("outcome", "order_stop_decision")
SITE_VISIT_RECORD_FIELDS = ("visited_on", "answers", "assessment", "register_changes")
QUESTION_TEMPLATE_FIELDS = ("questions",)


def _pk(record: Model | int) -> int:
    """A record's id, given the record or its id."""
    return record.pk if isinstance(record, Model) else record


def _stored_language():
    """Texts Spink writes into records (signal titles, register reasons) are in the team's
    language, whatever language the person who triggered them reads."""
    return translation.override(settings.LANGUAGE_CODE)


# --- Pre-admission controls ------------------------------------------------------------------


@transaction.atomic
def start_control(
    *, actor: User, provider: Provider | int, units: Iterable[Unit] | None = None
) -> Control:
    """Start a control of a provider and (by default all) its units, with the checklist its
    legal form and permit need call for. Draft or removed units move to "under control"."""
    require(actor, FOLLOWUP)
    provider = Provider.objects.select_for_update().get(pk=_pk(provider))
    rules.PROVIDER_CONTROL.check("start", provider, actor)
    units = list(provider.units.all() if units is None else units)
    strangers = [unit.name for unit in units if unit.provider_id != provider.pk]
    if strangers:
        raise ValidationError(
            {"units": _("Not units of this provider: %(units)s.") % {"units": ", ".join(strangers)}}
        )
    control = save_with_history(Control(provider=provider, created_by=actor), actor)
    control.units.set(units)
    for kind in rules.checklist(provider.legal_form, rules.needs_permit(units)):
        save_with_history(ControlCheck(control=control, kind=kind), actor)
    with _stored_language():
        reason = _("Pre-admission control started.")
    for unit in units:
        if UNIT_WORKFLOW.allows_state("send_to_control", unit):
            register.change_status(
                actor=actor,
                unit=unit.pk,
                to_status=PublicationStatus.UNDER_CONTROL,
                reason=reason,
                source=f"control {control.pk}",
            )
    logger.info("control %s started for provider %s by user %s", control.pk, provider.pk, actor.pk)
    return control


def _locked_control(control_id: int) -> Control:
    return Control.objects.select_for_update().get(pk=control_id)


@transaction.atomic
def record_check(
    *,
    actor: User,
    control: Control | int,
    kind: str,
    result: str,
    note: str = "",
    evidence=None,
    seen: str | None = None,
) -> ControlCheck:
    """Record one check's result, note and (optional) evidence file, with who and when.
    `seen` is the version of the check the recorder saw (a form's token or an If-Match
    value): recording over someone else's later result is refused (concurrency.StaleEdit)."""
    require(actor, FOLLOWUP)
    control = _locked_control(_pk(control))
    rules.CONTROL.check("record_check", control, actor)
    rules.check_result(result)
    try:
        check = control.checks.select_for_update().get(kind=kind)
    except ControlCheck.DoesNotExist:
        raise ValidationError(
            {"kind": _("The control has no such check.")}, code="unknown_check"
        ) from None
    concurrency.check(check, CHECK_FIELDS, seen=seen)
    if kind == ControlCheck.Kind.IVO_PERMIT and result in rules.APPROVING_RESULTS:
        rules.check_permits_registered(control.units.all(), timezone.localdate())
    check.result = result
    check.note = (note or "").strip()
    if evidence:
        check.evidence = evidence
    check.checked_by = actor
    check.checked_at = timezone.now()
    return save_with_history(check, actor)


@transaction.atomic
def approve_control(
    *, actor: User, control: Control | int, reason: str = "", from_decision: str | None = None
) -> Control:
    """Approved: every check is done and none failed (rules.CONTROL, "approve")."""
    require(actor, FOLLOWUP)
    control = _locked_control(_pk(control))
    concurrency.check_state(control, "decision", seen=from_decision)
    rules.CONTROL.check("approve", control, actor)
    return _decide_control(actor, control, Control.Decision.APPROVED, (reason or "").strip())


@transaction.atomic
def reject_control(
    *, actor: User, control: Control | int, reason: str, from_decision: str | None = None
) -> Control:
    """Not approved: the provider's direct-procurement units stay unpublished."""
    require(actor, FOLLOWUP)
    control = _locked_control(_pk(control))
    concurrency.check_state(control, "decision", seen=from_decision)
    rules.CONTROL.check("reject", control, actor)
    reason = rules.require_text(
        reason, "reason", _("Give the reason why the provider is not approved.")
    )
    return _decide_control(actor, control, Control.Decision.REJECTED, reason)


def decide_control(
    *,
    actor: User,
    control: Control | int,
    decision: str,
    reason: str = "",
    from_decision: str | None = None,
) -> Control:
    """Approve or reject. `from_decision` is the decision the person's page showed
    (pending): a control someone else decided meanwhile is refused (concurrency.StaleState);
    None claims nothing."""
    decide = {"approve": approve_control, "reject": reject_control}
    action = rules.DECISION_ACTIONS.get(decision)
    if action is None:
        raise ValidationError({"decision": _("Choose approve or not approve.")})
    return decide[action](actor=actor, control=control, reason=reason, from_decision=from_decision)


def _decide_control(actor: User, control: Control, decision: str, reason: str) -> Control:
    control.decision = decision
    control.decision_reason = reason
    control.decided_by = actor
    control.decided_at = timezone.now()
    save_with_history(control, actor, reason)
    logger.info("control %s decided %s by user %s", control.pk, decision, actor.pk)
    return control


# --- Feedback --------------------------------------------------------------------------------


@transaction.atomic
def lodge_feedback(
    *,
    actor: User,
    unit: Unit,
    category: str,
    description: str,
    placement_request: PlacementRequest | None = None,
) -> Feedback:
    """Anyone placing lodges feedback on a unit they can see, optionally tied to a request
    they work on. A repeated pattern about the provider raises a signal."""
    require(actor, Capability.LODGE_FEEDBACK)
    if not selectors.units_for_feedback(actor).filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("Choose a unit from the register.")})
    if (
        placement_request is not None
        and not selectors.lodgeable_requests(actor).filter(pk=placement_request.pk).exists()
    ):
        raise ValidationError(
            {"placement_request": _("Choose one of the placement requests you work on.")}
        )
    feedback = Feedback(
        unit=unit,
        category=category,
        description=(description or "").strip(),
        placement_request=placement_request,
        lodged_by=actor,
    )
    save_with_history(feedback, actor)
    logger.info("feedback %s lodged on unit %s by user %s", feedback.pk, unit.pk, actor.pk)
    detect_feedback_pattern(feedback=feedback)
    return feedback


def detect_feedback_pattern(*, feedback: Feedback, now: dt.datetime | None = None) -> Signal | None:
    """FEEDBACK_PATTERN_THRESHOLD feedbacks in one category about one provider within 12
    months raise one high-severity signal proposing a deep control.

    The signal's key is the provider, the category and the first feedback of the window, so
    running this again (or for a later feedback of the same cluster) never makes a second one.
    """
    now = now or feedback.created_at or timezone.now()
    provider = feedback.unit.provider
    since = rules.months_before(now)
    cluster = selectors.pattern_feedback(provider.pk, feedback.category, since, now)
    if not rules.is_pattern(len(cluster)):
        return None
    window_start = timezone.localtime(cluster[0].created_at).date()
    key = f"feedback-pattern:{provider.pk}:{feedback.category}:{window_start.isoformat()}"
    existing = Signal.objects.filter(dedup_key=key).first()
    if existing is not None:
        return existing
    with _stored_language():
        category = Feedback._meta.get_field("category")
        label = str(dict(category.flatchoices)[feedback.category]).lower()
        title = _(
            "%(count)s feedbacks about %(provider)s in the category “%(category)s” within "
            "12 months: a deep control is proposed"
        ) % {"count": len(cluster), "provider": provider.legal_name, "category": label}
        details = "\n".join(
            _("Feedback %(id)s, %(date)s, %(unit)s")
            % {
                "id": item.pk,
                "date": timezone.localtime(item.created_at).date().isoformat(),
                "unit": item.unit.name,
            }
            for item in cluster
        )
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                kind=Signal.Kind.FEEDBACK_PATTERN,
                severity=Severity.HIGH,
                provider=provider,
                unit=feedback.unit,
                title=title[:300],
                details=details,
                dedup_key=key,
            )
    except IntegrityError:  # a concurrent lodging made it first
        return Signal.objects.get(dedup_key=key)
    logger.info("signal %s: feedback pattern for provider %s", signal.pk, provider.pk)
    return signal


def _locked_feedback(feedback_id: int) -> Feedback:
    return Feedback.objects.select_for_update().get(pk=feedback_id)


@transaction.atomic
def communicate_feedback(
    *, actor: User, feedback: Feedback | int, from_status: str | None = None
) -> Feedback:
    """The team has passed the feedback on to the provider.

    Each step takes `from_status`, the status the person's page showed: a step over a
    status someone else moved the feedback to meanwhile is refused (concurrency.StaleState);
    None claims nothing."""
    require(actor, FOLLOWUP)
    feedback = _locked_feedback(_pk(feedback))
    concurrency.check_state(feedback, "status", seen=from_status)
    rules.FEEDBACK.check("communicate", feedback, actor)
    feedback.status = Feedback.Status.COMMUNICATED
    feedback.communicated_at = timezone.now()
    return save_with_history(feedback, actor)


@transaction.atomic
def record_provider_answer(
    *, actor: User, feedback: Feedback | int, answer: str, from_status: str | None = None
) -> Feedback:
    require(actor, FOLLOWUP)
    feedback = _locked_feedback(_pk(feedback))
    concurrency.check_state(feedback, "status", seen=from_status)
    rules.FEEDBACK.check("answer", feedback, actor)
    feedback.provider_answer = rules.require_text(
        answer, "provider_answer", _("Write down the provider's answer.")
    )
    feedback.status = Feedback.Status.ANSWERED
    return save_with_history(feedback, actor)


@transaction.atomic
def close_feedback(
    *,
    actor: User,
    feedback: Feedback | int,
    closing_category: str,
    note: str = "",
    from_status: str | None = None,
) -> Feedback:
    require(actor, FOLLOWUP)
    feedback = _locked_feedback(_pk(feedback))
    concurrency.check_state(feedback, "status", seen=from_status)
    rules.FEEDBACK.check("close", feedback, actor)
    rules.check_closing_category(closing_category)
    feedback.closing_category = closing_category
    feedback.closing_note = (note or "").strip()
    feedback.status = Feedback.Status.CLOSED
    feedback.closed_at = timezone.now()
    return save_with_history(feedback, actor)


# --- Deep controls ---------------------------------------------------------------------------


@transaction.atomic
def start_deep_control(
    *,
    actor: User,
    unit: Unit | None = None,
    reason: str = "",
    reason_details: str = "",
    signal: Signal | None = None,
    feedback: Feedback | None = None,
    checks_done: str = "",
    site_visit_done: bool = False,
    site_visit_date: dt.date | None = None,
    site_visit_notes: str = "",
) -> DeepControl:
    """Start a deep control of a unit: from a signal, from a feedback, or on its own."""
    require(actor, FOLLOWUP)
    if unit is None:
        unit = (signal.unit if signal else None) or (feedback.unit if feedback else None)
    if unit is None:
        raise ValidationError({"unit": _("Choose the unit to control.")})
    if signal is not None and signal.provider_id and unit.provider_id != signal.provider_id:
        raise ValidationError({"unit": _("Choose a unit of the provider the signal is about.")})
    if feedback is not None and unit.provider_id != feedback.unit.provider_id:
        raise ValidationError({"unit": _("Choose a unit of the provider the feedback is about.")})
    if not reason:
        reason = (
            DeepControl.Reason.SIGNAL if signal else DeepControl.Reason.FEEDBACK if feedback else ""
        )
    rules.check_site_visit(site_visit_done, site_visit_date)
    deep_control = DeepControl(
        unit=unit,
        reason=reason,
        reason_details=(reason_details or "").strip(),
        signal=signal,
        feedback=feedback,
        checks_done=(checks_done or "").strip(),
        site_visit_done=site_visit_done,
        site_visit_date=site_visit_date if site_visit_done else None,
        site_visit_notes=(site_visit_notes or "").strip() if site_visit_done else "",
        created_by=actor,
    )
    save_with_history(deep_control, actor)
    if signal is not None and rules.SIGNAL.allows("take", signal, actor):
        # The signal is now being handled (in this deep control), by whoever started it.
        monitoring_services.take_signal(actor=actor, signal=signal.pk)
    logger.info("deep control %s started on unit %s by user %s", deep_control.pk, unit.pk, actor.pk)
    return deep_control


def _locked_deep_control(deep_control_id: int) -> DeepControl:
    return DeepControl.objects.select_for_update().select_related("unit").get(pk=deep_control_id)


@transaction.atomic
def update_deep_control(
    *,
    actor: User,
    deep_control: DeepControl | int,
    reason_details: str,
    checks_done: str,
    site_visit_done: bool,
    site_visit_date: dt.date | None,
    site_visit_notes: str,
    seen: str | None = None,
) -> DeepControl:
    """The checks done and the event-driven site visit, while the control is open. `seen`
    is the version the editor saw: a save over someone else's later change is refused."""
    require(actor, FOLLOWUP)
    deep_control = _locked_deep_control(_pk(deep_control))
    rules.DEEP_CONTROL.check("update", deep_control, actor)
    concurrency.check(deep_control, DEEP_CONTROL_DETAIL_FIELDS, seen=seen)
    rules.check_site_visit(site_visit_done, site_visit_date)
    deep_control.reason_details = (reason_details or "").strip()
    deep_control.checks_done = (checks_done or "").strip()
    deep_control.site_visit_done = site_visit_done
    deep_control.site_visit_date = site_visit_date if site_visit_done else None
    deep_control.site_visit_notes = (site_visit_notes or "").strip() if site_visit_done else ""
    return save_with_history(deep_control, actor)


@transaction.atomic
def decide_deep_control(
    *,
    actor: User,
    deep_control: DeepControl | int,
    outcome: str,
    reason: str,
    seen: str | None = None,
) -> DeepControl:
    """Decide the outcome, applying it to the register through providers.services (whose
    rules may refuse it, e.g. a recommendation stop on a framework unit: nothing changes).
    `seen` is the version of the deep control the decider saw (its details and outcome): a
    control decided or changed by someone else meanwhile is refused."""
    require(actor, FOLLOWUP)
    deep_control = _locked_deep_control(_pk(deep_control))
    concurrency.check(deep_control, DEEP_CONTROL_DECISION_FIELDS, seen=seen)
    rules.DEEP_CONTROL.check("decide", deep_control, actor)
    reason = rules.require_text(reason, "reason", _("Give a reason for the outcome."))
    rules.check_outcome(outcome)
    # What the outcome itself needs (an order stop: a framework unit).
    rules.DEEP_CONTROL.check(rules.OUTCOME_ACTIONS[outcome], deep_control, actor)
    unit_id = deep_control.unit_id
    source = f"deep control {deep_control.pk}"
    O = DeepControl.Outcome  # noqa: E741
    if outcome == O.PAUSED:
        register.change_status(
            actor=actor,
            unit=unit_id,
            to_status=PublicationStatus.PAUSED,
            reason=reason,
            source=source,
        )
    elif outcome == O.REMOVED:
        register.change_status(
            actor=actor,
            unit=unit_id,
            to_status=PublicationStatus.REMOVED,
            reason=reason,
            source=source,
        )
    elif outcome == O.RECOMMENDATION_STOP:
        register.set_recommendation_stop(
            actor=actor, unit=unit_id, stop=True, reason=reason, source=source
        )
    deep_control.outcome = outcome
    deep_control.outcome_reason = reason
    deep_control.decided_by = actor
    deep_control.decided_at = timezone.now()
    save_with_history(deep_control, actor, reason)
    logger.info("deep control %s decided %s by user %s", deep_control.pk, outcome, actor.pk)
    return deep_control


@transaction.atomic
def decide_order_stop_proposal(
    *,
    actor: User,
    deep_control: DeepControl | int,
    decide: bool,
    reason: str,
    seen: str | None = None,
) -> DeepControl:
    """Procurement decides the proposed order stop (through the register) or declines it.
    `seen`: the version of the proposal the page showed (decided meanwhile: refused)."""
    require(actor, Capability.DECIDE_ORDER_STOP)
    deep_control = _locked_deep_control(_pk(deep_control))
    concurrency.check(deep_control, PROPOSAL_FIELDS, seen=seen)
    rules.ORDER_STOP_PROPOSAL.check(
        "decide_order_stop" if decide else "decline_order_stop", deep_control, actor
    )
    reason = rules.require_text(reason, "reason", _("Give a reason for the decision."))
    if decide:
        register.set_order_stop(actor=actor, unit=deep_control.unit_id, stop=True, reason=reason)
    deep_control.order_stop_decision = (
        DeepControl.OrderStopDecision.DECIDED if decide else DeepControl.OrderStopDecision.DECLINED
    )
    deep_control.order_stop_reason = reason
    deep_control.order_stop_decided_by = actor
    deep_control.order_stop_decided_at = timezone.now()
    save_with_history(deep_control, actor, reason)
    logger.info(
        "order-stop proposal %s %s by user %s",
        deep_control.pk,
        deep_control.order_stop_decision,
        actor.pk,
    )
    return deep_control


# --- Matching-focused site visits ------------------------------------------------------------


def plan_site_visit(
    *,
    actor: User,
    unit: Unit,
    service: Service,
    operating_form: OperatingForm,
    team: str,
    planned_for: dt.date,
    joint_with_quality_team: bool = False,
) -> SiteVisit:
    """Placement officers plan visits for their team; a visit the quality team plans is joint."""
    require(actor, Capability.PLAN_SITE_VISITS)
    rules.check_may_plan_visit(actor, team)
    rules.check_offering(unit, service, operating_form)
    if rules.is_quality_team(actor):
        joint_with_quality_team = True
    visit = SiteVisit(
        unit=unit,
        service=service,
        operating_form=operating_form,
        team=team,
        planned_for=planned_for,
        joint_with_quality_team=joint_with_quality_team,
        created_by=actor,
    )
    return save_with_history(visit, actor)


@transaction.atomic
def record_site_visit(
    *,
    actor: User,
    visit: SiteVisit | int,
    visited_on: dt.date | None,
    answers: list[dict],
    assessment: str,
    register_changes: str = "",
    seen: str | None = None,
) -> SiteVisit:
    """The visit's answers per question, overall assessment and follow-up register changes.
    `seen`: the version of the record the recorder saw (changed meanwhile: refused)."""
    require(actor, Capability.PLAN_SITE_VISITS)
    visit = SiteVisit.objects.select_for_update().get(pk=_pk(visit))
    rules.SITE_VISIT.check("record", visit, actor)
    concurrency.check(visit, SITE_VISIT_RECORD_FIELDS, seen=seen)
    rules.check_visit_record(visited_on, assessment, timezone.localdate())
    visit.visited_on = visited_on
    visit.answers = [
        {"question": str(entry.get("question", "")).strip(), "answer": str(entry.get("answer", ""))}
        for entry in answers
        if str(entry.get("question", "")).strip()
    ]
    visit.assessment = assessment
    visit.register_changes = (register_changes or "").strip()
    return save_with_history(visit, actor)


@transaction.atomic
def join_site_visit(*, actor: User, visit: SiteVisit | int) -> SiteVisit:
    """The quality & control team joins a placement team's visit (once: joining a visit
    it already joins changes nothing)."""
    require(actor, FOLLOWUP)
    visit = SiteVisit.objects.select_for_update().get(pk=_pk(visit))
    if rules.SITE_VISIT.allows("join", visit, actor):
        visit.joint_with_quality_team = True
        save_with_history(visit, actor)
    return visit


@transaction.atomic
def save_question_template(
    *, actor: User, service: Service, questions: Iterable[str], seen: str | None = None
) -> QuestionTemplate:
    """The questions asked at visits to units of a service (one per entry, blanks dropped).
    `seen`: the version of the saved questions the editor saw (changed meanwhile: refused)."""
    require(actor, FOLLOWUP)
    cleaned = [question.strip() for question in questions if question and question.strip()]
    template = QuestionTemplate.objects.select_for_update().filter(service=service).first()
    if template is not None:
        concurrency.check(template, QUESTION_TEMPLATE_FIELDS, seen=seen)
    template = template or QuestionTemplate(service=service)
    template.questions = cleaned
    return save_with_history(template, actor)


# --- Registered IVO permits that end soon ----------------------------------------------------


def remind_expiring_permits(*, on: dt.date | None = None) -> int:
    """A signal in the team's inbox for each IVO permit ending within
    settings.PERMIT_EXPIRY_REMINDER_DAYS (not revoked, of a unit still in the register), once
    per permit and end: running again makes none, a renewed permit is reminded of its new end
    when that comes near. Returns how many signals it made."""
    on = on or timezone.localdate()
    horizon = on + dt.timedelta(days=settings.PERMIT_EXPIRY_REMINDER_DAYS)
    ending = selectors.permits_ending(on, horizon)
    made = 0
    for permit in ending:
        assert permit.valid_to is not None  # permits_ending: those with an end
        key = f"permit-expiring:{permit.pk}:{permit.valid_to.isoformat()}"
        if Signal.objects.filter(dedup_key=key).exists():
            continue
        unit = permit.unit
        with _stored_language():
            title = _("The IVO permit %(number)s of %(unit)s ends on %(date)s") % {
                "number": permit.permit_number,
                "unit": unit.name,
                "date": permit.valid_to.isoformat(),
            }
            details = _(
                "Ask the provider for the new permit and register it on the unit's permit "
                "page; from the day after the end, the unit is no longer matched for: "
                "%(services)s."
            ) % {"services": ", ".join(service.name for service in permit.services.all())}
        try:
            with transaction.atomic():
                Signal.objects.create(
                    kind=Signal.Kind.PERMIT_EXPIRING,
                    severity=Severity.MEDIUM,
                    provider=unit.provider,
                    unit=unit,
                    title=title[:300],
                    details=details,
                    dedup_key=key,
                )
        except IntegrityError:  # a concurrent run made it first
            continue
        made += 1
    if made:
        logger.info("%s expiring IVO permits signalled", made)
    return made
