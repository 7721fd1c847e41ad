import pytest

from categories.models import CategoryArea, OperatingForm, Service

pytestmark = pytest.mark.django_db


def test_taxonomy_is_loaded_with_the_three_category_areas():
    assert list(CategoryArea.objects.values_list("name_sv", flat=True)) == [
        "IFO Vuxen",
        "IFO Barn och unga",
        "Funktionsstöd",
    ]
    assert Service.objects.count() == 11


@pytest.mark.parametrize(
    ("service", "form", "allowed"),
    [
        ("skyddat-boende", "iop", True),
        ("socialt-boende", "iop", False),
        ("nodbistand-boende", "framework", False),
        ("bostad-forst", "direct", False),
        ("hvb", "own", True),
        ("familjehem", "own", False),
    ],
)
def test_operating_form_matrix(service, form, allowed):
    assert Service.objects.get(code=service).allows(form) is allowed


def test_matching_preference_is_own_then_framework_then_direct():
    ranks = dict(OperatingForm.objects.values_list("code", "preference_rank"))
    assert ranks["own"] < ranks["framework"] < ranks["direct"]


def test_subcategories_belong_to_their_service():
    hvb = Service.objects.get(code="hvb")
    assert set(hvb.subcategories.values_list("name_sv", flat=True)) == {
        "Akut",
        "Behandlingsuppdrag",
        "Utredningsuppdrag",
    }


def test_services_api_lists_matrix(client, django_user_model):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    data = client.get("/api/v1/services/?area__code=vuxen").json()
    by_code = {row["code"]: row for row in data}
    assert set(by_code) == {
        "socialt-boende",
        "nodbistand-boende",
        "behandlingsinsatser",
        "skyddat-boende",
        "bostad-forst",
    }
    assert set(by_code["skyddat-boende"]["operating_forms"]) == {
        "own",
        "framework",
        "direct",
        "iop",
    }


def test_taxonomy_page_shows_swedish_names_by_default(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    body = client.get("/taxonomy/").content.decode()
    assert "Korttidsboende SoL" in body
    assert "Skyddat boende" in body
