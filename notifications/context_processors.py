"""The unread count for the header's badge (templates/includes/notification_badge.html).

Lazy: the count is read (one query) only when a template uses `notifications_unread`, and at
most once per request, so pages without the badge pay nothing."""

from __future__ import annotations

from notifications import selectors


def unread_count_of(request) -> int:
    """The signed-in user's unread notifications, counted once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_notifications_unread", None)
    if cached is None:
        cached = selectors.unread_count(user)
        request._notifications_unread = cached
    return cached


def unread_notifications(request):
    # A callable: the template engine calls it when (and only if) the variable is used.
    return {"notifications_unread": lambda: unread_count_of(request)}
