from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from categories import selectors


@login_required
def service_list(request):
    return render(
        request,
        "categories/service_list.html",
        {"areas": selectors.taxonomy(), "operating_forms": list(selectors.operating_forms())},
    )
