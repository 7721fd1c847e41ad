import pytest
from django.core.management import call_command
from django.utils import timezone

from providers import rules
from providers.models import PublicationStatus, Unit
from providers.rules import offering_has_needed_permit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_register():
    call_command("seed_demo", verbosity=0)


def test_demo_register_is_realistic_in_size_and_obeys_the_register_rules(demo_register):
    assert Unit.objects.count() >= 300
    assert set(Unit.objects.values_list("offerings__service__code", flat=True).distinct()) >= {
        "hvb",
        "socialt-boende",
        "skyddat-boende",
        "korttidsboende",
        "familjehem",
    }
    assert Unit.objects.filter(provider__corporate_group__isnull=False).exists()
    assert Unit.objects.filter(status=PublicationStatus.PAUSED).exists()
    assert Unit.objects.filter(order_stop=True).exists()
    assert Unit.objects.filter(recommendation_stop=True).exists()
    check_demo_register_obeys_the_register_rules()


def check_demo_register_obeys_the_register_rules():
    today = timezone.localdate()
    for unit in Unit.objects.filter(recommendation_stop=True):
        assert unit.offerings.filter(operating_form__code="direct").exists()
    for unit in Unit.objects.filter(order_stop=True):
        assert unit.offerings.filter(operating_form__code="framework").exists()
    published = Unit.objects.filter(status=PublicationStatus.PUBLISHED).prefetch_related(
        "offerings__service", "offerings__operating_form"
    )
    for unit in published:
        for offering in unit.offerings.all():
            assert offering_has_needed_permit(offering, today)
    matchable = rules.matchable_units(today).count()
    assert 0 < matchable <= published.count()


def test_seed_demo_twice_creates_the_register_once(demo_register):
    count = Unit.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Unit.objects.count() == count
