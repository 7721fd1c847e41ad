"""Template helpers of the follow-up pages."""

from __future__ import annotations

from django import template

register = template.Library()

# Badge tones (CSS classes of the register's status badges) per stored value.
TONES = {
    # check results
    "open": "draft",
    "passed": "published",
    "remark": "paused",
    "failed": "removed",
    # control decisions
    "pending": "under_control",
    "approved": "published",
    "rejected": "removed",
    # feedback
    "received": "under_control",
    "communicated": "paused",
    "answered": "paused",
    "closed": "draft",
    # deep-control outcomes and procurement decisions
    "no_action": "published",
    "paused": "paused",
    "removed": "removed",
    "recommendation_stop": "stop",
    "order_stop_proposed": "paused",
    "decided": "stop",
    "declined": "draft",
    # site visits
    "appropriate": "published",
    "not_appropriate": "removed",
}


@register.filter
def tone(value: str) -> str:
    return TONES.get(str(value), "draft")


@register.filter
def filename(file) -> str:
    return str(file.name).rsplit("/", 1)[-1] if file else ""
