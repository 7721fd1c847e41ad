"""The register's rules, in one place: the unit workflow (publication and the two stop kinds)
and matchability. The UI, the API, the importer, matching and the follow-up jobs all use these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm
from providers.models import Permit, PublicationStatus, Unit, UnitService
from spink.accounts import access
from spink.accounts.access import Capability
from spink.errors import RuleViolation  # callers also import it from here
from spink.workflow import ILLEGAL_TRANSITION, Action, Workflow

S = PublicationStatus


# --- Stops -----------------------------------------------------------------------------------
# Guards of the stop actions below: each raises RuleViolation (with a code of its own) to refuse.


def check_recommendation_stop(unit: Unit, stop: bool) -> None:
    if stop and not unit.offerings.filter(operating_form__code=OperatingForm.DIRECT).exists():
        raise RuleViolation(
            _(
                "A recommendation stop can only be decided for direct-procurement units. "
                "Framework units get a temporary order stop from procurement instead."
            ),
            "not_direct_procurement",
        )
    if stop == unit.recommendation_stop:
        raise RuleViolation(
            _("The unit already has a recommendation stop.")
            if stop
            else _("The unit has no recommendation stop to lift."),
            "no_change",
        )


def check_order_stop(unit: Unit, stop: bool) -> None:
    if stop and not unit.offerings.filter(operating_form__code=OperatingForm.FRAMEWORK).exists():
        raise RuleViolation(
            _(
                "A temporary order stop can only be decided for framework-agreement units. "
                "Direct-procurement units get a recommendation stop instead."
            ),
            "not_framework",
        )
    if stop == unit.order_stop:
        raise RuleViolation(
            _("The unit already has an order stop.")
            if stop
            else _("The unit has no order stop to lift."),
            "no_change",
        )


# --- The unit workflow ---------------------------------------------------------------------------
# draft → under control → published ⇄ paused; back to draft from control; removed from any
# status, and a removed unit comes back only through a new control. The stops do not change
# the publication status: they are decided and lifted in any status, by their own teams.


def _edits_register(user, unit: Unit) -> bool:
    return access.has_capability(user, Capability.EDIT_REGISTER)


def _decides_order_stops(user, unit: Unit) -> bool:
    return access.has_capability(user, Capability.DECIDE_ORDER_STOP)


REGISTER_TEAM = _("the quality & control team")
PROCUREMENT = _("procurement")
ALL_STATUSES = frozenset(S.values)

UNIT_WORKFLOW: Workflow[Unit] = Workflow(
    "unit",
    subject=_("the unit"),
    state=lambda unit: unit.status,
    state_label=lambda status: S(status).label,
    actions={
        "send_to_control": Action(
            _("send the unit to control"),
            {S.DRAFT, S.REMOVED},
            S.UNDER_CONTROL,
            _edits_register,
            REGISTER_TEAM,
        ),
        "return_to_draft": Action(
            _("return the unit to draft"),
            {S.UNDER_CONTROL},
            S.DRAFT,
            _edits_register,
            REGISTER_TEAM,
        ),
        # Publishing also needs check_publishable (services.change_status asks it, on a date).
        "publish": Action(
            _("publish the unit"), {S.UNDER_CONTROL}, S.PUBLISHED, _edits_register, REGISTER_TEAM
        ),
        "pause": Action(
            _("pause the unit"), {S.PUBLISHED}, S.PAUSED, _edits_register, REGISTER_TEAM
        ),
        "resume": Action(
            _("publish the unit again"), {S.PAUSED}, S.PUBLISHED, _edits_register, REGISTER_TEAM
        ),
        "remove": Action(
            _("remove the unit"),
            {S.DRAFT, S.UNDER_CONTROL, S.PUBLISHED, S.PAUSED},
            S.REMOVED,
            _edits_register,
            REGISTER_TEAM,
        ),
        "decide_recommendation_stop": Action(
            _("decide a recommendation stop"),
            ALL_STATUSES,
            None,
            _edits_register,
            REGISTER_TEAM,
            guard=lambda unit: check_recommendation_stop(unit, True),
        ),
        "lift_recommendation_stop": Action(
            _("lift the recommendation stop"),
            ALL_STATUSES,
            None,
            _edits_register,
            REGISTER_TEAM,
            guard=lambda unit: check_recommendation_stop(unit, False),
        ),
        "decide_order_stop": Action(
            _("decide a temporary order stop"),
            ALL_STATUSES,
            None,
            _decides_order_stops,
            PROCUREMENT,
            guard=lambda unit: check_order_stop(unit, True),
        ),
        "lift_order_stop": Action(
            _("lift the order stop"),
            ALL_STATUSES,
            None,
            _decides_order_stops,
            PROCUREMENT,
            guard=lambda unit: check_order_stop(unit, False),
        ),
    },
)


def recommendation_stop_action(stop: bool) -> str:
    return "decide_recommendation_stop" if stop else "lift_recommendation_stop"


def order_stop_action(stop: bool) -> str:
    return "decide_order_stop" if stop else "lift_order_stop"


def status_action(unit: Unit, to_status: str) -> str:
    """The workflow's action that takes `unit` from its status to `to_status`, or a refusal
    naming both statuses."""
    if to_status not in S.values:
        raise RuleViolation(_("Unknown publication status."), "unknown_status")
    for action in UNIT_WORKFLOW.leading_to(to_status):
        if unit.status in UNIT_WORKFLOW.sources(action):
            return action
    raise RuleViolation(
        _("A unit cannot go from “%(from)s” to “%(to)s”.")
        % {"from": S(unit.status).label, "to": S(to_status).label},
        ILLEGAL_TRANSITION,
    )


def allowed_transitions(unit: Unit) -> list[str]:
    """The statuses the workflow lets `unit` move to now, in the statuses' order."""
    reachable = UNIT_WORKFLOW.transitions().get(unit.status, frozenset())
    return [status for status in S.values if status in reachable]


def check_transition(unit: Unit, to_status: str, on: dt.date, user=None) -> Action[Unit]:
    """Refuse (RuleViolation) unless `unit` may move to `to_status` on the day `on` (and, given
    a user, unless the user may take that step). Returns the workflow's action."""
    action = status_action(unit, to_status)
    rule = (
        UNIT_WORKFLOW.check_state(action, unit)
        if user is None
        else UNIT_WORKFLOW.check(action, unit, user)
    )
    if rule.to_state == S.PUBLISHED:
        check_publishable(unit, on)
    return rule


# Conditions other apps add to publication, each called as check(unit, on) and raising
# RuleViolation to refuse. Apps register theirs in AppConfig.ready() (e.g. followup: a
# direct-procurement unit needs its provider's approved pre-admission control), so that the
# register stays free of imports from them.
PUBLICATION_CHECKS: list[Callable[[Unit, dt.date], None]] = []


def check_publishable(unit: Unit, on: dt.date) -> None:
    offerings = list(unit.offerings.select_related("service", "operating_form"))
    if not offerings:
        raise RuleViolation(
            _("A unit must offer at least one service before it is published."), "no_services"
        )
    missing = [o.service.name for o in offerings if not offering_has_needed_permit(o, on)]
    if missing:
        raise RuleViolation(
            _("The unit needs a valid IVO permit for: %(services)s.")
            % {"services": ", ".join(missing)},
            "permit_missing",
        )
    for check in PUBLICATION_CHECKS:
        check(unit, on)


# --- Framework agreements ---------------------------------------------------------------------


def check_admission(agreement, admitted_on: dt.date) -> None:
    """Units join at the agreement's start or, on an open agreement, on 1 January or 1 July."""
    if not agreement.valid_from <= admitted_on <= agreement.valid_to:
        raise RuleViolation(_("The date is outside the agreement period."), "outside_period")
    if admitted_on == agreement.valid_from:
        return
    if not agreement.is_open:
        raise RuleViolation(
            _("This agreement is closed: units can only join when it starts."), "closed_agreement"
        )
    if (admitted_on.month, admitted_on.day) not in agreement.ADMISSION_DAYS:
        raise RuleViolation(
            _("Open agreements admit new providers on 1 January and 1 July only."),
            "not_admission_date",
        )


# --- Permits and matchability --------------------------------------------------------------


def valid_permits(on: dt.date) -> QuerySet[Permit]:
    return Permit.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on),
    )


def _needs_permit() -> Q:
    # The municipality's own operation needs no IVO permit.
    return Q(service__requires_permit=True) & ~Q(operating_form__code=OperatingForm.OWN)


def _has_permit(on: dt.date) -> Q:
    return Q(Exists(valid_permits(on).filter(unit=OuterRef("unit"), services=OuterRef("service"))))


def permit_is_open(permit: Permit) -> bool:
    """A permit can be renewed or revoked until it is revoked; then only a new one helps."""
    return permit.revoked_on is None


def offerings_missing_permit(units: Iterable[Unit], on: dt.date) -> QuerySet[UnitService]:
    """The offerings of `units` that need an IVO permit and have no valid one on `on`."""
    return (
        UnitService.objects.filter(unit__in=list(units))
        .filter(_needs_permit() & ~_has_permit(on))
        .select_related("unit", "service")
        .order_by("unit__name", "service__name_sv")
    )


def offering_has_needed_permit(offering: UnitService, on: dt.date) -> bool:
    return (
        UnitService.objects.filter(pk=offering.pk)
        .filter(~_needs_permit() | _has_permit(on))
        .exists()
    )


@dataclass(frozen=True)
class MatchRule:
    """One condition an offering must meet to be matchable, with the reason shown if not."""

    code: str
    reason: str | Promise
    condition: Callable[[dt.date], Q]


MATCH_RULES: list[MatchRule] = [
    MatchRule(
        "published",
        _("The unit is not published"),
        lambda on: Q(unit__status=PublicationStatus.PUBLISHED),
    ),
    MatchRule(
        "recommendation_stop",
        _("Recommendation stop"),
        lambda on: ~Q(operating_form__code=OperatingForm.DIRECT, unit__recommendation_stop=True),
    ),
    MatchRule(
        "order_stop",
        _("Temporary order stop"),
        lambda on: ~Q(operating_form__code=OperatingForm.FRAMEWORK, unit__order_stop=True),
    ),
    MatchRule(
        "permit",
        _("No valid IVO permit for the service"),
        lambda on: ~_needs_permit() | _has_permit(on),
    ),
    MatchRule(
        "service_active",
        _("The service is no longer offered"),
        lambda on: Q(service__is_active=True),
    ),
]


def matchable_condition(on: dt.date) -> Q:
    condition = Q()
    for rule in MATCH_RULES:
        condition &= rule.condition(on)
    return condition


def matchable_offerings(on: dt.date, queryset: QuerySet[UnitService] | None = None):
    """Offerings placement officers may be shown: the matchability rule, as a query."""
    queryset = UnitService.objects.all() if queryset is None else queryset
    return queryset.filter(matchable_condition(on))


def matchable_units(on: dt.date, queryset: QuerySet[Unit] | None = None) -> QuerySet[Unit]:
    """Units with at least one matchable offering."""
    queryset = Unit.objects.all() if queryset is None else queryset
    # An IN over the offerings (hash semi-join) rather than a correlated EXISTS per unit: a
    # quarter faster for the register's count at 10,000 units. The status filter is implied
    # by the offerings' rule; repeating it lets the planner skip unpublished units early.
    return queryset.filter(
        status=PublicationStatus.PUBLISHED,
        pk__in=matchable_offerings(on).values("unit_id"),
    )


def with_match_checks(queryset: QuerySet[UnitService], on: dt.date) -> QuerySet[UnitService]:
    """Annotate `match_<code>` booleans so callers can say why an offering is excluded."""
    return queryset.annotate(
        **{
            f"match_{rule.code}": ExpressionWrapper(rule.condition(on), output_field=BooleanField())
            for rule in MATCH_RULES
        }
    )


def exclusion_reasons(offering: UnitService) -> list[str]:
    """Reasons an offering annotated by `with_match_checks` is not matchable ([] if it is)."""
    reasons = []
    for rule in MATCH_RULES:
        if not getattr(offering, f"match_{rule.code}"):
            if rule.code == "published":
                reasons.append(
                    _("The unit is %(status)s")
                    % {"status": PublicationStatus(offering.unit.status).label.lower()}
                )
            else:
                reasons.append(str(rule.reason))
    return reasons
