"""Template helpers of the follow-up pages."""

from __future__ import annotations

from django import template

from followup import rules

register = template.Library()


@register.filter
def tone(value) -> str:
    """The badge tone (CSS `badge--<tone>`) of a stored value, from followup.rules.TONES."""
    return str(rules.tone(value))


@register.filter
def filename(file) -> str:
    return str(file.name).rsplit("/", 1)[-1] if file else ""
