"""Reads of notifications (always the user's own) and of who receives one."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification, Preference
from notifications.rules import ROWS, Recipient
from placements import rules as placement_rules
from placements import selectors as placement_selectors
from placements.models import Deviation, PlacementRequest, TimelineEvent
from spink.accounts.models import Role, User


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, with the one field of the request they show
    (its reference: no person data is even read)."""
    notifications = (
        Notification.objects.filter(recipient=user)
        .select_related("request")
        .only("id", "kind", "created_at", "read_at", "request_id", "request__reference")
        .order_by("-created_at", "-id")
    )
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def unread_count(user: User) -> int:
    """One query (the partial index notification_unread)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def may_see(user: User, request: PlacementRequest) -> bool:
    """Whether the request is in the user's scope (a recipient must be able to open it)."""
    return placement_selectors.visible_requests(user).filter(pk=request.pk).exists()


def team_officers(request: PlacementRequest) -> QuerySet[User]:
    """The active placement officers of the request's team in its municipality."""
    return User.objects.filter(
        is_active=True,
        role=Role.PLACEMENT_OFFICER,
        placement_team=request.team,
        municipality_id=request.administration.municipality_id,
    ).order_by("pk")


def recipients(
    recipient: Recipient, request: PlacementRequest, event: TimelineEvent | None = None
) -> list[User]:
    """The users `recipient` names for `request` (and the event, for a deviation's lodger)."""
    if recipient == Recipient.SOCIAL_WORKER:
        return [request.social_worker]
    if recipient == Recipient.ASSIGNED_OFFICER:
        if request.assigned_officer_id is None or request.assigned_officer is None:
            return []
        return [request.assigned_officer]
    if recipient == Recipient.OFFICERS:
        if request.assigned_officer_id is not None and request.assigned_officer is not None:
            return [request.assigned_officer]
        return list(team_officers(request))
    if recipient == Recipient.DEVIATION_HANDLERS:
        return [
            user
            for user in team_officers(request)
            if placement_rules.may_handle_deviations(user, request)
        ]
    if recipient == Recipient.DEVIATION_LODGER:
        deviation_id = (event.data or {}).get("deviation") if event is not None else None
        deviation = (
            Deviation.objects.select_related("lodged_by").filter(pk=deviation_id).first()
            if deviation_id
            else None
        )
        return [deviation.lodged_by] if deviation is not None else []
    raise ValueError(recipient)


def wants_email(user: User, kind: str) -> bool:
    """The user's choice for `kind`, or the row's default without one."""
    row = ROWS[kind]
    if not row.email_choice:
        return False
    chosen = (
        Preference.objects.filter(user=user, kind=kind).values_list("by_email", flat=True).first()
    )
    return row.email_by_default if chosen is None else chosen


def email_choices(user: User) -> dict[str, bool]:
    """Every kind's e-mail choice for the user, defaults filled in (one query)."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "by_email"))
    return {
        kind: chosen.get(kind, row.email_by_default)
        for kind, row in ROWS.items()
        if row.email_choice
    }
