"""Reads of placement requests, always through the access scope."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from placements.models import (
    OPEN_STATUSES,
    PlacementRequest,
    Recommendation,
    RecommendationSet,
    RequestStatus,
    TimelineEvent,
)
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


def timeline_for(user: User, request: PlacementRequest) -> QuerySet[TimelineEvent]:
    """The request's timeline as `user` may read it, oldest first: without the internal notes
    unless access.may_read_internal_notes (left out by the query, not by a template)."""
    events = request.timeline.select_related("actor")
    if not access.may_read_internal_notes(user, request):
        events = events.exclude(kind=TimelineEvent.Kind.INTERNAL_NOTE)
    return events


def shared_timeline(request: PlacementRequest) -> QuerySet[TimelineEvent]:
    """The timeline as it leaves Spink (print, exports): never the internal notes."""
    return request.timeline.select_related("actor").exclude(kind=TimelineEvent.Kind.INTERNAL_NOTE)


# A second request for the same person and service among these is shown before submitting.
DUPLICATE_STATUSES = OPEN_STATUSES


def open_duplicates(user: User, request: PlacementRequest) -> QuerySet[PlacementRequest]:
    """The other requests for `request`'s person and service that are still open (submitted,
    in matching, recommended) or another draft of the same author — only those `user` may
    see, person included (visible_requests and access.person_visible_filter), so that the
    warning never tells anyone of a request they could not open."""
    if not request.person_key or not request.service_id:
        return PlacementRequest.objects.none()
    same = Q(status__in=DUPLICATE_STATUSES) | Q(
        status=RequestStatus.DRAFT, social_worker_id=request.social_worker_id
    )
    return (
        visible_requests(user)
        .filter(access.person_visible_filter(user))
        .filter(same, person_key=request.person_key, service_id=request.service_id)
        .exclude(pk=request.pk)
        .order_by("-created_at", "-pk")
    )


def recommendation_sets(request: PlacementRequest) -> QuerySet[RecommendationSet]:
    """The request's recommendation sets, oldest first, each with its recommendations and
    their units (two queries for any number of sets)."""
    return request.recommendation_sets.select_related("sent_by").prefetch_related(
        Prefetch(
            "recommendations",
            queryset=Recommendation.objects.select_related(
                "offering__unit__provider", "offering__operating_form", "created_by"
            ).order_by("pk"),
        )
    )
