from rest_framework.permissions import BasePermission

from spink.accounts import access


class RolePermission(BasePermission):
    """Signed in, and the view's `required_capability` (if any) belongs to the user's role.

    Record scope is applied in the views' querysets through `access.visible`, so a record
    outside the user's scope answers 404, exactly like one that does not exist.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        capability = getattr(view, "required_capability", None)
        return capability is None or access.has_capability(user, capability)
