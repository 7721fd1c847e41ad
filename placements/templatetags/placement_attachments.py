"""The attachment section of the request page, with its own reads (placements.attachments),
so that the page's view needs to know nothing of attachments."""

from __future__ import annotations

from typing import Any

from django import template

from placements import attachments

register = template.Library()


@register.inclusion_tag("placements/includes/attachments.html", takes_context=True)
def attachment_section(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    form = context.get("attachment_form")  # a failed upload's bound form (views.attachment_add)
    data = attachments.section(
        context["placement"], context["user"], set(context.get("actions") or ()), form=form
    )
    return {**data, "csrf_token": context.get("csrf_token"), "request": request}
