import pytest
from django.core.management import call_command

from placements.models import PlacementRequest, RequestStatus

pytestmark = pytest.mark.django_db


def test_demo_requests_cover_every_state_with_real_timelines():
    call_command("seed_demo", verbosity=0)
    statuses = set(PlacementRequest.objects.values_list("status", flat=True))
    assert statuses == set(RequestStatus.values)
    placed = PlacementRequest.objects.filter(status=RequestStatus.PLACED).first()
    assert list(placed.timeline.values_list("kind", flat=True))[-1] == "provider_chosen"
    assert PlacementRequest.objects.filter(protected_identity=True).exists()
    count = PlacementRequest.objects.count()
    call_command("seed_demo", verbosity=0)
    assert PlacementRequest.objects.count() == count
