"""Coordinates of municipalities and units: in range, both or neither, in the form and the API
(the database refuses what the forms would let through without them)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from providers.forms import UnitForm
from providers.models import UNIT_EDITABLE_FIELDS, Unit
from spink.accounts.models import Municipality, Role
from tests.factories import MunicipalityFactory, ProviderFactory, UnitFactory, user_with_role

pytestmark = pytest.mark.django_db

MOLNDAL = {"latitude": Decimal("57.65567"), "longitude": Decimal("12.01376")}


@pytest.fixture(params=["municipality", "unit"])
def record(request):
    return MunicipalityFactory() if request.param == "municipality" else UnitFactory()


def test_coordinates_are_optional_and_kept_to_five_decimals(record):
    record.full_clean()  # none at all is fine
    record.latitude, record.longitude = MOLNDAL["latitude"], MOLNDAL["longitude"]
    record.full_clean()
    record.save()
    record.refresh_from_db()
    assert (record.latitude, record.longitude) == (Decimal("57.65567"), Decimal("12.01376"))


@pytest.mark.parametrize("given", ["latitude", "longitude"])
def test_one_coordinate_without_the_other_is_refused(record, given):
    setattr(record, given, MOLNDAL[given])
    with pytest.raises(ValidationError) as excinfo:
        record.full_clean()
    assert "Ange både latitud och longitud" in str(excinfo.value)


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [("90.00001", "12", "latitude"), ("-91", "12", "latitude"), ("57", "180.5", "longitude")],
)
def test_coordinates_outside_the_globe_are_refused_on_the_field(record, latitude, longitude, field):
    record.latitude, record.longitude = Decimal(latitude), Decimal(longitude)
    with pytest.raises(ValidationError) as excinfo:
        record.full_clean()
    assert set(excinfo.value.message_dict) == {field}


@pytest.mark.parametrize(
    "values",
    [
        {"latitude": Decimal("57.7")},  # without a longitude
        {"latitude": Decimal("95"), "longitude": Decimal("12")},
        {"latitude": Decimal("57.7"), "longitude": Decimal("-181")},
    ],
)
@pytest.mark.parametrize("model", [Municipality, Unit])
def test_the_database_refuses_coordinates_that_skip_validation(model, values):
    record = MunicipalityFactory() if model is Municipality else UnitFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=record.pk).update(**values)


def test_unit_coordinates_are_editable_in_the_form_the_api_and_the_history():
    assert {"latitude", "longitude"} <= set(UNIT_EDITABLE_FIELDS)
    unit = UnitFactory()
    form = UnitForm(instance=unit)
    assert form.fields["latitude"].required is False
    client = APIClient()
    user = user_with_role(Role.QUALITY_CONTROL)
    client.force_authenticate(user)
    response = client.patch(
        f"/api/v1/units/{unit.pk}/",
        {"latitude": "57.65567", "longitude": "12.01376"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["latitude"], response.json()["longitude"]) == ("57.65567", "12.01376")
    unit.refresh_from_db()
    assert (unit.latitude, unit.longitude) == (MOLNDAL["latitude"], MOLNDAL["longitude"])
    assert unit.history.latest().latitude == MOLNDAL["latitude"]


def test_api_answers_400_for_a_lone_coordinate():
    unit = UnitFactory()
    client = APIClient()
    client.force_authenticate(user_with_role(Role.QUALITY_CONTROL))
    response = client.patch(f"/api/v1/units/{unit.pk}/", {"latitude": "57.7"}, format="json")
    assert response.status_code == 400, response.content
    unit.refresh_from_db()
    assert unit.latitude is None


def test_unit_form_refuses_a_lone_coordinate(client):
    provider = ProviderFactory()
    client.force_login(user_with_role(Role.QUALITY_CONTROL))
    data = {
        "name": "Ekbacken",
        "municipality": provider.municipality_id,
        "age_min": 18,
        "age_max": 65,
        "gender": "any",
        "places": 10,
    }
    url = reverse("providers:unit-create", args=[provider.pk])
    response = client.post(url, {**data, "longitude": "12.01376"})
    assert response.status_code == 400
    assert not Unit.objects.filter(name="Ekbacken").exists()
    response = client.post(url, {**data, "latitude": "57.65567", "longitude": "12.01376"})
    assert response.status_code == 302
    assert Unit.objects.get(name="Ekbacken").latitude == MOLNDAL["latitude"]
