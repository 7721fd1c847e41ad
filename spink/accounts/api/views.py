from rest_framework import generics, viewsets

from spink.accounts import selectors
from spink.accounts.access import Capability
from spink.accounts.api.serializers import MeSerializer, OrgUnitSerializer
from spink.accounts.http import AuthenticatedRequest
from spink.api import ID_PATH_PATTERN


class MeView(generics.RetrieveAPIView):
    """The signed-in user, with role and place in the organisation."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisation units within the caller's scope."""

    request: AuthenticatedRequest
    serializer_class = OrgUnitSerializer
    required_capability = Capability.VIEW_ORGANISATION
    filterset_fields = ["administration"]
    lookup_value_regex = ID_PATH_PATTERN

    def get_queryset(self):
        return selectors.visible_org_units(self.request.user)
