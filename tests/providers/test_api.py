"""The register API: scope per role, writes through the services, rules as 400s, never a 500."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from categories.models import CategoryArea, Service
from providers.models import (
    AgreementUnit,
    FrameworkAgreement,
    Provider,
    PublicationStatus,
    Unit,
    UnitEvent,
)
from spink.accounts.models import Role
from tests.factories import (
    MunicipalityFactory,
    ProviderFactory,
    UnitFactory,
    next_org_number,
    offering,
    permit,
    published_unit,
    user_with_role,
)

pytestmark = pytest.mark.django_db

UNITS = "/api/v1/units/"
PROVIDERS = "/api/v1/providers/"
AGREEMENTS = "/api/v1/agreements/"


def client_for(role: Role, **kwargs) -> tuple[APIClient, object]:
    user = user_with_role(role, **kwargs)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def register():
    """A matchable unit, a draft, and a published unit hidden by a recommendation stop."""
    return {
        "matchable": published_unit("socialt-boende", "direct", name="Gården"),
        "draft": UnitFactory(name="Utkastet"),
        "stopped": published_unit(
            "socialt-boende", "direct", name="Stoppet", recommendation_stop=True
        ),
    }


def names(response) -> set[str]:
    return {unit["name"] for unit in response.json()["results"]}


# --- Reading: scope per role ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PROCUREMENT, Role.ADMINISTRATOR])
def test_register_roles_list_every_unit_whatever_its_status(register, role):
    client, _ = client_for(role)
    assert names(client.get(UNITS)) == {"Gården", "Utkastet", "Stoppet"}


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.MANAGER])
def test_placing_roles_list_only_matchable_units(register, role):
    client, _ = client_for(role)
    assert names(client.get(UNITS)) == {"Gården"}


@pytest.mark.parametrize("target", ["draft", "stopped"])
def test_unit_outside_a_social_workers_scope_is_not_found(register, target):
    client, _ = client_for(Role.SOCIAL_WORKER)
    assert client.get(f"{UNITS}{register['matchable'].pk}/").status_code == 200
    response = client.get(f"{UNITS}{register[target].pk}/")
    assert response.status_code == 404
    assert register[target].name not in response.content.decode()


def test_anonymous_caller_is_refused():
    assert APIClient().get(UNITS).status_code in (401, 403)


def test_token_authentication_gets_the_same_scope(register):
    officer = user_with_role(Role.PLACEMENT_OFFICER)
    token = Token.objects.create(user=officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert names(client.get(UNITS)) == {"Gården"}


def test_unit_shows_provider_offerings_current_price_permits_and_matchability():
    unit = published_unit("hvb", "framework", name="HVB Solen", price=2450)
    client, _ = client_for(Role.QUALITY_CONTROL)
    data = client.get(f"{UNITS}{unit.pk}/").json()
    assert data["provider"] == {
        "id": unit.provider.pk,
        "legal_name": unit.provider.legal_name,
        "org_number": unit.provider.org_number,
    }
    assert data["offerings"][0]["service"] == "hvb"
    assert data["offerings"][0]["operating_form"] == "framework"
    assert data["offerings"][0]["daily_price"] == "2450.00"
    assert data["permits"][0]["services"] == ["hvb"]
    assert data["permits"][0]["valid_today"] is True
    assert data["matchable"] is True
    assert data["status"] == "published"


def test_unit_without_the_needed_permit_is_shown_as_not_matchable():
    unit = UnitFactory(status=PublicationStatus.PUBLISHED)
    offering(unit, "hvb", "framework", price=2000)
    client, _ = client_for(Role.QUALITY_CONTROL)
    assert client.get(f"{UNITS}{unit.pk}/").json()["matchable"] is False


@pytest.mark.parametrize("path", ["abc/", "99999999999999999999999/", "-1/", "0/"])
def test_bad_unit_ids_are_not_found(path):
    client, _ = client_for(Role.QUALITY_CONTROL)
    assert client.get(f"{UNITS}{path}").status_code == 404


def test_placing_roles_see_only_providers_with_a_matchable_unit(register):
    hidden = register["draft"].provider
    client, _ = client_for(Role.PLACEMENT_OFFICER)
    listed = {p["id"] for p in client.get(PROVIDERS).json()["results"]}
    assert listed == {register["matchable"].provider_id}
    assert client.get(f"{PROVIDERS}{hidden.pk}/").status_code == 404


def test_provider_filter_finds_by_org_number_written_without_dash():
    wanted = ProviderFactory(legal_name="Sökbar AB")
    ProviderFactory(legal_name="Annan AB")
    client, _ = client_for(Role.QUALITY_CONTROL)
    digits = wanted.org_number.replace("-", "")
    data = client.get(PROVIDERS, {"q": digits}).json()
    assert [p["legal_name"] for p in data["results"]] == ["Sökbar AB"]


# --- Filtering ----------------------------------------------------------------------------------


def test_service_and_operating_form_filters_hold_for_the_same_offering():
    both = UnitFactory(name="Båda")
    offering(both, "hvb", "framework")
    offering(both, "hvb", "direct")
    split = UnitFactory(name="Delad")
    offering(split, "hvb", "direct")
    offering(split, "stodboende", "framework")
    client, _ = client_for(Role.QUALITY_CONTROL)
    data = client.get(UNITS, {"service": "hvb", "operating_form": "framework"}).json()
    assert [unit["name"] for unit in data["results"]] == ["Båda"]
    assert data["count"] == 1


def test_unit_with_many_offerings_is_listed_once():
    unit = UnitFactory()
    for form in ("own", "framework", "direct"):
        offering(unit, "hvb", form)
    client, _ = client_for(Role.QUALITY_CONTROL)
    data = client.get(UNITS, {"service": "hvb"}).json()
    assert [u["id"] for u in data["results"]] == [unit.pk]


def test_matchable_filter_uses_the_rules(register):
    client, _ = client_for(Role.QUALITY_CONTROL)
    assert names(client.get(UNITS, {"matchable": "true"})) == {"Gården"}
    assert names(client.get(UNITS, {"matchable": "false"})) == {"Utkastet", "Stoppet"}


@pytest.mark.parametrize(
    "params",
    [
        {"service": "no-such-service"},
        {"status": "bogus"},
        {"municipality": "x" * 500},
        {"operating_form": "\x00"},
        {"q": "Gården\x00"},
    ],
)
def test_bad_filter_values_answer_400_not_500(register, params):
    client, _ = client_for(Role.QUALITY_CONTROL)
    assert client.get(UNITS, params).status_code == 400


def test_filters_cannot_widen_a_placing_roles_scope(register):
    client, _ = client_for(Role.SOCIAL_WORKER)
    assert names(client.get(UNITS, {"status": "draft"})) == {"Gården"}


# --- Writing providers and units ---------------------------------------------------------------


def provider_payload(**overrides):
    return {
        "legal_name": "Nya Omsorg AB",
        "org_number": next_org_number(),
        "legal_form": "aktiebolag",
        "municipality": MunicipalityFactory().pk,
        **overrides,
    }


def test_quality_control_creates_a_provider_and_history_records_the_api_user():
    user = user_with_role(Role.QUALITY_CONTROL)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(PROVIDERS, provider_payload(), format="json")
    assert response.status_code == 201, response.content
    provider = Provider.objects.get(pk=response.json()["id"])
    assert provider.history.latest().history_user == user


def test_org_number_is_stored_in_the_canonical_spelling():
    client, _ = client_for(Role.QUALITY_CONTROL)
    digits = next_org_number().replace("-", "")
    response = client.post(PROVIDERS, provider_payload(org_number=digits), format="json")
    assert response.status_code == 201
    assert response.json()["org_number"] == f"{digits[:6]}-{digits[6:]}"


def test_org_number_with_a_wrong_check_digit_is_refused():
    client, _ = client_for(Role.QUALITY_CONTROL)
    good = next_org_number()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = client.post(PROVIDERS, provider_payload(org_number=bad), format="json")
    assert response.status_code == 400
    assert "org_number" in response.json()
    assert not Provider.objects.filter(org_number=bad).exists()


def test_org_number_already_registered_in_another_spelling_is_a_400():
    existing = ProviderFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        PROVIDERS,
        provider_payload(org_number=existing.org_number.replace("-", "")),
        format="json",
    )
    assert response.status_code == 400
    assert "org_number" in response.json()


@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER])
def test_roles_without_edit_register_cannot_create_providers_or_units(role):
    client, _ = client_for(role)
    assert client.post(PROVIDERS, provider_payload(), format="json").status_code == 403
    unit_payload = {
        "provider": ProviderFactory().pk,
        "name": "X",
        "places": 3,
        "municipality": MunicipalityFactory().pk,
    }
    assert client.post(UNITS, unit_payload, format="json").status_code == 403
    assert not Unit.objects.filter(name="X").exists()


def unit_payload(**overrides):
    provider = ProviderFactory()
    return {
        "provider": provider.pk,
        "name": "Nya verksamheten",
        "municipality": provider.municipality_id,
        "places": 6,
        "age_min": 13,
        "age_max": 17,
        **overrides,
    }


def test_new_unit_is_a_draft_whatever_status_the_client_sends():
    client, user = client_for(Role.QUALITY_CONTROL)
    payload = unit_payload(status="published", order_stop=True, recommendation_stop=True)
    response = client.post(UNITS, payload, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["order_stop"], data["recommendation_stop"]) == (
        "draft",
        False,
        False,
    )
    assert Unit.objects.get(pk=data["id"]).history.latest().history_user == user


def test_unit_update_goes_through_the_service_and_records_the_user():
    unit = UnitFactory(places=4)
    client, user = client_for(Role.QUALITY_CONTROL)
    response = client.patch(
        f"{UNITS}{unit.pk}/", {"places": 9, "status": "published"}, format="json"
    )
    assert response.status_code == 200, response.content
    unit.refresh_from_db()
    assert unit.places == 9
    assert unit.status == PublicationStatus.DRAFT
    assert unit.history.latest().history_user == user


@pytest.mark.parametrize(
    "overrides",
    [
        {"places": -1},
        {"places": 10**12},
        {"places": "many"},
        {"age_min": 18, "age_max": 12},
        {"municipality": 10**15},
        {"provider": 10**20},
        {"provider": "abc"},
        {"name": "Gården\x00"},
        {"languages": ["x" * 41]},
        {"available_places": 50},  # more than places
        {"name": ""},
        {"gender": "robot"},
        {"languages": "svenska"},
    ],
)
def test_invalid_unit_input_answers_400_not_500(overrides):
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(UNITS, unit_payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert not Unit.objects.filter(name="Nya verksamheten").exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_malformed_bodies_answer_400_not_500(body, content_type):
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.generic("POST", UNITS, body, content_type=content_type)
    assert response.status_code == 400


def test_unsupported_media_type_is_refused_not_crashed():
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.generic("POST", UNITS, "<xml/>", content_type="application/xml")
    assert response.status_code == 415


# --- Offerings and the matrix ------------------------------------------------------------------


def test_offering_is_added_through_set_offering():
    unit = UnitFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/offerings/",
        {"service": "hvb", "operating_form": "framework", "subcategories": ["hvb--akut"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["offerings"][0]["subcategories"] == ["hvb--akut"]


def test_offering_the_matrix_forbids_is_a_400_naming_the_operating_form():
    unit = UnitFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/offerings/",
        {"service": "nodbistand-boende", "operating_form": "framework"},
        format="json",
    )
    assert response.status_code == 400
    assert "operating_form" in response.json()
    assert not unit.offerings.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"service": "no-such", "operating_form": "framework"},
        {"service": "hvb", "operating_form": "no-such"},
        {"service": "hvb", "operating_form": "framework", "subcategories": ["familjehem--jourhem"]},
        {"service": "hvb", "operating_form": "framework", "subcategories": "hvb--akut"},
        {"service": ["hvb"], "operating_form": "framework"},
    ],
)
def test_unknown_or_mismatched_codes_in_an_offering_answer_400(payload):
    unit = UnitFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(f"{UNITS}{unit.pk}/offerings/", payload, format="json")
    assert response.status_code == 400, response.content
    assert not unit.offerings.exists()


# --- Status and stops --------------------------------------------------------------------------


def test_status_endpoint_moves_a_unit_and_records_who_and_why():
    unit = UnitFactory()
    offering(unit, "socialt-boende", "direct")
    client, user = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/status/",
        {"status": "under_control", "reason": "Kontroll"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "under_control"
    event = UnitEvent.objects.get(unit=unit)
    assert (event.actor, event.reason, event.to_status) == (user, "Kontroll", "under_control")


def test_publishing_a_unit_without_services_is_refused_with_the_rules_message():
    unit = UnitFactory(status=PublicationStatus.UNDER_CONTROL)
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/status/", {"status": "published", "reason": "Klar"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "no_services"
    assert response.json()["detail"]
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.UNDER_CONTROL


def test_illegal_transition_is_refused_with_code():
    unit = UnitFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/status/", {"status": "paused", "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "illegal_transition"


def test_status_change_without_a_reason_is_refused_on_the_reason_field():
    unit = UnitFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(f"{UNITS}{unit.pk}/status/", {"status": "under_control"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not UnitEvent.objects.exists()


@pytest.mark.parametrize("payload", [{"status": "bogus", "reason": "x"}, {}, {"status": None}])
def test_bad_status_payloads_answer_400(payload):
    unit = UnitFactory()
    client, _ = client_for(Role.QUALITY_CONTROL)
    assert client.post(f"{UNITS}{unit.pk}/status/", payload, format="json").status_code == 400


@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.PLACEMENT_OFFICER, Role.MANAGER])
def test_roles_without_edit_register_cannot_change_status(role):
    unit = published_unit()
    client, _ = client_for(role)
    response = client.post(
        f"{UNITS}{unit.pk}/status/", {"status": "paused", "reason": "x"}, format="json"
    )
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PUBLISHED


def test_status_change_on_a_missing_unit_is_not_found():
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}987654321/status/", {"status": "paused", "reason": "x"}, format="json"
    )
    assert response.status_code == 404


def test_recommendation_stop_on_a_direct_procurement_unit():
    unit = published_unit("socialt-boende", "direct")
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/recommendation-stop/",
        {"stop": True, "reason": "Brister"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["recommendation_stop"] is True
    assert response.json()["matchable"] is False


def test_recommendation_stop_on_a_framework_unit_is_refused():
    unit = published_unit("hvb", "framework")
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/recommendation-stop/", {"stop": True, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_direct_procurement"


def test_procurement_decides_an_order_stop_on_a_framework_unit():
    unit = published_unit("hvb", "framework")
    client, user = client_for(Role.PROCUREMENT)
    response = client.post(
        f"{UNITS}{unit.pk}/order-stop/", {"stop": True, "reason": "Avtalsbrott"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["order_stop"] is True
    assert UnitEvent.objects.get(unit=unit).actor == user


def test_order_stop_on_a_direct_procurement_unit_is_refused():
    unit = published_unit("socialt-boende", "direct")
    client, _ = client_for(Role.PROCUREMENT)
    response = client.post(
        f"{UNITS}{unit.pk}/order-stop/", {"stop": True, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_framework"


def test_lifting_an_order_stop_that_is_not_there_is_refused():
    unit = published_unit("hvb", "framework")
    client, _ = client_for(Role.PROCUREMENT)
    response = client.post(
        f"{UNITS}{unit.pk}/order-stop/", {"stop": False, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "no_change"


def test_quality_control_may_not_decide_an_order_stop():
    unit = published_unit("hvb", "framework")
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(
        f"{UNITS}{unit.pk}/order-stop/", {"stop": True, "reason": "x"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("payload", [{"stop": "maybe", "reason": "x"}, {"reason": "x"}])
def test_bad_stop_payloads_answer_400(payload):
    unit = published_unit("socialt-boende", "direct")
    client, _ = client_for(Role.QUALITY_CONTROL)
    response = client.post(f"{UNITS}{unit.pk}/recommendation-stop/", payload, format="json")
    assert response.status_code == 400


# --- Agreements ----------------------------------------------------------------------------------


def agreement_payload(**overrides):
    return {
        "name": "HVB barn och unga",
        "reference": "RA-2026-07",
        "area": "barn-och-unga",
        "services": ["hvb", "stodboende"],
        "valid_from": "2026-01-01",
        "valid_to": "2029-12-31",
        "is_open": True,
        **overrides,
    }


@pytest.fixture
def agreement():
    result = FrameworkAgreement.objects.create(
        name="Ramavtal HVB",
        reference="RA-1",
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
        is_open=True,
    )
    result.services.set(Service.objects.filter(code="hvb"))
    return result


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PROCUREMENT])
def test_full_register_roles_read_agreements(agreement, role):
    client, _ = client_for(role)
    data = client.get(AGREEMENTS).json()
    assert [a["reference"] for a in data["results"]] == ["RA-1"]
    assert data["results"][0]["services"] == ["hvb"]


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.MANAGER])
def test_other_roles_may_not_read_agreements(agreement, role):
    client, _ = client_for(role)
    assert client.get(AGREEMENTS).status_code == 403
    assert client.get(f"{AGREEMENTS}{agreement.pk}/").status_code == 403


def test_procurement_creates_an_agreement_recorded_in_history():
    client, user = client_for(Role.PROCUREMENT)
    response = client.post(AGREEMENTS, agreement_payload(), format="json")
    assert response.status_code == 201, response.content
    created = FrameworkAgreement.objects.get(reference="RA-2026-07")
    assert set(created.services.values_list("code", flat=True)) == {"hvb", "stodboende"}
    assert created.history.latest().history_user == user


def test_quality_control_may_not_write_agreements():
    client, _ = client_for(Role.QUALITY_CONTROL)
    assert client.post(AGREEMENTS, agreement_payload(), format="json").status_code == 403


@pytest.mark.parametrize(
    "overrides",
    [
        {"valid_to": "2025-01-01"},
        {"valid_from": "2026-02-30"},
        {"valid_from": "99999-01-01"},
        {"area": "no-such"},
        {"services": ["no-such"]},
        {"reference": "x" * 51},
    ],
)
def test_invalid_agreement_input_answers_400(overrides):
    client, _ = client_for(Role.PROCUREMENT)
    response = client.post(AGREEMENTS, agreement_payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert not FrameworkAgreement.objects.exists()


def test_admitting_a_unit_on_an_allowed_date(agreement):
    unit = UnitFactory()
    client, _ = client_for(Role.PROCUREMENT)
    response = client.post(
        f"{AGREEMENTS}{agreement.pk}/units/",
        {"unit": unit.pk, "admitted_on": "2026-07-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert AgreementUnit.objects.get(agreement=agreement).unit == unit


def test_admitting_a_unit_outside_the_admission_days_is_refused(agreement):
    unit = UnitFactory()
    client, _ = client_for(Role.PROCUREMENT)
    response = client.post(
        f"{AGREEMENTS}{agreement.pk}/units/",
        {"unit": unit.pk, "admitted_on": "2026-03-15"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_admission_date"
    assert not AgreementUnit.objects.exists()


# --- Query count and schema -------------------------------------------------------------------


def _list_queries(client, count: int) -> int:
    Unit.objects.all().delete()
    for n in range(count):
        unit = published_unit("hvb", "framework", name=f"Enhet {n:02}")
        offering(unit, "stodboende", "framework", price=1200)
        permit(unit, "stodboende", permit_number=f"IVO-extra-{n}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(UNITS)
    assert response.status_code == 200
    assert response.json()["count"] == count
    return len(queries)


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PLACEMENT_OFFICER])
def test_unit_list_needs_the_same_number_of_queries_for_5_and_30_units(
    role, django_assert_max_num_queries
):
    client, _ = client_for(role)
    few = _list_queries(client, 5)
    many = _list_queries(client, 30)
    assert many == few
    with django_assert_max_num_queries(12):
        client.get(UNITS)


def test_schema_documents_the_register_endpoints_without_warnings(tmp_path):
    # --fail-on-warn makes any warning (e.g. an unguessable field type) an error.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/v1/providers/",
        "/api/v1/units/",
        "/api/v1/units/{id}/status/",
        "/api/v1/units/{id}/recommendation-stop/",
        "/api/v1/units/{id}/order-stop/",
        "/api/v1/units/{id}/offerings/",
        "/api/v1/agreements/",
        "/api/v1/agreements/{id}/import/",
    ):
        assert f"  {path}:" in schema
