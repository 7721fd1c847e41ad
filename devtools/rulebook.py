"""What the data generators (devtools.scale, devtools.demo) ask the product's rules.

The generators write rows in bulk, past the services, so each row must obey the rules the
services enforce, without the generators restating them: which step may follow which and
where it leads, the checklist of a control and when it may be decided, which offering needs an
IVO permit, on which operating form a stop may be set. These thin adapters ask
placements.rules, followup.rules and providers.rules — mostly their workflow tables
(spink.workflow: `check`, `target`, `transitions`), as the services and pages do — and are
the one place that knows how those modules spell their answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from types import SimpleNamespace
from typing import Any

from spink.errors import RuleViolation


class Refused(RuntimeError):
    """A generator planned a step the product's rules refuse: a bug in the generator."""


# --- Placement requests (placements.rules) ----------------------------------------------------


def request_step(action: str, request: Any, actor: Any) -> str:
    """Check `action` on `request` by `actor` with the workflow's own rule (the states it
    starts from and who may take it) and return the status it leads to. `request` may be a
    stand-in with the fields the rule reads (status, social_worker_id, administration, team,
    assigned_officer_id)."""
    from placements import rules

    try:
        rules.REQUEST_WORKFLOW.check(action, request, actor)
    except RuleViolation as error:
        raise Refused(
            f"{action} refused on a {request.status} request for {actor}: {error}"
        ) from error
    return rules.REQUEST_WORKFLOW.target(action, request)


# --- Supplier follow-up (followup.rules) ------------------------------------------------------


def checklist(legal_form: str, unit_ids: Iterable[int]) -> list[str]:
    """The checks of a control of a provider with these units, as services.start_control
    makes them: by legal form, plus the IVO checks when a unit needs a permit."""
    from followup import rules

    return rules.checklist(legal_form, rules.needs_permit(list(unit_ids)))


@cache
def may_be_controlled(legal_form: str) -> bool:
    """Whether a provider of this legal form gets pre-admission controls at all (the
    municipality's own operation does not). Asked of a provider with no control yet."""
    from followup import rules

    provider = SimpleNamespace(legal_form=legal_form, pk=None)
    return rules.PROVIDER_CONTROL.allows_state("start", provider)


def check_decidable(decision: str, kinds: list[str], results: list[str]) -> None:
    """Refuse check results that do not allow `decision` by the control's rules: an approval
    needs every check done and none failed, and a control left pending must not be one that
    could have been approved already."""
    from followup import rules
    from followup.models import CheckResult, Control

    for result in results:
        if result != CheckResult.OPEN:
            rules.check_result(result)
    checks = [
        SimpleNamespace(kind=kind, result=result)
        for kind, result in zip(kinds, results, strict=True)
    ]
    pending = SimpleNamespace(
        decision=Control.Decision.PENDING, pk=None, checks=SimpleNamespace(all=lambda: checks)
    )
    approvable = rules.CONTROL.allows_state("approve", pending)
    if decision == Control.Decision.APPROVED and not approvable:
        raise Refused(f"an approved control with the check results {results}")
    if decision == Control.Decision.PENDING and approvable:
        raise Refused(f"a control left pending that could be approved: {results}")


@cache
def feedback_next(status: str) -> frozenset[str]:
    """The statuses feedback in `status` may move to next."""
    from followup import rules

    return rules.FEEDBACK.transitions().get(status, frozenset())


def feedback_reaches(status: str, target: str) -> bool:
    """Whether feedback in `status` can end up in `target` by the workflow's steps."""
    seen, todo = set(), [status]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(feedback_next(current))
    return False


def feedback_path(start: str, target: str, detour: Callable[[], bool]) -> Iterator[tuple[str, str]]:
    """Walk feedback from `start` to `target` one step at a time, yielding (from, to). Where
    the workflow offers both the target and a step on the way to it, `detour()` says whether
    to take the step on the way (True) or go straight to the target (False); it is called
    only there, so that a generator draws its random choices only where there is a choice."""
    status = start
    while status != target:
        options = sorted(s for s in feedback_next(status) if feedback_reaches(s, target))
        if not options:
            raise Refused(f"feedback cannot go from {status} to {target}")
        on_the_way = [s for s in options if s != target]
        straight = target in options and (not on_the_way or not detour())
        step = target if straight else on_the_way[0]
        yield status, step
        status = step


# --- The register (providers.rules) -----------------------------------------------------------


def offerings_needing_permit(offering_ids: Iterable[int], on: dt.date) -> set[int]:
    """Of these offerings, those the register's permit rule refuses as they are: before their
    unit has any permit, exactly those that need one (a permit-requiring service outside own
    operation). One query, whatever the number."""
    from providers import rules
    from providers.models import UnitService

    permit = next(rule for rule in rules.MATCH_RULES if rule.code == "permit")
    return set(
        UnitService.objects.filter(pk__in=list(offering_ids))
        .exclude(permit.condition(on))
        .values_list("pk", flat=True)
    )


def may_stop(unit: Any, kind: str) -> bool:
    """Whether the register lets `unit` get a `kind` stop ("recommendation" or "order") now:
    a recommendation stop on direct procurement only, an order stop on framework agreements
    only (providers.rules)."""
    from providers import rules

    check = {
        "recommendation": rules.check_recommendation_stop,
        "order": rules.check_order_stop,
    }[kind]
    try:
        check(unit, True)
    except RuleViolation:
        return False
    return True
