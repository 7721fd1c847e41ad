"""Authorisation: the one place that says who may do what, and which records they may see.

Every view, API endpoint, export and task asks this module; nothing else decides access.

* Capabilities are what a role may do (`has_capability`).
* Record scope is which records of an administration a user may see (`visible`). A model
  takes part by naming the lookups to its owning administration and municipality in
  `scope_lookups = ScopeLookups(administration=..., municipality=...)`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from spink.accounts.models import Role, ScopeLookups, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

M = TypeVar("M", bound=Model)


class Capability(StrEnum):
    VIEW_ORGANISATION = "view_organisation"
    SUBMIT_PLACEMENT_REQUEST = "submit_placement_request"
    HANDLE_PLACEMENT_REQUEST = "handle_placement_request"
    VIEW_REGISTER = "view_register"  # matchable units only
    VIEW_FULL_REGISTER = "view_full_register"  # every unit, whatever its status
    EDIT_REGISTER = "edit_register"
    MANAGE_AGREEMENTS = "manage_agreements"
    DECIDE_ORDER_STOP = "decide_order_stop"
    RUN_FOLLOWUP = "run_followup"
    LODGE_FEEDBACK = "lodge_feedback"  # feedback (synpunkt) about a unit, by those placing
    PLAN_SITE_VISITS = "plan_site_visits"  # matching-focused site visits
    VIEW_STATISTICS = "view_statistics"
    VIEW_CATEGORY_PLANS = "view_category_plans"
    EDIT_CATEGORY_PLANS = "edit_category_plans"
    ADMINISTER = "administer"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.SOCIAL_WORKER: frozenset(
        {
            Capability.VIEW_ORGANISATION,
            Capability.SUBMIT_PLACEMENT_REQUEST,
            Capability.VIEW_REGISTER,
            Capability.LODGE_FEEDBACK,
        }
    ),
    Role.PLACEMENT_OFFICER: frozenset(
        {
            Capability.VIEW_ORGANISATION,
            Capability.HANDLE_PLACEMENT_REQUEST,
            Capability.VIEW_REGISTER,
            Capability.LODGE_FEEDBACK,
            Capability.PLAN_SITE_VISITS,
        }
    ),
    Role.QUALITY_CONTROL: frozenset(
        {
            Capability.VIEW_REGISTER,
            Capability.VIEW_FULL_REGISTER,
            Capability.EDIT_REGISTER,
            Capability.RUN_FOLLOWUP,
            Capability.PLAN_SITE_VISITS,
            Capability.VIEW_CATEGORY_PLANS,
        }
    ),
    Role.PROCUREMENT: frozenset(
        {
            Capability.VIEW_REGISTER,
            Capability.VIEW_FULL_REGISTER,
            Capability.MANAGE_AGREEMENTS,
            Capability.DECIDE_ORDER_STOP,
            Capability.VIEW_CATEGORY_PLANS,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Capability.VIEW_ORGANISATION,
            Capability.VIEW_STATISTICS,
            Capability.VIEW_REGISTER,
            Capability.VIEW_CATEGORY_PLANS,
            Capability.EDIT_CATEGORY_PLANS,
        }
    ),
    Role.ADMINISTRATOR: frozenset(Capability),
}

# Roles that see administration-owned records of their whole municipality; a social worker
# sees only their own administration's; the register roles see none (they need no person data).
MUNICIPALITY_WIDE_ROLES = frozenset({Role.PLACEMENT_OFFICER, Role.MANAGER})


def is_administrator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_administrator)


def has_capability(user: User | AnonymousUser, capability: Capability) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if is_administrator(user):
        return True
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def visible(user: User | AnonymousUser, queryset: QuerySet[M]) -> QuerySet[M]:
    """The part of `queryset` that `user` may see; empty for anyone without a scope."""
    lookups: ScopeLookups | None = getattr(queryset.model, "scope_lookups", None)
    if lookups is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_lookups")
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if is_administrator(user):
        return queryset
    if user.role == Role.SOCIAL_WORKER and user.administration_id:
        return queryset.filter(**{f"{lookups.administration}_id": user.administration_id})
    if user.role in MUNICIPALITY_WIDE_ROLES and user.municipality_id:
        return queryset.filter(**{f"{lookups.municipality}_id": user.municipality_id})
    return queryset.none()


def may_search_requests(user: User | AnonymousUser) -> bool:
    """Who gets the header's search for requests: those who write or handle them."""
    return has_capability(user, Capability.SUBMIT_PLACEMENT_REQUEST) or has_capability(
        user, Capability.HANDLE_PLACEMENT_REQUEST
    )


def placement_officers_of(user: User | AnonymousUser) -> QuerySet[User]:
    """The placement officers a list may filter by: those of the user's municipality."""
    officers = within_municipality(user, User.objects.filter(is_active=True), "municipality")
    return officers.filter(role=Role.PLACEMENT_OFFICER).order_by("first_name", "last_name")


def get_visible_or_404(user: User, queryset: QuerySet[M], **lookup) -> M:
    """Fetch one record the user may see; others look exactly like records that do not exist."""
    try:
        return visible(user, queryset).get(**lookup)
    except ObjectDoesNotExist:  # queryset.model.DoesNotExist, which the checker cannot see on M
        raise Http404 from None


def may_see_person(user: User | AnonymousUser, record) -> bool:
    """Whether `user` may see the person behind a placement request they can already see
    (`visible`): identity, name, address, birth date, gender — and the details that would
    point at the person (free-text needs, language, preferred area, outcome note).

    Need-to-know, as social-services secrecy expects:

    * a protected identity (skyddad identitet) is shown to nobody but the request's own social
      worker (`owner_id`) and its assigned placement officer — not to colleagues, managers or
      administrators — and never in lists, exports, logs or notifications;
    * a social worker sees the persons of their own requests and of their organisation unit's,
      of the whole administration only where the municipality has chosen so
      (`Municipality.social_workers_see_administration`);
    * a placement officer sees the persons of their own team's requests and of those assigned
      to them; other teams' requests only by reference and service;
    * a manager works with statistics and plans and sees no person at all;
    * an administrator sees persons without a protected identity.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if record.protected_identity:
        return user.pk in {record.owner_id, record.assigned_officer_id}
    if user.pk in {record.owner_id, record.assigned_officer_id} or is_administrator(user):
        return True
    if user.role == Role.SOCIAL_WORKER:
        if user.org_unit_id is not None and record.org_unit_id == user.org_unit_id:
            return True
        return (
            user.administration_id is not None
            and record.administration_id == user.administration_id
            and social_workers_see_administration(user)
        )
    if user.role == Role.PLACEMENT_OFFICER:
        return bool(user.placement_team) and record.team == user.placement_team
    return False


def may_read_internal_notes(user: User | AnonymousUser, record) -> bool:
    """Whether `user` reads (and writes) the internal notes on a placement request they can
    see: Spink's own working notes, kept from the social worker. The placement officers of
    the request's team in its municipality, its assigned officer, and administrators — never
    a social worker, never a manager. (The notes' text is, like every case text, shown only
    with the person: `may_see_person`.)"""
    if not (user.is_authenticated and user.is_active):
        return False
    if is_administrator(user):
        return True
    if not has_capability(user, Capability.HANDLE_PLACEMENT_REQUEST):
        return False
    if user.pk == record.assigned_officer_id:
        return True
    return (
        bool(user.placement_team)
        and record.team == user.placement_team
        and user.municipality_id is not None
        and user.municipality_id == record.administration.municipality_id
    )


def person_visible_filter(user: User | AnonymousUser) -> Q:
    """`may_see_person` as a filter over placement requests: the requests (within `visible`)
    whose person `user` may see. A search by person looks only there, so that it cannot tell
    anyone without the need to know that the person has a request (tests check that the two
    agree for every role and record)."""
    if not (user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    own = Q(social_worker_id=user.pk) | Q(assigned_officer_id=user.pk)
    if is_administrator(user):
        return Q(protected_identity=False) | own
    shared = Q(pk__in=[])
    if user.role == Role.SOCIAL_WORKER:
        if user.org_unit_id is not None:
            shared |= Q(org_unit_id=user.org_unit_id)
        if user.administration_id is not None and social_workers_see_administration(user):
            shared |= Q(administration_id=user.administration_id)
    elif user.role == Role.PLACEMENT_OFFICER and user.placement_team:
        shared = Q(team=user.placement_team)
    return own | (Q(protected_identity=False) & shared)


def social_workers_see_administration(user: User) -> bool:
    """The municipality's choice to widen a social worker's person data to the administration
    (read once per user object: the municipality is cached on it)."""
    return bool(
        user.municipality_id
        and user.municipality is not None  # loaded by its id
        and user.municipality.social_workers_see_administration
    )


class RequestListScope(StrEnum):
    """Which requests a social worker's list shows ("Mina" means mine)."""

    MINE = "mine"
    ORG_UNIT = "org_unit"
    ADMINISTRATION = "administration"


def request_list_scopes(user: User) -> list[RequestListScope]:
    """The list scopes a social worker may choose: their own and their unit's, and the whole
    administration where the municipality lets social workers see its persons."""
    scopes = [RequestListScope.MINE, RequestListScope.ORG_UNIT]
    if is_administrator(user) or social_workers_see_administration(user):
        scopes.append(RequestListScope.ADMINISTRATION)
    return scopes


def request_list_filter(user: User, scope: RequestListScope) -> dict[str, object]:
    """The ORM filter of a social worker's list scope (within `visible`)."""
    if scope == RequestListScope.MINE:
        return {"social_worker_id": user.pk}
    if scope == RequestListScope.ORG_UNIT:
        return {"org_unit_id": user.org_unit_id}
    return {}


def within_municipality(
    user: User | AnonymousUser, queryset: QuerySet[M], lookup: str
) -> QuerySet[M]:
    """Records owned by a municipality (`lookup` names the path to it, e.g. "municipality"):
    the user's own municipality's; all of them for an administrator; none without one."""
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if is_administrator(user):
        return queryset
    if user.municipality_id is None:
        return queryset.none()
    return queryset.filter(**{f"{lookup}_id": user.municipality_id})
