from django.db.models import Prefetch
from rest_framework import viewsets

from categories.api.serializers import ServiceSerializer
from categories.models import Service, Subcategory
from spink.api import ID_PATH_PATTERN


class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """The service taxonomy with the operating-form matrix; readable by every signed-in user."""

    serializer_class = ServiceSerializer
    queryset = (
        Service.objects.filter(is_active=True)
        .select_related("area")
        .prefetch_related(
            "operating_forms",
            Prefetch("subcategories", queryset=Subcategory.objects.filter(is_active=True)),
        )
    )
    filterset_fields = {"area__code": ["exact"]}
    pagination_class = None
    lookup_value_regex = ID_PATH_PATTERN
