"""The placement request workflow, in one place.

draft → submitted → in matching → recommended → placed / not placed; withdrawn from any open
state. Each action names the states it starts from, the state it leads to, and who may take
it. services.py applies an action only after `check_action` passes, under a row lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from placements.models import OPEN_STATUSES, PlacementRequest, RequestStatus
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User
from spink.errors import RuleViolation

R = RequestStatus


def _is_owner(user: User, request: PlacementRequest) -> bool:
    return request.social_worker_id == user.pk


def is_owning_administration_worker(user: User, request: PlacementRequest) -> bool:
    return (
        access.has_capability(user, Capability.SUBMIT_PLACEMENT_REQUEST)
        and user.administration_id == request.administration_id
    )


def is_team_officer(user: User, request: PlacementRequest) -> bool:
    return (
        access.has_capability(user, Capability.HANDLE_PLACEMENT_REQUEST)
        and user.municipality_id == request.administration.municipality_id
        and (user.placement_team == request.team or access.is_administrator(user))
    )


def _is_assigned_officer(user: User, request: PlacementRequest) -> bool:
    return request.assigned_officer_id == user.pk


def may_lodge_deviation(user: User, request: PlacementRequest) -> bool:
    """A deviation is about Spink's handling, so only of a request Spink has received."""
    return request.status != R.DRAFT and is_owning_administration_worker(user, request)


def may_handle_deviations(user: User, request: PlacementRequest) -> bool:
    return is_team_officer(user, request) or access.is_administrator(user)


def may_note_deviation(user: User, deviation) -> bool:
    """Spink handles or closes a deviation while it is open."""
    return deviation.status != deviation.Status.CLOSED and may_handle_deviations(
        user, deviation.request
    )


def may_see_matches(user: User, request: PlacementRequest) -> bool:
    """Placement officers see a request's matches; for a protected identity only those who may
    see the person, since exclusion reasons (age span, gender) would hint at who it is."""
    return access.has_capability(
        user, Capability.HANDLE_PLACEMENT_REQUEST
    ) and access.may_see_person(user, request)


@dataclass(frozen=True)
class Action:
    label: str | Promise
    from_statuses: frozenset[str]
    to_status: str | None  # None: the status does not change
    allowed: Callable[[User, PlacementRequest], bool]
    who: str | Promise  # for the refusal message


OPEN = OPEN_STATUSES

ACTIONS: dict[str, Action] = {
    "edit_draft": Action(
        _("edit the draft"),
        frozenset({R.DRAFT}),
        None,
        _is_owner,
        _("the social worker who created it"),
    ),
    "submit": Action(
        _("submit"),
        frozenset({R.DRAFT}),
        R.SUBMITTED,
        _is_owner,
        _("the social worker who created it"),
    ),
    "take": Action(
        _("take the request"),
        frozenset({R.SUBMITTED}),
        R.IN_MATCHING,
        is_team_officer,
        _("a placement officer of the request's team"),
    ),
    "assign": Action(
        _("assign the request"),
        frozenset({R.SUBMITTED, R.IN_MATCHING}),
        R.IN_MATCHING,
        is_team_officer,
        _("a placement officer of the request's team"),
    ),
    "recommend": Action(
        _("send a recommendation"),
        frozenset({R.IN_MATCHING, R.RECOMMENDED}),
        R.RECOMMENDED,
        _is_assigned_officer,
        _("the assigned placement officer"),
    ),
    "no_provider_found": Action(
        _("record that no provider was found"),
        frozenset({R.IN_MATCHING, R.RECOMMENDED}),
        R.NOT_PLACED,
        _is_assigned_officer,
        _("the assigned placement officer"),
    ),
    "choose": Action(
        _("report the chosen provider"),
        frozenset({R.RECOMMENDED}),
        R.PLACED,
        is_owning_administration_worker,
        _("a social worker of the request's administration"),
    ),
    "none_chosen": Action(
        _("report that no provider was chosen"),
        frozenset({R.RECOMMENDED}),
        R.NOT_PLACED,
        is_owning_administration_worker,
        _("a social worker of the request's administration"),
    ),
    "withdraw": Action(
        _("withdraw the request"),
        OPEN,
        R.WITHDRAWN,
        is_owning_administration_worker,
        _("a social worker of the request's administration"),
    ),
    "message": Action(
        _("write a message"),
        OPEN | frozenset({R.PLACED, R.NOT_PLACED}),
        None,
        lambda u, r: (
            is_owning_administration_worker(u, r)
            or _is_assigned_officer(u, r)
            or is_team_officer(u, r)
        ),
        _("the request's social workers and placement officers"),
    ),
}


def check_action(action: str, request: PlacementRequest, user: User) -> Action:
    """Raise RuleViolation unless `user` may take `action` on `request` in its current state."""
    rule = ACTIONS[action]
    if request.status not in rule.from_statuses:
        raise RuleViolation(
            _("You cannot %(action)s: the request is %(status)s.")
            % {"action": rule.label, "status": RequestStatus(request.status).label.lower()},
            "illegal_transition",
        )
    if not rule.allowed(user, request):
        raise RuleViolation(
            _("Only %(who)s can %(action)s.") % {"who": rule.who, "action": rule.label},
            "not_allowed",
        )
    return rule


def available_actions(request: PlacementRequest, user: User) -> set[str]:
    """The actions the UI should offer `user` now (the same checks as check_action)."""
    return {
        name
        for name, rule in ACTIONS.items()
        if request.status in rule.from_statuses and rule.allowed(user, request)
    }


# While one of these is open to a placement officer, the request page shows the matches.
MATCHING_ACTIONS = frozenset({"take", "assign", "recommend"})


def shows_matching(user: User, request: PlacementRequest, actions: set[str] | None = None) -> bool:
    """Whether the request page shows `user` the matches (and their excluded units and
    recommendation forms): while they can take, assign or recommend, and may see them."""
    actions = available_actions(request, user) if actions is None else actions
    return bool(actions & MATCHING_ACTIONS) and may_see_matches(user, request)
