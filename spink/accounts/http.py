"""Request types for the type checker: the requests of views that only signed-in users reach.

A view behind `login_required`, and every API view (RolePermission refuses anonymous callers),
sees a signed-in user, never AnonymousUser. Annotating its request with these types says so;
at run time they are the ordinary request classes' subclasses, never instantiated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from spink.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a `login_required` view."""

    user: User


class AuthenticatedRequest(Request):
    """The request of an API view (spink.accounts.api.permissions.RolePermission)."""

    user: User
