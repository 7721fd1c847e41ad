"""Reads of placement requests, always through the access scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from placements.models import CLOSED_STATUSES, PlacementRequest, RequestStatus
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
        .filter(team=team)
        .exclude(status__in=[RequestStatus.DRAFT, *CLOSED_STATUSES])
        .order_by("urgency", "submitted_at", "pk")  # "acute" sorts before "planned"
    )
