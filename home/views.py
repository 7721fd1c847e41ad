from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from home import selectors
from spink.accounts.http import AuthenticatedHttpRequest


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "home/home.html",
        {
            "role": request.user.get_role_display(),
            "profile": selectors.profile(request.user),
            "sections": selectors.sections_for(request.user),
        },
    )
