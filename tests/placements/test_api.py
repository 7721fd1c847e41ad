"""The placement request API: scope, roles, the workflow through HTTP, protected identity,
input errors and the number of queries per page."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from categories.models import Service
from placements import rules, services
from placements.models import PersonDataAccess, PlacementRequest, Recommendation, RequestStatus
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    AdministrationFactory,
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    published_unit,
    request_fields,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db
R = RequestStatus
BASE = "/api/v1/placement-requests/"

# A person whose data must never leak: every string is unlikely to occur anywhere else.
SECRET_PERSON = {
    "person_identity_number": "20120315-2382",
    "person_first_name": "Zebulonia",
    "person_last_name": "Hemligsdotter",
    "person_address": "Gömda gränd 7",
}
SECRETS = [
    "20120315-2382",
    "201203152382",
    "Zebulonia",
    "Hemligsdotter",
    "Gömda gränd",
    "2012-03-15",
]


def url(request=None, suffix=""):
    return BASE if request is None else f"{BASE}{getattr(request, 'pk', request)}/{suffix}"


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def call(user, method, path, body=None):
    client = client_for(user)
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body if body is not None else {}, format="json")


@pytest.fixture
def region():
    gothenburg = MunicipalityFactory(name="Göteborg", code="1480")
    molndal = MunicipalityFactory(name="Mölndal", code="1481")
    centrum = AdministrationFactory(municipality=gothenburg, name="Centrum")
    hisingen = AdministrationFactory(municipality=gothenburg, name="Hisingen")
    return {
        "gothenburg": gothenburg,
        "molndal": molndal,
        "centrum": centrum,
        "centrum_unit": OrgUnitFactory(administration=centrum),
        "hisingen_unit": OrgUnitFactory(administration=hisingen),
        "molndal_unit": OrgUnitFactory(administration=AdministrationFactory(municipality=molndal)),
    }


@pytest.fixture
def worker(region):
    return social_worker(org_unit=region["centrum_unit"])


@pytest.fixture
def colleague(region):
    """Another social worker of the same administration (another unit of it)."""
    return social_worker(org_unit=OrgUnitFactory(administration=region["centrum"]))


@pytest.fixture
def officer(region):
    return placement_officer(region["gothenburg"], team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def other_officer(region):
    """A placement officer of the same team and municipality, not assigned."""
    return placement_officer(region["gothenburg"], team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def manager(region):
    return user_with_role(Role.MANAGER, region["gothenburg"])


@pytest.fixture
def hvb_unit():
    return published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))


@pytest.fixture
def recommended(worker, officer, hvb_unit):
    """A request in the recommended state: taken by `officer`, recommending HVB Fyren."""
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    services.send_recommendation(
        actor=officer, request=request.pk, offering=hvb_unit.offerings.get().pk, daily_price=None
    )
    return request


def create_body(**overrides):
    body = {
        "service": "hvb",
        "urgency": "planned",
        "wanted_start": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        "person_identity_number": "20120315-2382",
        "person_first_name": "Alva",
        "person_last_name": "Testsson",
        "needs": "Behöver struktur och skolgång.",
    }
    body.update(overrides)
    return body


# --- Scope: other administrations and municipalities answer 404 ------------------------------

# (method, suffix, body, the role that may otherwise call it)
ENDPOINTS = [
    ("get", "", None, "worker"),
    ("patch", "", {"needs": "x"}, "worker"),
    ("post", "submit/", {}, "worker"),
    ("post", "withdraw/", {"reason": "x"}, "worker"),
    ("post", "choice/", {"none_chosen": True, "reason": "x"}, "worker"),
    ("post", "deviations/", {"description": "x"}, "worker"),
    ("post", "messages/", {"text": "x"}, "worker"),
    ("get", "timeline/", None, "worker"),
    ("get", "recommendations/", None, "worker"),
    ("get", "", None, "officer"),
    ("post", "take/", {}, "officer"),
    ("post", "assign/", {"officer": 1}, "officer"),
    ("post", "no-provider-found/", {"reason": "x"}, "officer"),
    ("get", "matches/", None, "officer"),
    ("get", "recommendations/", None, "officer"),
    ("post", "recommendations/", {"offering": 1}, "officer"),
    ("post", "messages/", {"text": "x"}, "officer"),
    ("get", "timeline/", None, "officer"),
]
# Social workers are scoped to their administration, placement officers to their municipality.
OUTSIDER_CASES = [
    pytest.param(
        *endpoint, where, id=f"{endpoint[3]}-{endpoint[0]}-{endpoint[1] or 'detail'}-{where}"
    )
    for endpoint in ENDPOINTS
    for where in (
        ["administration", "municipality"] if endpoint[3] == "worker" else ["municipality"]
    )
]


def _outsiders(region, role, where):
    if role == "worker":
        unit = region["hisingen_unit"] if where == "administration" else region["molndal_unit"]
        return social_worker(org_unit=unit)
    return placement_officer(region["molndal"], team=PlacementTeam.CHILDREN_YOUTH)


@pytest.mark.parametrize(("method", "suffix", "body", "role", "where"), OUTSIDER_CASES)
def test_request_of_another_administration_or_municipality_is_not_found(
    region, recommended, method, suffix, body, role, where
):
    outsider = _outsiders(region, role, where)
    before = PlacementRequest.objects.get(pk=recommended.pk)
    response = call(outsider, method, url(recommended, suffix), body)
    missing = call(outsider, method, url(10**9, suffix), body)
    assert response.status_code == 404
    assert response.json() == missing.json()
    assert recommended.reference not in response.content.decode()
    after = PlacementRequest.objects.get(pk=recommended.pk)
    assert (after.status, after.timeline.count()) == (before.status, before.timeline.count())


def test_list_shows_only_requests_in_scope(region, worker, officer):
    own = submitted_request(worker)
    same_municipality = submitted_request(social_worker(org_unit=region["hisingen_unit"]))
    submitted_request(social_worker(org_unit=region["molndal_unit"]))
    worker_ids = {row["id"] for row in call(worker, "get", url()).json()["results"]}
    officer_ids = {row["id"] for row in call(officer, "get", url()).json()["results"]}
    assert worker_ids == {own.pk}
    assert officer_ids == {own.pk, same_municipality.pk}


def test_draft_is_not_found_for_anyone_but_its_author(worker, colleague, officer):
    draft = services.create_request(actor=worker, **request_fields())
    assert call(worker, "get", url(draft)).status_code == 200
    for user in (colleague, officer):
        assert call(user, "get", url(draft)).status_code == 404
        assert call(user, "get", url()).json()["count"] == 0


def test_register_roles_see_no_requests(region, recommended):
    quality = user_with_role(Role.QUALITY_CONTROL, region["gothenburg"])
    assert call(quality, "get", url()).json()["count"] == 0
    assert call(quality, "get", url(recommended)).status_code == 404


def test_huge_or_malformed_ids_in_the_path_are_not_found():
    user = social_worker()
    assert call(user, "get", url("99999999999999999999999999")).status_code == 404
    assert call(user, "get", f"{BASE}abc/").status_code == 404


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "suffix", "body"),
    [
        ("officer", "post", None, create_body()),
        ("manager", "post", None, create_body()),
        ("officer", "patch", "", {"needs": "x"}),
        ("officer", "post", "submit/", {}),
        ("officer", "post", "withdraw/", {"reason": "x"}),
        ("officer", "post", "choice/", {"none_chosen": True, "reason": "x"}),
        ("officer", "post", "deviations/", {"description": "x"}),
        ("worker", "post", "take/", {}),
        ("worker", "post", "assign/", {"officer": 1}),
        ("worker", "post", "no-provider-found/", {"reason": "x"}),
        ("worker", "get", "matches/", None),
        ("worker", "post", "recommendations/", {"offering": 1}),
        ("manager", "get", "matches/", None),
        ("manager", "post", "messages/", {"text": "x"}),
        ("manager", "post", "withdraw/", {"reason": "x"}),
    ],
)
def test_role_without_the_capability_is_refused_with_403(
    recommended, worker, officer, manager, role, method, suffix, body
):
    user = {"worker": worker, "officer": officer, "manager": manager}[role]
    path = url() if suffix is None else url(recommended, suffix)
    response = call(user, method, path, body)
    assert response.status_code == 403
    assert PlacementRequest.objects.count() == 1
    assert PlacementRequest.objects.get().timeline.count() == 4


def test_anonymous_caller_is_refused(recommended):
    for path in (url(), url(recommended), url(recommended, "timeline/")):
        assert call(None, "get", path).status_code in (401, 403)
    assert call(None, "post", url(), create_body()).status_code in (401, 403)


def test_token_authentication_works_without_session_or_csrf(worker):
    token = Token.objects.create(user=worker)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    created = client.post(url(), create_body(), format="json")
    assert created.status_code == 201
    assert client.get(url()).json()["results"][0]["id"] == created.json()["id"]
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get(url()).status_code in (401, 403)


# --- The workflow through the API ---------------------------------------------------------------


def test_whole_journey_through_the_api_is_on_the_timeline(worker, officer, hvb_unit):
    sw, po = client_for(worker), client_for(officer)
    created = sw.post(url(), create_body(), format="json")
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]
    assert created.json()["status"] == R.DRAFT
    assert created.json()["team"] == PlacementTeam.CHILDREN_YOUTH
    assert created.json()["person_birth_date"] == "2012-03-15"

    patched = sw.patch(url(request_id), {"urgency": "acute"}, format="json")
    assert (patched.status_code, patched.json()["urgency"]) == (200, "acute")
    assert sw.post(url(request_id, "submit/")).json()["status"] == R.SUBMITTED
    taken = po.post(url(request_id, "take/"))
    assert taken.json()["status"] == R.IN_MATCHING
    assert taken.json()["assigned_officer"]["id"] == officer.pk
    assert (
        po.post(url(request_id, "messages/"), {"text": "Skolgång?"}, format="json").status_code
        == 201
    )

    matches = po.get(url(request_id, "matches/")).json()
    candidate = matches["candidates"][0]
    assert candidate["unit"] == {"id": hvb_unit.pk, "name": "HVB Fyren"}
    assert candidate["provider"]["legal_name"] == hvb_unit.provider.legal_name
    assert candidate["operating_form"] == "framework"
    assert candidate["daily_price"] == "4200.00"
    assert candidate["reasons"]

    sent = po.post(
        url(request_id, "recommendations/"),
        {"offering": candidate["offering_id"], "comment": "Bra matchning"},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    assert sent.json()["daily_price"] == "4200.00"
    listed = sw.get(url(request_id, "recommendations/")).json()
    assert [r["id"] for r in listed] == [sent.json()["id"]]

    chosen = sw.post(
        url(request_id, "choice/"),
        {"recommendation": sent.json()["id"], "start_date": "2026-12-03"},
        format="json",
    )
    assert chosen.status_code == 200, chosen.json()
    assert chosen.json()["status"] == R.PLACED
    assert chosen.json()["chosen_recommendation"] == sent.json()["id"]
    assert chosen.json()["placement_start"] == "2026-12-03"

    timeline = sw.get(url(request_id, "timeline/")).json()
    assert [event["kind"] for event in timeline] == [
        "created",
        "updated",
        "submitted",
        "assigned",
        "message",
        "recommendation_sent",
        "provider_chosen",
    ]
    assert timeline[4]["text"] == "Skolgång?"
    assert timeline[4]["actor"] == officer.get_full_name()
    assert [sent["unit"] for sent in timeline[5]["data"]["units"]] == ["HVB Fyren"]
    assert all(event["kind_display"] for event in timeline)


def test_officer_assigns_a_colleague_of_the_team(worker, officer, other_officer):
    request = submitted_request(worker)
    response = call(officer, "post", url(request, "assign/"), {"officer": other_officer.pk})
    assert response.status_code == 200
    assert response.json()["assigned_officer"]["id"] == other_officer.pk


def test_withdraw_no_provider_found_and_none_chosen_close_the_request(
    worker, officer, hvb_unit, recommended
):
    withdrawn = submitted_request(worker)
    response = call(worker, "post", url(withdrawn, "withdraw/"), {"reason": "Flyttar hem"})
    assert response.json()["status"] == R.WITHDRAWN
    not_found = submitted_request(worker)
    services.take(actor=officer, request=not_found.pk)
    response = call(officer, "post", url(not_found, "no-provider-found/"), {"reason": "Fullt"})
    assert response.json()["status"] == R.NOT_PLACED
    response = call(
        worker, "post", url(recommended, "choice/"), {"none_chosen": True, "reason": "Nej tack"}
    )
    assert (response.status_code, response.json()["status"]) == (200, R.NOT_PLACED)
    assert response.json()["outcome_note"] == "Nej tack"


def test_deviation_is_lodged_on_the_timeline(worker, recommended):
    response = call(worker, "post", url(recommended, "deviations/"), {"description": "Sent svar"})
    assert response.status_code == 201
    assert response.json()["status"] == "open"
    assert recommended.timeline.last().kind == "deviation"


@pytest.mark.parametrize(
    ("who", "suffix", "body", "code"),
    [
        ("worker", "submit/", {}, "illegal_transition"),  # already submitted
        ("worker", "", {"needs": "x"}, "illegal_transition"),  # no longer a draft
        ("officer", "take/", {}, "illegal_transition"),  # already recommended
        ("colleague_officer", "no-provider-found/", {"reason": "x"}, "not_allowed"),
        ("colleague_officer", "recommendations/", {"offering": "OFFERING"}, "not_allowed"),
        ("adults_officer", "messages/", {"text": "x"}, "not_allowed"),
    ],
)
def test_refused_transition_answers_400_with_the_rules_code(
    region, recommended, worker, officer, other_officer, hvb_unit, who, suffix, body, code
):
    users = {
        "worker": worker,
        "officer": officer,
        "colleague_officer": other_officer,
        "adults_officer": placement_officer(region["gothenburg"], team=PlacementTeam.ADULTS),
    }
    if body.get("offering") == "OFFERING":
        body = {"offering": hvb_unit.offerings.get().pk}
    events = recommended.timeline.count()
    method = "patch" if suffix == "" else "post"
    response = call(users[who], method, url(recommended, suffix), body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert PlacementRequest.objects.get(pk=recommended.pk).status == R.RECOMMENDED
    assert recommended.timeline.count() == events


def test_error_messages_are_swedish_by_default(recommended, worker):
    response = call(worker, "post", url(recommended, "withdraw/"), {"reason": " "})
    assert response.status_code == 400
    assert response.json() == {"reason": ["Detta fält måste fyllas i."]}


@pytest.fixture
def framework_prices():
    for price in ("4000", "4200", "4400", "5000", "6000"):
        published_unit("hvb", "framework", price=Decimal(price))


def test_flagged_price_is_refused_until_the_officer_accepts_it(framework_prices, worker, officer):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    direct = published_unit("hvb", "direct", name="Dyr direkt").offerings.get()
    body = {"offering": direct.pk, "daily_price": "9000.00"}
    refused = call(officer, "post", url(request, "recommendations/"), body)
    assert refused.status_code == 400
    assert refused.json()["code"] == "price_flagged"
    assert "4400" in refused.json()["detail"]
    assert not Recommendation.objects.exists()
    accepted = call(
        officer, "post", url(request, "recommendations/"), {**body, "accept_price_flag": True}
    )
    assert accepted.status_code == 201
    assert accepted.json()["price_flagged"] is True
    assert accepted.json()["daily_price"] == "9000.00"


def test_matches_are_for_placement_officers_only_and_rank_own_operation_first(
    worker, officer, manager
):
    request = submitted_request(worker)
    published_unit("hvb", "framework", name="Ramavtal", price=Decimal("3000"))
    published_unit("hvb", "own", name="Egen regi", price=Decimal("5000"))
    published_unit("hvb", "framework", name="För unga", age_min=0, age_max=10)
    response = call(officer, "get", url(request, "matches/"))
    assert response.status_code == 200
    body = response.json()
    assert [c["unit"]["name"] for c in body["candidates"]] == ["Egen regi", "Ramavtal"]
    assert [e["unit"]["name"] for e in body["excluded"]] == ["För unga"]
    assert body["excluded"][0]["reasons"]
    assert call(worker, "get", url(request, "matches/")).status_code == 403
    assert call(manager, "get", url(request, "matches/")).status_code == 403


def test_matches_of_a_closed_request_are_hidden_as_on_the_page(worker, officer, hvb_unit):
    """The API asks the page's rule (rules.shows_matching): once the request is closed, its
    matches are shown to nobody, also to the officer who handled it."""
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    assert call(officer, "get", url(request, "matches/")).status_code == 200
    services.record_no_provider_found(actor=officer, request=request.pk, reason="Inget ledigt")
    assert not rules.shows_matching(officer, PlacementRequest.objects.get(pk=request.pk))
    response = call(officer, "get", url(request, "matches/"))
    assert response.status_code == 400
    assert response.json()["code"] == "not_matching"
    assert "HVB Fyren" not in response.content.decode()


# --- Protected identity ---------------------------------------------------------------------------


@pytest.fixture
def protected(worker, officer):
    """A submitted, protected request taken by `officer`."""
    request = submitted_request(worker, protected_identity=True, **SECRET_PERSON)
    services.take(actor=officer, request=request.pk)
    return request


def _leaks(response) -> list[str]:
    text = response.content.decode()
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize("who", ["worker", "officer", "colleague", "manager", "other_officer"])
def test_protected_person_is_absent_from_the_list_for_everybody(
    protected, worker, officer, colleague, manager, other_officer, who
):
    user = {
        "worker": worker,
        "officer": officer,
        "colleague": colleague,
        "manager": manager,
        "other_officer": other_officer,
    }[who]
    response = call(user, "get", url())
    (row,) = response.json()["results"]
    assert row["id"] == protected.pk
    assert row["protected_identity"] is True
    assert row["person_name"] is None
    assert _leaks(response) == []
    assert not PersonDataAccess.objects.exists()


def test_list_row_shows_a_name_but_never_the_identity_number(worker, officer, manager):
    request = submitted_request(worker, **SECRET_PERSON)
    response = call(officer, "get", url())
    (row,) = response.json()["results"]
    assert row["id"] == request.pk
    assert row["person_name"] == "Zebulonia Hemligsdotter"
    assert "person_identity_number" not in row
    assert "20120315" not in response.content.decode()
    # A manager has no need to know who it is.
    (row,) = call(manager, "get", url()).json()["results"]
    assert row["person_name"] is None


@pytest.mark.parametrize("who", ["colleague", "manager", "other_officer"])
def test_protected_person_is_hidden_from_third_users_in_detail(
    protected, colleague, manager, other_officer, who
):
    user = {"colleague": colleague, "manager": manager, "other_officer": other_officer}[who]
    for suffix in ("", "timeline/", "recommendations/"):
        response = call(user, "get", url(protected, suffix))
        assert response.status_code == 200
        assert _leaks(response) == []
    detail = call(user, "get", url(protected)).json()
    assert detail["protected_identity"] is True
    assert detail["person_identity_number"] is None
    assert detail["person_first_name"] is None
    assert not PersonDataAccess.objects.exists()


@pytest.mark.parametrize("who", ["worker", "officer"])
def test_protected_person_is_shown_to_owner_and_assigned_officer_and_logged(
    protected, worker, officer, who
):
    user = {"worker": worker, "officer": officer}[who]
    response = call(user, "get", url(protected))
    detail = response.json()
    assert detail["person_identity_number"] == "20120315-2382"
    assert detail["person_first_name"] == "Zebulonia"
    assert detail["person_address"] == "Gömda gränd 7"
    assert detail["person_birth_date"] == "2012-03-15"
    read = PersonDataAccess.objects.get()
    assert (read.request_id, read.user_id, read.channel) == (protected.pk, user.pk, "api")


def test_every_detail_read_with_person_data_is_logged(worker, officer, manager):
    request = submitted_request(worker)
    call(officer, "get", url(request))
    call(worker, "get", url(request))
    call(manager, "get", url(request))  # no person data for a manager: no log row
    call(officer, "get", url())  # a list shows no person data: no log row
    reads = PersonDataAccess.objects.order_by("at")
    assert [(r.user_id, r.channel) for r in reads] == [(officer.pk, "api"), (worker.pk, "api")]


def test_action_response_with_person_data_is_logged_and_hidden_ones_are_not(
    worker, colleague, officer
):
    request = submitted_request(worker, protected_identity=True, **SECRET_PERSON)
    taken = call(officer, "post", url(request, "take/"))
    assert taken.json()["person_first_name"] == "Zebulonia"
    assert PersonDataAccess.objects.filter(user=officer).count() == 1
    message = call(colleague, "post", url(request, "messages/"), {"text": "Hej"})
    assert message.status_code == 201
    withdrawn = call(colleague, "post", url(request, "withdraw/"), {"reason": "Dubblett"})
    assert withdrawn.status_code == 200
    assert _leaks(withdrawn) == []
    assert not PersonDataAccess.objects.filter(user=colleague).exists()


# --- Invalid input answers 400, never 500 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service": "finns-inte"}, "service"),
        ({"service": ["hvb"]}, "service"),
        ({"service": {"code": "hvb"}}, "service"),
        ({"service": None}, "service"),
        ({"person_identity_number": "20120315-2383"}, "person_identity_number"),
        ({"person_identity_number": "abc"}, "person_identity_number"),
        ({"person_identity_number": "20121315-2380"}, "person_identity_number"),
        ({"person_identity_number": "2012031523821234"}, "person_identity_number"),
        ({"person_identity_number": True}, "person_identity_number"),
        ({"person_identity_number": 201203152383}, "person_identity_number"),
        (
            {"person_is_reserve_number": True, "person_identity_number": "!!"},
            "person_identity_number",
        ),
        ({"wanted_start": "2026-13-45"}, "wanted_start"),
        ({"wanted_start": "i morgon"}, "wanted_start"),
        ({"wanted_start": 12345}, "wanted_start"),
        ({"urgency": "whenever"}, "urgency"),
        ({"kind": "other"}, "kind"),
        ({"expected_length": "forever"}, "expected_length"),
        ({"needs_pets": "maybe"}, "needs_pets"),
        ({"protected_identity": None}, "protected_identity"),
        ({"subcategory": "finns-inte"}, "subcategory"),
        (
            {"subcategory": "socialt-boende--akutboende"},
            "subcategory",
        ),  # a subcategory of another service
        ({"preferred_municipality": "0000"}, "preferred_municipality"),
        ({"person_first_name": None}, "person_first_name"),
        ({"person_first_name": "x" * 101}, "person_first_name"),
        ({"person_last_name": ""}, "person_last_name"),
        ({"needs": "nul\x00byte"}, "needs"),
        ({"language": ["svenska"]}, "language"),
    ],
)
def test_invalid_create_input_is_a_400_field_error(worker, overrides, field):
    response = call(worker, "post", url(), create_body(**overrides))
    assert response.status_code == 400
    assert field in response.json()
    assert not PlacementRequest.objects.exists()


def test_missing_required_fields_are_listed(worker):
    response = call(worker, "post", url(), {})
    assert response.status_code == 400
    assert {"service", "urgency", "wanted_start", "person_identity_number"} <= set(response.json())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"a string"', "application/json"),
        ("\xff\xfe", "application/json"),
        ("<xml/>", "application/xml"),
    ],
)
def test_malformed_body_is_a_400_or_415(worker, body, content_type):
    client = client_for(worker)
    response = client.post(url(), data=body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert not PlacementRequest.objects.exists()


def test_invalid_draft_update_is_a_400_and_changes_nothing(worker):
    draft = services.create_request(actor=worker, **request_fields())
    response = call(worker, "patch", url(draft), {"person_identity_number": "20120315-2383"})
    assert response.status_code == 400
    assert "person_identity_number" in response.json()
    assert PlacementRequest.objects.get().person_identity_number == "20120315-2382"
    assert draft.timeline.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"offering": "abc"}, "offering"),
        ({"offering": -1}, "offering"),
        ({"offering": 10**30}, "offering"),
        ({"offering": None}, "offering"),
        ({}, "offering"),
        ({"offering": 10**9}, "offering"),  # no such offering: the services' field error
        ({"offering": "OFFERING", "daily_price": "abc"}, "daily_price"),
        ({"offering": "OFFERING", "daily_price": -5}, "daily_price"),
        ({"offering": "OFFERING", "daily_price": 0}, "daily_price"),
        ({"offering": "OFFERING", "daily_price": "NaN"}, "daily_price"),
        ({"offering": "OFFERING", "daily_price": "1e400"}, "daily_price"),
        ({"offering": "OFFERING", "daily_price": "12345678901"}, "daily_price"),
        ({"offering": "OFFERING", "accept_price_flag": "perhaps"}, "accept_price_flag"),
        ({"offering": "OFFERING", "comment": {"a": 1}}, "comment"),
    ],
)
def test_invalid_recommendation_input_is_a_400_field_error(worker, officer, hvb_unit, body, field):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    if body.get("offering") == "OFFERING":
        body = {**body, "offering": hvb_unit.offerings.get().pk}
    response = call(officer, "post", url(request, "recommendations/"), body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recommendation": "x", "start_date": "2026-12-01"}, "recommendation"),
        ({"recommendation": 10**30, "start_date": "2026-12-01"}, "recommendation"),
        ({"recommendation": 10**9, "start_date": "2026-12-01"}, "recommendation"),
        ({"recommendation": "REC", "start_date": "yesterday"}, "start_date"),
        ({"recommendation": "REC", "start_date": "2026-02-30"}, "start_date"),
        ({"recommendation": "REC"}, "start_date"),
        ({"start_date": "2026-12-01"}, "recommendation"),
        ({"none_chosen": "kanske", "reason": "x"}, "none_chosen"),
        ({"none_chosen": True}, "reason"),
        ({"none_chosen": True, "reason": "   "}, "reason"),
        ({"none_chosen": True, "reason": ["x"]}, "reason"),
    ],
)
def test_invalid_choice_input_is_a_400_field_error(worker, recommended, body, field):
    if body.get("recommendation") == "REC":
        body = {**body, "recommendation": recommended.recommendations.get().pk}
    response = call(worker, "post", url(recommended, "choice/"), body)
    assert response.status_code == 400
    assert field in response.json()
    assert PlacementRequest.objects.get(pk=recommended.pk).status == R.RECOMMENDED


@pytest.mark.parametrize(
    ("who", "suffix", "body", "field"),
    [
        ("officer", "assign/", {"officer": "abc"}, "officer"),
        ("officer", "assign/", {"officer": 10**30}, "officer"),
        ("officer", "assign/", {"officer": 10**9}, "officer"),
        ("officer", "assign/", {"officer": "WORKER"}, "officer"),
        ("officer", "assign/", {}, "officer"),
        ("worker", "withdraw/", {}, "reason"),
        ("worker", "withdraw/", {"reason": {"a": 1}}, "reason"),
        ("officer", "no-provider-found/", {"reason": ""}, "reason"),
        ("worker", "messages/", {"text": ""}, "text"),
        ("worker", "messages/", {"text": ["a"]}, "text"),
        ("worker", "messages/", {"text": "x" * 4001}, "text"),
        ("worker", "deviations/", {"description": "  "}, "description"),
    ],
)
def test_invalid_action_input_is_a_400_field_error(
    worker, officer, recommended, who, suffix, body, field
):
    if body.get("officer") == "WORKER":
        body = {"officer": worker.pk}
    user = {"worker": worker, "officer": officer}[who]
    events = recommended.timeline.count()
    response = call(user, "post", url(recommended, suffix), body)
    assert response.status_code == 400
    assert field in response.json()
    assert recommended.timeline.count() == events


@pytest.mark.parametrize(
    "query",
    [
        "service=finns-inte",
        "status=lost",
        "urgency=sometime",
        "team=nobody",
        "kind=other",
        "submitted_after=2026-02-30",
        "submitted_before=igår",
    ],
)
def test_invalid_filter_is_a_400(worker, query):
    response = call(worker, "get", f"{url()}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


# --- Filters and the work queue ---------------------------------------------------------------


def test_filters_narrow_the_list(region, worker, officer):
    hvb = submitted_request(worker)
    acute = submitted_request(worker, urgency="acute")
    adults = services.create_request(
        actor=worker, **request_fields(service=Service.objects.get(code="socialt-boende"))
    )
    services.submit(actor=worker, request=adults.pk)
    draft = services.create_request(actor=worker, **request_fields())
    PlacementRequest.objects.filter(pk=hvb.pk).update(submitted_at="2026-01-10T10:00Z")

    def ids(query):
        response = call(worker, "get", f"{url()}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("service=socialt-boende") == [adults.pk]
    assert ids("team=children_youth&status=submitted") == [acute.pk, hvb.pk]
    assert ids("urgency=acute") == [acute.pk]
    assert ids("status=draft") == [draft.pk]
    assert ids("kind=eu_assignment") == []
    assert ids("submitted_before=2026-01-10") == [hvb.pk]
    assert hvb.pk not in ids("submitted_after=2026-01-11")
    assert ids("") == [draft.pk, adults.pk, acute.pk, hvb.pk]  # newest first


def test_queue_filter_lists_the_officers_open_requests_acute_first_then_oldest(
    region, worker, officer
):
    planned_old = submitted_request(worker)
    planned_new = submitted_request(worker)
    acute = submitted_request(worker, urgency="acute")
    closed = submitted_request(worker)
    services.withdraw(actor=worker, request=closed.pk, reason="Dubblett")
    adults = placement_officer(region["gothenburg"], team=PlacementTeam.ADULTS)
    response = call(officer, "get", f"{url()}?queue=1")
    assert [row["id"] for row in response.json()["results"]] == [
        acute.pk,
        planned_old.pk,
        planned_new.pk,
    ]
    assert call(officer, "get", f"{url()}?queue=1&urgency=planned").json()["count"] == 2
    assert call(adults, "get", f"{url()}?queue=1").json()["count"] == 0
    assert call(adults, "get", f"{url()}?queue=1&team=children_youth").json()["count"] == 3


# --- Queries per page -----------------------------------------------------------------------------


def _list_queries(user, query=""):
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url()}{query}")
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("query", ["", "?queue=1", "?status=in_matching&service=hvb"])
def test_list_makes_the_same_few_queries_for_3_or_20_requests(
    worker, officer, django_assert_max_num_queries, query
):
    def add(count):
        for number in range(count):
            request = submitted_request(worker, protected_identity=number % 2 == 0)
            services.take(actor=officer, request=request.pk)

    add(3)
    few, count = _list_queries(officer, query)
    assert count == 3
    add(17)
    client = client_for(officer)
    with django_assert_max_num_queries(few):
        assert client.get(f"{url()}{query}").json()["count"] == 20
    assert few <= 5
    assert _list_queries(worker, query.replace("queue=1", ""))[0] <= 6


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_schema_has_the_placement_request_endpoints(worker):
    response = client_for(worker).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for suffix in (
        "",
        "{id}/",
        "{id}/submit/",
        "{id}/take/",
        "{id}/assign/",
        "{id}/withdraw/",
        "{id}/no-provider-found/",
        "{id}/messages/",
        "{id}/deviations/",
        "{id}/matches/",
        "{id}/recommendations/",
        "{id}/timeline/",
        "{id}/choice/",
    ):
        assert f"{BASE}{suffix}" in paths
    assert "put" not in paths[f"{BASE}{{id}}/"]
    assert set(paths[f"{BASE}{{id}}/recommendations/"]) >= {"get", "post"}


def test_recommendation_price_and_date_round_trip(worker, officer, hvb_unit):
    request = submitted_request(worker, wanted_start=dt.date(2027, 1, 15))
    services.take(actor=officer, request=request.pk)
    offering = hvb_unit.offerings.get()
    response = call(
        officer,
        "post",
        url(request, "recommendations/"),
        {"offering": offering.pk, "daily_price": "4100.5"},
    )
    assert response.json()["daily_price"] == "4100.50"
    assert Recommendation.objects.get().daily_price == Decimal("4100.50")
    assert call(worker, "get", url(request)).json()["wanted_start"] == "2027-01-15"


def test_matches_of_a_protected_request_are_only_for_the_assigned_officer(client):
    from spink.accounts.models import PlacementTeam
    from tests.factories import placement_officer, social_worker, submitted_request

    worker = social_worker()
    request = submitted_request(worker, protected_identity=True)
    assigned = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    colleague = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    from placements import services

    services.take(actor=assigned, request=request.pk)
    client.force_login(colleague)
    assert client.get(f"/api/v1/placement-requests/{request.pk}/matches/").status_code == 403
    client.force_login(assigned)
    assert client.get(f"/api/v1/placement-requests/{request.pk}/matches/").status_code == 200
