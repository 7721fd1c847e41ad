"""Nobody reaches another administration's or municipality's records by guessing IDs."""

import pytest
from django.urls import reverse

from spink.accounts import access
from spink.accounts.models import OrgUnit, Role
from tests.factories import (
    AdministrationFactory,
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    social_worker,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    """Two municipalities; the first has two administrations, each with one unit."""
    gothenburg = MunicipalityFactory(name="Göteborg", code="1480")
    molndal = MunicipalityFactory(name="Mölndal", code="1481")
    centrum = AdministrationFactory(municipality=gothenburg, name="Centrum")
    hisingen = AdministrationFactory(municipality=gothenburg, name="Hisingen")
    molndal_admin = AdministrationFactory(municipality=molndal, name="SAF Mölndal")
    return {
        "gothenburg": gothenburg,
        "molndal": molndal,
        "centrum_unit": OrgUnitFactory(administration=centrum, name="BoU Centrum"),
        "hisingen_unit": OrgUnitFactory(administration=hisingen, name="BoU Hisingen"),
        "molndal_unit": OrgUnitFactory(administration=molndal_admin, name="BoU Mölndal"),
    }


def visible_unit_names(user):
    return set(access.visible(user, OrgUnit.objects.all()).values_list("name", flat=True))


def test_social_worker_sees_only_own_administration(region):
    worker = social_worker(org_unit=region["centrum_unit"])
    assert visible_unit_names(worker) == {"BoU Centrum"}


def test_placement_officer_sees_own_municipality_only(region):
    officer = placement_officer(region["gothenburg"])
    assert visible_unit_names(officer) == {"BoU Centrum", "BoU Hisingen"}


def test_register_roles_see_no_administration_records(region):
    for role in (Role.QUALITY_CONTROL, Role.PROCUREMENT):
        assert visible_unit_names(user_with_role(role, region["gothenburg"])) == set()


def test_administrator_sees_everything(region):
    admin = user_with_role(Role.ADMINISTRATOR)
    assert visible_unit_names(admin) == {"BoU Centrum", "BoU Hisingen", "BoU Mölndal"}


def test_inactive_user_sees_nothing(region):
    worker = social_worker(org_unit=region["centrum_unit"], is_active=False)
    assert visible_unit_names(worker) == set()


def test_page_for_another_administrations_unit_is_not_found(client, region):
    client.force_login(social_worker(org_unit=region["centrum_unit"]))
    own = client.get(reverse("accounts:org-unit-detail", args=[region["centrum_unit"].pk]))
    other = client.get(reverse("accounts:org-unit-detail", args=[region["hisingen_unit"].pk]))
    assert own.status_code == 200
    assert other.status_code == 404
    assert "BoU Hisingen" not in other.content.decode()


def test_page_for_another_municipalitys_unit_is_not_found(client, region):
    client.force_login(placement_officer(region["gothenburg"]))
    response = client.get(reverse("accounts:org-unit-detail", args=[region["molndal_unit"].pk]))
    assert response.status_code == 404


def test_organisation_list_lists_only_scoped_units(client, region):
    client.force_login(social_worker(org_unit=region["hisingen_unit"]))
    body = client.get(reverse("accounts:org-unit-list")).content.decode()
    assert "BoU Hisingen" in body
    assert "BoU Centrum" not in body
    assert "BoU Mölndal" not in body


def test_role_without_capability_is_refused_the_organisation_page(client, region):
    client.force_login(user_with_role(Role.QUALITY_CONTROL, region["gothenburg"]))
    assert client.get(reverse("accounts:org-unit-list")).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, region):
    response = client.get(reverse("accounts:org-unit-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_api_lists_only_scoped_units(client, region):
    client.force_login(social_worker(org_unit=region["centrum_unit"]))
    data = client.get("/api/v1/org-units/").json()
    assert [unit["name"] for unit in data["results"]] == ["BoU Centrum"]


@pytest.mark.parametrize("target", ["hisingen_unit", "molndal_unit"])
def test_api_detail_outside_scope_is_not_found(client, region, target):
    client.force_login(social_worker(org_unit=region["centrum_unit"]))
    assert client.get(f"/api/v1/org-units/{region[target].pk}/").status_code == 404


def test_api_filter_cannot_widen_scope(client, region):
    client.force_login(placement_officer(region["gothenburg"]))
    other_admin = region["molndal_unit"].administration_id
    data = client.get(f"/api/v1/org-units/?administration={other_admin}").json()
    assert data["count"] == 0


def test_api_with_token_auth_is_scoped_the_same(client, region):
    from rest_framework.authtoken.models import Token

    officer = placement_officer(region["molndal"])
    token = Token.objects.create(user=officer)
    response = client.get("/api/v1/org-units/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [unit["name"] for unit in response.json()["results"]] == ["BoU Mölndal"]


def test_api_refuses_anonymous_and_wrong_role(client, region):
    assert client.get("/api/v1/org-units/").status_code in (401, 403)
    client.force_login(user_with_role(Role.PROCUREMENT, region["gothenburg"]))
    assert client.get("/api/v1/org-units/").status_code == 403


def test_me_endpoint_describes_the_caller(client, region):
    worker = social_worker(org_unit=region["centrum_unit"])
    client.force_login(worker)
    data = client.get("/api/v1/me/").json()
    assert data["role"] == "social_worker"
    assert data["administration"] == region["centrum_unit"].administration_id
