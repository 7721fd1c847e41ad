"""The main menu: each entry is shown only to users whose role has its capability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from spink.accounts.access import Capability, has_capability


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: Capability | None  # None: everyone signed in


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", None),
    NavItem(_("My requests"), "placements:request-list", Capability.SUBMIT_PLACEMENT_REQUEST),
    NavItem(_("Work queue"), "placements:queue", Capability.HANDLE_PLACEMENT_REQUEST),
    NavItem(_("Organisation"), "accounts:org-unit-list", Capability.VIEW_ORGANISATION),
    NavItem(_("Provider register"), "providers:unit-list", Capability.VIEW_REGISTER),
    NavItem(_("Framework agreements"), "providers:agreement-list", Capability.MANAGE_AGREEMENTS),
    NavItem(_("Signals"), "monitoring:signal-list", Capability.RUN_FOLLOWUP),
    NavItem(_("Lodge feedback"), "followup:feedback-create", Capability.LODGE_FEEDBACK),
    NavItem(_("Controls"), "followup:control-list", Capability.RUN_FOLLOWUP),
    NavItem(_("Feedback"), "followup:feedback-list", Capability.RUN_FOLLOWUP),
    NavItem(_("Deep controls"), "followup:deep-control-list", Capability.RUN_FOLLOWUP),
    NavItem(_("Site visits"), "followup:site-visit-list", Capability.PLAN_SITE_VISITS),
    NavItem(_("Order stop proposals"), "followup:proposal-list", Capability.DECIDE_ORDER_STOP),
    NavItem(_("Category plans"), "category_plans:plan-list", Capability.VIEW_CATEGORY_PLANS),
    NavItem(_("Statistics"), "statistics:yearly", Capability.VIEW_STATISTICS),
    NavItem(_("Service taxonomy"), "categories:service-list", None),
    NavItem(_("API documentation"), "api-docs", Capability.ADMINISTER),
]


def menu_for(user, current_path: str) -> list[dict]:
    items: list[dict[str, Any]] = []
    for item in NAV_ITEMS:
        if item.capability is not None and not has_capability(user, item.capability):
            continue
        url = reverse(item.url_name)
        matches = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "current": False, "matches": matches})
    # Menu URLs nest (/register/ and /register/agreements/): only the closest is current.
    matching = [entry for entry in items if entry.pop("matches")]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["current"] = True
    return items
