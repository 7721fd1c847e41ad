import pytest
from django.core.exceptions import ValidationError

from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import Role, User
from tests.factories import OrgUnitFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_social_worker_without_org_unit_is_invalid():
    user = User(username="x", role=Role.SOCIAL_WORKER)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert "org_unit" in excinfo.value.error_dict


def test_placement_officer_needs_a_team():
    unit = OrgUnitFactory()
    user = User(
        username="x", role=Role.PLACEMENT_OFFICER, municipality=unit.administration.municipality
    )
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert "placement_team" in excinfo.value.error_dict


def test_clean_derives_administration_and_municipality_from_org_unit():
    unit = OrgUnitFactory()
    user = User(username="x", role=Role.SOCIAL_WORKER, org_unit=unit)
    user.full_clean(exclude=["password"])
    assert user.administration == unit.administration
    assert user.municipality == unit.administration.municipality


@pytest.mark.parametrize(
    ("role", "capability", "expected"),
    [
        (Role.SOCIAL_WORKER, Capability.SUBMIT_PLACEMENT_REQUEST, True),
        (Role.SOCIAL_WORKER, Capability.EDIT_REGISTER, False),
        (Role.PLACEMENT_OFFICER, Capability.HANDLE_PLACEMENT_REQUEST, True),
        (Role.PLACEMENT_OFFICER, Capability.DECIDE_ORDER_STOP, False),
        (Role.QUALITY_CONTROL, Capability.EDIT_REGISTER, True),
        (Role.QUALITY_CONTROL, Capability.DECIDE_ORDER_STOP, False),
        (Role.PROCUREMENT, Capability.DECIDE_ORDER_STOP, True),
        (Role.MANAGER, Capability.VIEW_STATISTICS, True),
        (Role.MANAGER, Capability.SUBMIT_PLACEMENT_REQUEST, False),
        (Role.ADMINISTRATOR, Capability.DECIDE_ORDER_STOP, True),
    ],
)
def test_capabilities_follow_the_role(role, capability, expected):
    assert access.has_capability(user_with_role(role), capability) is expected


def test_user_changes_are_recorded_in_history():
    user = user_with_role(Role.MANAGER, first_name="Före")
    before = user.history.count()
    user.first_name = "Ändrad"
    user.save()
    assert user.history.count() == before + 1
    latest, previous = user.history.all()[:2]
    assert (previous.first_name, latest.first_name) == ("Före", "Ändrad")
    assert latest.history_type == "~"
