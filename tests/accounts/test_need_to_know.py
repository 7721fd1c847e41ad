"""Need-to-know on placement requests (access.may_see_person), through every surface: the
request page, the lists and their CSV exports, and the API (detail, list, timeline,
recommendations). Who may see a record at all is tested in test_scoping; here, who among
those may see the person behind it and the details that point at the person."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from placements import services
from placements.models import CASE_DETAIL_FIELDS, PERSON_FIELDS, PersonDataAccess
from spink.accounts import access
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    AdministrationFactory,
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

# Strings that occur nowhere but in the person data and case details of the request.
PERSON = {
    "person_first_name": "Quirina",
    "person_last_name": "Sekretessdotter",
    "person_address": "Tystnadens väg 3",
    "needs": "Diabetes typ 1, rädd för mörker",
    "language": "tigrinja",
    "preferred_area": "Bergsjöns övre del",
}
SECRETS = ["Quirina", "Sekretessdotter", "Tystnadens", "Diabetes", "tigrinja", "Bergsjöns"]
MESSAGE = "Mamma ringer varje torsdag"


@pytest.fixture
def org():
    gothenburg = MunicipalityFactory(name="Göteborg", code="1480")
    centrum = AdministrationFactory(municipality=gothenburg, name="Centrum")
    unit, other_unit = (
        OrgUnitFactory(administration=centrum),
        OrgUnitFactory(administration=centrum),
    )
    worker = social_worker(org_unit=unit)
    return {
        "municipality": gothenburg,
        "worker": worker,
        "unit_mate": social_worker(org_unit=unit),
        "colleague": social_worker(org_unit=other_unit),  # same administration, other unit
        "team_officer": placement_officer(gothenburg, team=PlacementTeam.CHILDREN_YOUTH),
        "other_team_officer": placement_officer(gothenburg, team=PlacementTeam.ADULTS),
        "manager": user_with_role(Role.MANAGER, gothenburg),
        "administrator": user_with_role(Role.ADMINISTRATOR),
    }


@pytest.fixture
def case(org):
    """An HVB request (children & youth team) with a message and a recommendation."""
    request = submitted_request(org["worker"], **PERSON)
    officer = org["team_officer"]
    services.take(actor=officer, request=request.pk)
    services.post_message(actor=officer, request=request.pk, text=MESSAGE)
    unit = published_unit("hvb", "framework", name="HVB Lugnet")
    services.send_recommendation(
        actor=officer,
        request=request.pk,
        offering=unit.offerings.get().pk,
        daily_price=None,
        comment="Passar Quirina väl",
    )
    request.refresh_from_db()
    return request


SEES = ["worker", "unit_mate", "team_officer", "administrator"]
DOES_NOT_SEE = ["colleague", "other_team_officer", "manager"]


@pytest.mark.parametrize("who", SEES)
def test_those_who_work_with_the_request_see_the_person(org, case, who):
    assert access.may_see_person(org[who], case)


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_others_who_can_open_the_request_do_not_see_the_person(org, case, who):
    assert not access.may_see_person(org[who], case)


def test_the_municipality_can_widen_social_workers_to_the_administration(org, case):
    org["municipality"].social_workers_see_administration = True
    org["municipality"].save()
    colleague = type(org["colleague"]).objects.get(pk=org["colleague"].pk)  # fresh municipality
    assert access.may_see_person(colleague, case)
    assert not access.may_see_person(org["manager"], case)


def test_a_protected_person_is_seen_only_by_own_social_worker_and_assigned_officer(org, case):
    case.protected_identity = True
    case.save()
    seen = {who for who in SEES + DOES_NOT_SEE if access.may_see_person(org[who], case)}
    assert seen == {"worker", "team_officer"}


def _page(user, case) -> str:
    client = APIClient()
    client.force_login(user)
    response = client.get(reverse("placements:request-detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_request_page_shows_neither_person_nor_case_details_without_need_to_know(org, case, who):
    text = _page(org[who], case)
    assert case.reference in text
    assert case.service.name in text
    assert [secret for secret in [*SECRETS, MESSAGE, "Passar"] if secret in text] == []
    assert not PersonDataAccess.objects.filter(user=org[who]).exists()


@pytest.mark.parametrize("who", ["unit_mate", "team_officer"])
def test_request_page_shows_person_and_details_with_need_to_know_and_logs_it(org, case, who):
    text = _page(org[who], case)
    assert all(secret in text for secret in SECRETS)
    assert MESSAGE in text
    assert PersonDataAccess.objects.filter(user=org[who], request=case, channel="web").exists()


def _api(user, path: str) -> dict | list:
    client = APIClient()
    client.force_login(user)
    response = client.get(f"/api/v1/placement-requests/{path}")
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    return response.json()


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_api_answers_carry_no_person_and_no_case_text_without_need_to_know(org, case, who):
    user = org[who]
    detail = _api(user, f"{case.pk}/")
    assert {name: detail[name] for name in (*PERSON_FIELDS, *CASE_DETAIL_FIELDS)} == dict.fromkeys(
        (*PERSON_FIELDS, *CASE_DETAIL_FIELDS)
    )
    assert detail["reference"] == case.reference and detail["service"] == "hvb"
    (row,) = [row for row in _api(user, "")["results"] if row["id"] == case.pk]
    assert row["person_name"] is None
    timeline = _api(user, f"{case.pk}/timeline/")
    assert timeline and all(event["text"] is None for event in timeline)
    (recommendation,) = _api(user, f"{case.pk}/recommendations/")
    assert recommendation["comment"] is None
    assert not PersonDataAccess.objects.filter(user=user).exists()


def test_api_answers_carry_the_person_and_case_text_for_the_team(org, case):
    officer = org["team_officer"]
    detail = _api(officer, f"{case.pk}/")
    assert detail["person_first_name"] == "Quirina" and detail["language"] == "tigrinja"
    assert MESSAGE in [event["text"] for event in _api(officer, f"{case.pk}/timeline/")]
    (row,) = [row for row in _api(officer, "")["results"] if row["id"] == case.pk]
    assert row["person_name"] == "Quirina Sekretessdotter"


def test_protected_case_details_are_hidden_from_a_team_officer_not_assigned(org, case):
    case.protected_identity = True
    case.save()
    team_mate = placement_officer(org["municipality"], team=PlacementTeam.CHILDREN_YOUTH)
    text = _page(team_mate, case)
    assert [secret for secret in [*SECRETS, MESSAGE] if secret in text] == []
    detail = _api(team_mate, f"{case.pk}/")
    assert detail["needs"] is None and detail["language"] is None
    assert detail["preferred_area"] is None and detail["person_gender"] is None


def _csv(user, url_name: str, params: dict | None = None) -> list[list[str]]:
    client = APIClient()
    client.force_login(user)
    response = client.get(reverse(url_name), params or {})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_queue_export_names_the_person_only_for_the_requests_team(org, case):
    params = {"team": PlacementTeam.CHILDREN_YOUTH}
    team_rows = _csv(org["team_officer"], "placements:queue-export", params)
    assert "Quirina Sekretessdotter" in team_rows[1]
    other_rows = _csv(org["other_team_officer"], "placements:queue-export", params)
    assert other_rows[1][0] == case.reference
    assert "Visas inte" in other_rows[1]
    assert not any("Quirina" in cell for row in other_rows for cell in row)


def test_request_list_and_export_of_the_unit_name_the_persons(org, case):
    rows = _csv(org["unit_mate"], "placements:request-list-export", {"scope": "org_unit"})
    assert [row[0] for row in rows[1:]] == [case.reference]
    assert "Quirina Sekretessdotter" in rows[1]


def test_queue_page_names_no_person_of_another_team(org, case):
    client = APIClient()
    client.force_login(org["other_team_officer"])
    response = client.get(reverse("placements:queue"), {"team": PlacementTeam.CHILDREN_YOUTH})
    text = response.content.decode()
    assert case.reference in text and "Quirina" not in text
    assert "no-store" in response["Cache-Control"]
