import pytest
from django.core.management import call_command
from django.utils import timezone

from followup import rules
from followup.models import Control, Feedback, Signal
from providers.models import PublicationStatus, Unit

pytestmark = pytest.mark.django_db


def test_demo_follow_up_makes_every_published_direct_unit_publishable():
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    published_direct = Unit.objects.filter(
        status=PublicationStatus.PUBLISHED, offerings__operating_form__code="direct"
    ).distinct()
    assert published_direct.exists()
    for unit in published_direct:
        rules.check_unit_publishable(unit, today)  # raises if the control is missing
    assert Control.objects.filter(decision=Control.Decision.REJECTED).exists()
    assert Feedback.objects.filter(status=Feedback.Status.CLOSED).exists()
    assert Signal.objects.filter(kind=Signal.Kind.CREDIT).exists()
    controls = Control.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Control.objects.count() == controls
