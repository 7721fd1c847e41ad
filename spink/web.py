"""Web glue every app's views share: htmx partials, capability questions, refusals on forms
and pages, and the tones of status badges.

Views stay thin: they ask access for who may, a workflow for what is possible, call one
service, and use these helpers to answer; nothing here decides a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from spink.accounts import access
from spink.accounts.access import Capability
from spink.errors import RuleViolation
from spink.workflow import refusal_status

__all__ = [
    "Tone",
    "add_refusal",
    "can",
    "can_any",
    "refusal_status",
    "render_page_or_partial",
    "wants_partial",
]


# --- Capabilities --------------------------------------------------------------------------


def can(request: HttpRequest, capability: Capability) -> bool:
    return access.has_capability(request.user, capability)


def can_any(request: HttpRequest, *capabilities: Capability) -> bool:
    return any(access.has_capability(request.user, capability) for capability in capabilities)


# --- htmx partials -------------------------------------------------------------------------


def wants_partial(request: HttpRequest, target: str | None = None) -> bool:
    """Whether htmx asks for the region `target` only (any region when None). A history
    restore after a cache miss needs the whole page, never the fragment."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def render_page_or_partial(
    request: HttpRequest,
    *,
    page: str,
    partial: str,
    context: Mapping[str, Any],
    target: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only the swapped region's template when htmx asks for it; cached
    answers vary on the htmx headers so that a browser never shows one for the other."""
    results_only = wants_partial(request, target)
    response = render(
        request,
        partial if results_only else page,
        {**context, "results_only": results_only},
        status=status,
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- Refusals ------------------------------------------------------------------------------


def add_refusal(form: forms.Form, error: RuleViolation | ValidationError) -> None:
    """Show a service's refusal on the form: a rule's refusal above the fields, a
    ValidationError next to the fields it names (above them when the form has no such
    field)."""
    if isinstance(error, RuleViolation):
        form.add_error(None, str(error.message))
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Badges --------------------------------------------------------------------------------


class Tone(enum.StrEnum):
    """The tones of status badges (CSS `badge--<tone>`); every status enum maps its members
    to one of these in its own app, so that no template keys colours by raw strings."""

    NEUTRAL = "draft"
    ACTIVE = "under_control"
    GOOD = "published"
    WARNING = "paused"
    BAD = "removed"
    STOP = "stop"
