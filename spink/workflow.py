"""The one workflow primitive every app declares its workflows with.

A workflow is a table of named actions. Each action names the states it starts from, the state
it leads to (or None when the state does not change), who may take it and how to say so when
they may not. Services call `check` (or `check_state` for jobs that act for the system) before
they apply an action under a row lock; pages, the API and templates ask `available` or
`allows` for what to offer; generators ask `target` and `sources` so their rows obey the same
table. Nothing else decides which step is possible in which state.

    FEEDBACK = Workflow(
        "feedback",
        subject=_("the feedback"),
        state=lambda feedback: feedback.status,
        state_label=lambda status: FeedbackStatus(status).label,
        actions={
            "start": Action(_("start handling"), {S.RECEIVED}, S.IN_PROGRESS,
                            allowed=is_quality_team, who=_("the quality & control team")),
        },
    )
    FEEDBACK.check("start", feedback, user)   # raises RuleViolation, or returns the Action
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from spink.errors import RuleViolation

T = TypeVar("T")

# The codes a refusal carries: the API answers 400 with the code in its body (spink.api), so
# that clients tell the two apart; pages answer 403 or 409 (`refusal_status`).
ILLEGAL_TRANSITION = "illegal_transition"
NOT_ALLOWED = "not_allowed"


def anyone(user: Any, subject: Any) -> bool:
    """For actions every user who reached the page may take (the page's capability check is
    the gate)."""
    return True


@dataclass(frozen=True)
class Action(Generic[T]):
    label: str | Promise
    from_states: frozenset[str]
    to_state: str | None  # None: the state does not change
    allowed: Callable[[Any, T], bool] = anyone
    who: str | Promise = ""  # completes "Only … can <label>." in the refusal
    # An extra condition on the subject beyond its state (e.g. "a decision is recorded");
    # returns the refusal message (or a RuleViolation with a code of its own), or None when
    # the action may go ahead.
    guard: Callable[[T], str | Promise | RuleViolation | None] | None = field(default=None)
    # The action's own words for a refusal, where an app's refusals carry codes of their own
    # (the API and its clients know them): the RuleViolation for a subject whose state does
    # not allow the action, and for a user who may not take it. None: the generic message.
    state_refusal: Callable[[T], RuleViolation] | None = field(default=None)
    user_refusal: Callable[[Any, T], RuleViolation] | None = field(default=None)

    def __init__(
        self,
        label: str | Promise,
        from_states: Iterable[str],
        to_state: str | None,
        allowed: Callable[[Any, T], bool] = anyone,
        who: str | Promise = "",
        guard: Callable[[T], str | Promise | RuleViolation | None] | None = None,
        state_refusal: Callable[[T], RuleViolation] | None = None,
        user_refusal: Callable[[Any, T], RuleViolation] | None = None,
    ) -> None:
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "from_states", frozenset(from_states))
        object.__setattr__(self, "to_state", to_state)
        object.__setattr__(self, "allowed", allowed)
        object.__setattr__(self, "who", who)
        object.__setattr__(self, "guard", guard)
        object.__setattr__(self, "state_refusal", state_refusal)
        object.__setattr__(self, "user_refusal", user_refusal)


class Workflow(Generic[T]):
    """A named table of actions over subjects whose state `state(subject)` reads."""

    def __init__(
        self,
        name: str,
        *,
        subject: str | Promise,
        state: Callable[[T], str],
        state_label: Callable[[str], str | Promise],
        actions: Mapping[str, Action[T]],
    ) -> None:
        self.name = name
        self.subject = subject  # completes "You cannot …: <subject> is <state>."
        self.state = state
        self.state_label = state_label
        self.actions: dict[str, Action[T]] = dict(actions)

    def __getitem__(self, action: str) -> Action[T]:
        return self.actions[action]

    def __iter__(self):
        return iter(self.actions)

    # --- Checks (services) --------------------------------------------------------------------

    def check_state(self, action: str, subject: T) -> Action[T]:
        """Raise RuleViolation unless `subject`'s state (and the action's guard) allows
        `action`; for jobs acting for the system, where no user is asked."""
        rule = self.actions[action]
        state = self.state(subject)
        if state not in rule.from_states:
            if rule.state_refusal is not None:
                raise rule.state_refusal(subject)
            raise RuleViolation(
                _("You cannot %(action)s: %(subject)s is %(state)s.")
                % {
                    "action": rule.label,
                    "subject": self.subject,
                    "state": str(self.state_label(state)).lower(),
                },
                ILLEGAL_TRANSITION,
            )
        if rule.guard is not None and (refusal := rule.guard(subject)) is not None:
            if isinstance(refusal, RuleViolation):
                raise refusal
            raise RuleViolation(refusal, ILLEGAL_TRANSITION)
        return rule

    def check(self, action: str, subject: T, user: Any) -> Action[T]:
        """Raise RuleViolation unless `user` may take `action` on `subject` now."""
        rule = self.check_state(action, subject)
        if not rule.allowed(user, subject):
            if rule.user_refusal is not None:
                raise rule.user_refusal(user, subject)
            raise RuleViolation(
                _("Only %(who)s can %(action)s.") % {"who": rule.who, "action": rule.label},
                NOT_ALLOWED,
            )
        return rule

    # --- Questions (pages, API, templates, generators) ----------------------------------------

    def allows(self, action: str, subject: T, user: Any) -> bool:
        try:
            self.check(action, subject, user)
        except RuleViolation:
            return False
        return True

    def allows_state(self, action: str, subject: T) -> bool:
        try:
            self.check_state(action, subject)
        except RuleViolation:
            return False
        return True

    def available(self, subject: T, user: Any) -> set[str]:
        """The actions to offer `user` now (the same checks as `check`)."""
        return {name for name in self.actions if self.allows(name, subject, user)}

    def target(self, action: str, subject: T) -> str:
        """The state `action` leaves `subject` in."""
        rule = self.actions[action]
        return self.state(subject) if rule.to_state is None else rule.to_state

    def sources(self, action: str) -> frozenset[str]:
        return self.actions[action].from_states

    def leading_to(self, state: str) -> list[str]:
        """The actions that end in `state` (generators walk the table backwards with it)."""
        return [name for name, rule in self.actions.items() if rule.to_state == state]

    def transitions(self) -> dict[str, frozenset[str]]:
        """state → the states reachable in one action, for documentation and diagrams."""
        reachable: dict[str, set[str]] = {}
        for rule in self.actions.values():
            for source in rule.from_states:
                targets = reachable.setdefault(source, set())
                if rule.to_state is not None:
                    targets.add(rule.to_state)
        return {state: frozenset(targets) for state, targets in reachable.items()}


def refusal_status(error: RuleViolation) -> int:
    """The HTTP status for a refused action: 403 when the user may not, 409 when the state
    does not allow it (or anything else refused)."""
    return 403 if error.code == NOT_ALLOWED else 409
