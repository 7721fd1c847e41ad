from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from spink.accounts import access, selectors
from spink.accounts.access import Capability


def require_capability(request, capability: Capability) -> None:
    if not access.has_capability(request.user, capability):
        raise PermissionDenied


@login_required
def org_unit_list(request):
    require_capability(request, Capability.VIEW_ORGANISATION)
    return render(
        request,
        "accounts/org_unit_list.html",
        {"org_units": selectors.visible_org_units(request.user)},
    )


@login_required
def org_unit_detail(request, pk: int):
    require_capability(request, Capability.VIEW_ORGANISATION)
    org_unit = access.get_visible_or_404(
        request.user, selectors.visible_org_units(request.user), pk=pk
    )
    return render(
        request,
        "accounts/org_unit_detail.html",
        {"org_unit": org_unit, "members": selectors.org_unit_members(request.user, org_unit)},
    )
