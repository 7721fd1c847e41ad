from django.urls import reverse

from spink.accounts import access
from spink.accounts.navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {
        "nav_items": menu_for(user, request.path),
        # The header's search field (placements:search), for those who may search requests.
        "header_search_url": (
            reverse("placements:search") if access.may_search_requests(user) else None
        ),
    }
