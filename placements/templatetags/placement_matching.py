"""The matching section of the request page, with its own reads (placements.recommending),
so that the page's view needs to know nothing of matching."""

from __future__ import annotations

from typing import Any

from django import template

from placements import recommending

register = template.Library()


@register.inclusion_tag("placements/includes/matching.html", takes_context=True)
def matching_section(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    placement = context["placement"]
    section = recommending.matching_section(
        placement,
        context["user"],
        set(context.get("actions") or ()),
        show_all=request.GET.get("matches") == "all",
        show_excluded=request.GET.get("excluded") == "all",
        # The page's own list of recommendations (read once, by the recommendations section).
        recommendations=context.get("recommendations"),
    )
    return {
        "matching": section,
        "shortlist": section.shortlist if section is not None else [],
        "placement": placement,
        "actions": context.get("actions") or (),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
