"""Reads of placement requests, always through the access scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from placements.models import OPEN_STATUSES, PlacementRequest, RequestStatus
from spink.accounts import access
from spink.accounts.models import User


def visible_requests(user: User) -> QuerySet[PlacementRequest]:
    """Requests the user may see: own administration (social workers), own municipality
    (placement officers, managers). Drafts are visible only to their author."""
    requests = access.visible(user, PlacementRequest.objects.all()).select_related(
        "service",
        "subcategory",
        "administration",
        "org_unit",
        "assigned_officer",
        "social_worker",
    )
    return requests.filter(~Q(status=RequestStatus.DRAFT) | Q(social_worker_id=user.pk))


def work_queue(user: User, team: str | None = None) -> QuerySet[PlacementRequest]:
    """Open requests for a placement officer's team: acute first, then oldest first."""
    team = team or user.placement_team
    return (
        visible_requests(user)
        # An IN over the open statuses (not a NOT IN over the others) lets the queue index
        # find the few hundred open requests among a municipality's hundreds of thousands.
        .filter(team=team, status__in=OPEN_STATUSES)
        .order_by("urgency", "submitted_at", "pk")  # "acute" sorts before "planned"
    )
