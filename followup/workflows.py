"""The follow-up workflows, each one table (spink.workflow): starting a pre-admission control
of a provider, the control itself (checks, approve, reject), the handling of feedback, deep
controls (details, outcome), procurement's decision on a proposed order stop, the signals of
the team's inbox and matching-focused site visits.

Services check an action under their row lock, after `providers.services.require` refused a
role without the capability outright (PermissionDenied); pages and the API ask `available`
or `allows` for what to offer. The refusals keep the words and codes the API and its clients
know (`state_refusal`, `user_refusal`, guards answering with a RuleViolation of their own).

followup.rules re-exports everything here; import it from there.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from followup.models import CheckResult, Control, ControlCheck, DeepControl, Feedback, Signal
from providers import rules as register_rules
from providers.models import LegalForm, Provider
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User
from spink.errors import RuleViolation
from spink.workflow import ILLEGAL_TRANSITION, Action, Workflow

# --- Who may ---------------------------------------------------------------------------------

TEAM = _("the quality & control team")


def may_run_followup(user: User, subject=None) -> bool:
    """The quality & control team (and administrators, who may do everything)."""
    return access.has_capability(user, Capability.RUN_FOLLOWUP)


def may_decide_order_stop(user: User, subject=None) -> bool:
    return access.has_capability(user, Capability.DECIDE_ORDER_STOP)


def is_quality_team(user: User) -> bool:
    """The quality & control team (not an administrator, who may do everything)."""
    return not access.is_administrator(user) and access.has_capability(
        user, Capability.RUN_FOLLOWUP
    )


def may_record_visit(user: User, visit) -> bool:
    """The visit's own placement team records it; the quality team records the visits it has
    joined; an administrator any."""
    if access.is_administrator(user):
        return True
    if is_quality_team(user):
        return visit.joint_with_quality_team
    return access.has_capability(user, Capability.PLAN_SITE_VISITS) and (
        visit.team == user.placement_team
    )


def other_team_refusal() -> RuleViolation:
    return RuleViolation(
        _("Placement officers plan and record site visits for their own team only."),
        "other_team",
    )


# --- Starting a pre-admission control (subject: the provider) --------------------------------


class ProviderControlState:
    """Where a provider stands for a new control (read by `provider_control_state`)."""

    OWN_OPERATION = "own_operation"  # the municipality's own operation: never controlled
    IN_PROGRESS = "control_in_progress"  # a control is pending: finish it first
    CONTROLLABLE = "controllable"

    LABELS = {
        OWN_OPERATION: _("the municipality's own operation"),
        IN_PROGRESS: _("being controlled"),
        CONTROLLABLE: _("open to a control"),
    }


def provider_control_state(provider: Provider) -> str:
    if provider.legal_form == LegalForm.MUNICIPAL:
        return ProviderControlState.OWN_OPERATION
    if Control.objects.filter(provider_id=provider.pk, decision=Control.Decision.PENDING).exists():
        return ProviderControlState.IN_PROGRESS
    return ProviderControlState.CONTROLLABLE


def _start_refusal(provider: Provider) -> RuleViolation:
    if provider_control_state(provider) == ProviderControlState.OWN_OPERATION:
        return RuleViolation(
            _("The municipality's own operation is not controlled before admission."),
            "own_operation",
        )
    return RuleViolation(
        _("A control of this provider is already in progress: finish it first."),
        "control_in_progress",
    )


PROVIDER_CONTROL: Workflow[Provider] = Workflow(
    "provider control",
    subject=_("the provider"),
    state=provider_control_state,
    state_label=lambda state: ProviderControlState.LABELS[state],
    actions={
        "start": Action(
            _("start a control"),
            {ProviderControlState.CONTROLLABLE},
            ProviderControlState.IN_PROGRESS,
            may_run_followup,
            TEAM,
            state_refusal=_start_refusal,
        ),
    },
)


# --- Pre-admission controls ------------------------------------------------------------------

D = Control.Decision


def _control_decided(control: Control) -> RuleViolation:
    return RuleViolation(
        _("The control has already been decided (%(decision)s) and cannot be changed.")
        % {"decision": D(control.decision).label.lower()},
        "control_decided",
    )


def _labels(checks) -> str:
    return ", ".join(str(ControlCheck.Kind(check.kind).label) for check in checks)


def approval_refusal(control: Control) -> RuleViolation | None:
    """A control is approved only when every check is done and none failed."""
    checks = list(control.checks.all())
    failed = [check for check in checks if check.result == CheckResult.FAILED]
    if failed:
        return RuleViolation(
            _("The control cannot be approved: these checks failed: %(checks)s.")
            % {"checks": _labels(failed)},
            "failed_checks",
        )
    still_open = [check for check in checks if check.result == CheckResult.OPEN]
    if still_open:
        return RuleViolation(
            _("The control cannot be approved while checks are still open: %(checks)s.")
            % {"checks": _labels(still_open)},
            "open_checks",
        )
    return None


CONTROL: Workflow[Control] = Workflow(
    "control",
    subject=_("the control"),
    state=lambda control: control.decision,
    state_label=lambda decision: D(decision).label,
    actions={
        "record_check": Action(
            _("record a check"),
            {D.PENDING},
            None,
            may_run_followup,
            TEAM,
            state_refusal=_control_decided,
        ),
        "approve": Action(
            _("approve the control"),
            {D.PENDING},
            D.APPROVED,
            may_run_followup,
            TEAM,
            guard=approval_refusal,
            state_refusal=_control_decided,
        ),
        "reject": Action(
            _("not approve the control"),
            {D.PENDING},
            D.REJECTED,
            may_run_followup,
            TEAM,
            state_refusal=_control_decided,
        ),
    },
)
# The action that records each decision a person may choose.
DECISION_ACTIONS: dict[str, str] = {D.APPROVED: "approve", D.REJECTED: "reject"}


# --- Feedback (synpunkter) -------------------------------------------------------------------

F = Feedback.Status
FEEDBACK_REFUSALS = {
    "communicate": _(
        "Only received feedback can be marked as communicated to the provider; "
        "this feedback is “%(status)s”."
    ),
    "answer": _(
        "The provider's answer can be recorded only after the feedback has been communicated "
        "to the provider, and only once; this feedback is “%(status)s”."
    ),
    "close": _(
        "Feedback can be closed only after it has been communicated to the provider; "
        "this feedback is “%(status)s”."
    ),
}


def _feedback_refusal(action: str):
    def refuse(feedback: Feedback) -> RuleViolation:
        return RuleViolation(
            FEEDBACK_REFUSALS[action] % {"status": F(feedback.status).label.lower()},
            ILLEGAL_TRANSITION,
        )

    return refuse


FEEDBACK: Workflow[Feedback] = Workflow(
    "feedback",
    subject=_("the feedback"),
    state=lambda feedback: feedback.status,
    state_label=lambda status: F(status).label,
    actions={
        "communicate": Action(
            _("mark the feedback as communicated to the provider"),
            {F.RECEIVED},
            F.COMMUNICATED,
            may_run_followup,
            TEAM,
            state_refusal=_feedback_refusal("communicate"),
        ),
        "answer": Action(
            _("record the provider's answer"),
            {F.COMMUNICATED},
            F.ANSWERED,
            may_run_followup,
            TEAM,
            state_refusal=_feedback_refusal("answer"),
        ),
        "close": Action(
            _("close the feedback"),
            {F.COMMUNICATED, F.ANSWERED},
            F.CLOSED,
            may_run_followup,
            TEAM,
            state_refusal=_feedback_refusal("close"),
        ),
    },
)


# --- Deep controls ---------------------------------------------------------------------------

O = DeepControl.Outcome  # noqa: E741 - the outcomes, as the workflow's other tables do
OPEN = "open"  # the state of a deep control without an outcome


def deep_control_state(deep_control: DeepControl) -> str:
    return deep_control.outcome or OPEN


def _deep_control_decided(deep_control: DeepControl) -> RuleViolation:
    return RuleViolation(
        _("The deep control already has an outcome (%(outcome)s) and cannot be changed.")
        % {"outcome": O(deep_control.outcome).label.lower()},
        "deep_control_decided",
    )


def _framework_only(deep_control: DeepControl) -> RuleViolation | None:
    """Only framework units get an order stop: the register's own rule and message."""
    try:
        register_rules.check_order_stop(deep_control.unit, True)
    except RuleViolation as refusal:
        return refusal
    return None


def _deciding(label, outcome: str | None, guard=None) -> Action[DeepControl]:
    return Action(
        label,
        {OPEN},
        outcome,
        may_run_followup,
        TEAM,
        guard=guard,
        state_refusal=_deep_control_decided,
    )


DEEP_CONTROL: Workflow[DeepControl] = Workflow(
    "deep control",
    subject=_("the deep control"),
    state=deep_control_state,
    state_label=lambda state: _("Open") if state == OPEN else O(state).label,
    actions={
        "update": _deciding(_("change the deep control"), None),
        # Choosing an outcome, whichever: the page's outcome form, and the first check of a
        # decision (the outcome chosen is then checked by its own action below).
        "decide": _deciding(_("decide the outcome"), None),
        "decide_no_action": _deciding(_("decide on no action"), O.NO_ACTION),
        "pause": _deciding(_("pause the unit"), O.PAUSED),
        "remove": _deciding(_("remove the unit"), O.REMOVED),
        "stop_recommendations": _deciding(_("decide a recommendation stop"), O.RECOMMENDATION_STOP),
        "propose_order_stop": _deciding(
            _("propose an order stop"), O.ORDER_STOP_PROPOSED, guard=_framework_only
        ),
    },
)
# The action that decides each outcome.
OUTCOME_ACTIONS: dict[str, str] = {
    O.NO_ACTION: "decide_no_action",
    O.PAUSED: "pause",
    O.REMOVED: "remove",
    O.RECOMMENDATION_STOP: "stop_recommendations",
    O.ORDER_STOP_PROPOSED: "propose_order_stop",
}


# --- Order-stop proposals (procurement's decision on a deep control) -------------------------

P = DeepControl.OrderStopDecision
PROPOSED = "proposed"  # an order stop proposed, not decided yet
NOT_PROPOSED = "not_proposed"


def proposal_state(deep_control: DeepControl) -> str:
    if deep_control.outcome != O.ORDER_STOP_PROPOSED:
        return NOT_PROPOSED
    return deep_control.order_stop_decision or PROPOSED


def _proposal_refusal(deep_control: DeepControl) -> RuleViolation:
    if proposal_state(deep_control) == NOT_PROPOSED:
        return RuleViolation(
            _("This deep control has not proposed an order stop."), "no_order_stop_proposal"
        )
    return RuleViolation(
        _("Procurement has already decided on this proposal (%(decision)s).")
        % {"decision": P(deep_control.order_stop_decision).label.lower()},
        "proposal_decided",
    )


PROPOSAL_STATE_LABELS = {
    PROPOSED: O.ORDER_STOP_PROPOSED.label,
    NOT_PROPOSED: _("not proposing an order stop"),
}
PROCUREMENT = _("procurement")

ORDER_STOP_PROPOSAL: Workflow[DeepControl] = Workflow(
    "order-stop proposal",
    subject=_("the proposal"),
    state=proposal_state,
    state_label=lambda state: PROPOSAL_STATE_LABELS.get(state) or P(state).label,
    actions={
        "decide_order_stop": Action(
            _("decide the order stop"),
            {PROPOSED},
            P.DECIDED,
            may_decide_order_stop,
            PROCUREMENT,
            state_refusal=_proposal_refusal,
        ),
        "decline_order_stop": Action(
            _("decline the proposal"),
            {PROPOSED},
            P.DECLINED,
            may_decide_order_stop,
            PROCUREMENT,
            state_refusal=_proposal_refusal,
        ),
    },
)


# --- Signals (the team's inbox) --------------------------------------------------------------

SS = Signal.Status


def _signal_refusal(signal: Signal) -> RuleViolation:
    if signal.status == SS.CLOSED:
        return RuleViolation(_("The signal is already closed."), "closed")
    return RuleViolation(_("Someone is already handling the signal."), "already_taken")


SIGNAL: Workflow[Signal] = Workflow(
    "signal",
    subject=_("the signal"),
    state=lambda signal: signal.status,
    state_label=lambda status: SS(status).label,
    actions={
        "take": Action(
            _("take the signal"),
            {SS.NEW},
            SS.IN_PROGRESS,
            may_run_followup,
            TEAM,
            state_refusal=_signal_refusal,
        ),
        "close": Action(
            _("close the signal"),
            {SS.NEW, SS.IN_PROGRESS},
            SS.CLOSED,
            may_run_followup,
            TEAM,
            state_refusal=_signal_refusal,
        ),
    },
)


# --- Matching-focused site visits ------------------------------------------------------------

PLANNED = "planned"
VISITED = "visited"
VISIT_STATE_LABELS = {PLANNED: _("Planned"), VISITED: _("Visited")}


def site_visit_state(visit) -> str:
    return VISITED if visit.visited_on else PLANNED


def _record_refusal(user: User, visit) -> RuleViolation:
    if is_quality_team(user):
        return RuleViolation(
            _("The quality team records only the visits it has joined."), "not_joined"
        )
    return other_team_refusal()


def _already_joint(visit) -> str | Promise | None:
    if visit.joint_with_quality_team:
        return _("The quality & control team already joins the visit.")
    return None


SITE_VISIT = Workflow(
    "site visit",
    subject=_("the site visit"),
    state=site_visit_state,
    state_label=lambda state: VISIT_STATE_LABELS[state],
    actions={
        # Recorded once visited, and the record may be edited afterwards.
        "record": Action(
            _("record the visit"),
            {PLANNED, VISITED},
            VISITED,
            may_record_visit,
            _("the visit's placement team, or the quality & control team once it has joined"),
            user_refusal=_record_refusal,
        ),
        "join": Action(
            _("join the visit"),
            {PLANNED, VISITED},
            None,
            may_run_followup,
            TEAM,
            guard=_already_joint,
        ),
    },
)
