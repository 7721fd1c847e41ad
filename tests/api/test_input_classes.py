"""The classes of input that made the API answer 500 (found by fuzzing /api/schema/), each
answered with a 4xx JSON error everywhere, plus the error shape, the language of messages,
authentication and throttling that every endpoint shares."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import DataError, connection, transaction
from django.test import override_settings
from rest_framework.test import APIClient

from spink.api import MAX_ID, MAX_JSON_DEPTH, exception_handler
from spink.middleware import API_MAX_BODY_BYTES
from tests.api.support import World, rolled_back_world

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with rolled_back_world(django_db_blocker) as world:
        yield world


def client(world: World, role: str = "administrator", **headers: str) -> APIClient:
    api = APIClient(**headers)
    api.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
    return api


def assert_error(response, status: int, code: str | None = None) -> dict:
    """A JSON error of the documented shape: {"detail", "code"}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code"}
    if code is not None:
        assert body["code"] == code
    return body


def assert_field_error(response, field: str) -> list[str]:
    """A 400 naming the field, with a list of messages."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert all(isinstance(message, str) for message in body[field])
    return body[field]


# --- NUL characters -----------------------------------------------------------------------


def test_a_nul_in_a_code_looked_up_in_the_body_is_a_field_error(world):
    body = {"name": "Avtal", "reference": "R-1", "area": "vuxen\x00", "services": ["hvb"]}
    body |= {"valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    response = client(world).post(f"{BASE}/agreements/", body, format="json")
    assert_field_error(response, "area")


def test_a_nul_deep_inside_a_json_body_is_an_error_of_its_top_level_field(world):
    body = {"visited_on": None, "assessment": "appropriate", "answers": [{"question": "a\x00"}]}
    response = client(world).post(
        f"{BASE}/site-visits/{world.ids['site_visit']}/record/", body, format="json"
    )
    assert_field_error(response, "answers")


def test_a_nul_in_a_json_key_is_an_error_of_the_body(world):
    response = client(world).post(
        f"{BASE}/placement-requests/{world.ids['submitted']}/messages/",
        {"te\x00xt": "hej"},
        format="json",
    )
    assert_field_error(response, "non_field_errors")


@pytest.mark.parametrize("encoding", ["multipart", "form"])
def test_a_nul_in_a_form_body_is_a_field_error(world, encoding):
    path = f"{BASE}/placement-requests/{world.ids['submitted']}/messages/"
    if encoding == "multipart":
        response = client(world).post(path, {"text": "hej\x00"}, format="multipart")
    else:
        response = client(world).post(
            path, "text=hej%00", content_type="application/x-www-form-urlencoded"
        )
    assert_field_error(response, "text")


def test_a_nul_in_a_session_users_form_body_is_a_field_error(world):
    # With a session, DRF's CSRF check makes Django parse the form itself, past the parsers.
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(world.users["social_worker"])
    # The CSRF cookie a page would have set, sent back in the header as the pages' JS does.
    token = "a" * 32
    api.cookies[settings.CSRF_COOKIE_NAME] = token
    response = api.post(
        f"{BASE}/placement-requests/{world.ids['submitted']}/messages/",
        {"text": "hej\x00"},
        format="multipart",
        HTTP_X_CSRFTOKEN=token,
    )
    assert_field_error(response, "text")


@pytest.mark.parametrize(
    "path",
    [
        "/placement-requests/?service=hvb%00",  # a filter that looks a service up by code
        "/units/?q=G%C3%A5rden%00",
        "/providers/?municipality=1480%00",
        "/statistics/requests/?year=2026%00",
    ],
)
def test_a_nul_in_a_query_parameter_is_an_error_of_that_parameter(world, path):
    name = path.split("?")[1].split("=")[0]
    assert_field_error(client(world).get(f"{BASE}{path}"), name)


def test_a_nul_in_a_header_or_cookie_is_refused(world):
    api = client(world)
    assert_error(api.get(f"{BASE}/me/", HTTP_X_REQUEST_ID="a\x00b"), 400, "nul_character")
    # Without a token the session cookie is looked up in the database.
    anonymous = APIClient()
    anonymous.cookies["sessionid"] = "abcdefgh\x00"
    assert_error(anonymous.get(f"{BASE}/me/"), 400, "nul_character")


def test_a_nul_in_the_path_is_refused(world):
    assert client(world).get(f"{BASE}/units/1%00/").status_code in (400, 404)
    assert client(world).get(f"{BASE}/units/1%00/")["Content-Type"] == "application/json"


def test_pages_answer_a_nul_in_the_query_or_a_cookie_with_a_400(world, client):
    client.force_login(world.users["placement_officer"])
    assert client.get("/register/?service=hvb%00").status_code == 400
    client.cookies["sessionid"] = "abcdefgh\x00"
    assert client.get("/").status_code == 400


def test_pages_answer_a_nul_in_a_posted_form_with_a_400_and_save_nothing(world, client):
    from followup.models import Feedback

    client.force_login(world.users["social_worker"])
    before = Feedback.objects.count()
    url = "/follow-up/feedback/new/"
    for response in (
        client.post(url, {"unit": "1\x00", "description": "x"}),  # multipart
        client.post(
            url, "unit=1%00&description=x", content_type="application/x-www-form-urlencoded"
        ),
    ):
        assert response.status_code == 400
        assert b'name="description"' not in response.content  # refused before any form ran
    assert Feedback.objects.count() == before


def test_a_token_with_a_nul_is_an_invalid_token():
    response = APIClient().get(f"{BASE}/me/", HTTP_AUTHORIZATION="Token abc\x00def")
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


# --- Digits that str.isdigit() accepts and int() does not, and other scripts --------------


@pytest.mark.parametrize("year", ["²⁰²⁶", "٢٠٢٦", "2026.0", "2e3"])
def test_a_year_in_other_digits_is_a_field_error(world, year):
    for path in ("/statistics/followup/", "/statistics/requests/"):
        assert_field_error(client(world).get(f"{BASE}{path}", {"year": year}), "year")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("administrator", "/statistics/?year=²⁰²⁶"),
        ("quality_control", "/follow-up/deep-controls/new/?unit=²&signal=٣"),
        ("quality_control", "/follow-up/controls/new/?provider=²"),
        ("quality_control", "/monitoring/runs/?source=²"),
        ("social_worker", "/requests/subcategories/?service=²"),
    ],
)
def test_pages_read_superscript_and_other_digits_as_no_number(world, client, role, path):
    client.force_login(world.users[role])
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("page", ["²", "٣", "-1", "0", "", "99999999999999999999999", ["1", "1"]])
def test_a_page_that_is_not_one_positive_number_is_an_invalid_page(world, page):
    for path in ("/units/", "/placement-requests/"):
        assert_error(client(world).get(f"{BASE}{path}", {"page": page}), 404, "not_found")


def test_the_first_and_the_last_page_are_found(world):
    for page in ("1", "last"):
        assert client(world).get(f"{BASE}/units/", {"page": page}).status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "-1", "1.5", "1e3", "99999999999999999999"])
def test_an_id_filter_takes_ascii_digits_of_a_bigint_only(world, value):
    for path, name in (
        ("/controls/", "provider"),
        ("/signals/", "unit"),
        ("/org-units/", "administration"),
        ("/category-plans/", "municipality"),
    ):
        assert_field_error(client(world).get(f"{BASE}{path}", {name: value}), name)


def test_an_id_filter_still_finds_by_id(world):
    response = client(world).get(f"{BASE}/controls/", {"provider": world.ids["provider"] + 1})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/units/٣/", "/units/²/", "/units/-1/", f"/units/{MAX_ID + 1}/"])
def test_an_id_in_the_path_in_other_digits_or_beyond_a_bigint_is_a_json_404(world, path):
    assert_error(client(world).get(f"{BASE}{path}"), 404, "not_found")


@pytest.mark.parametrize("value", ["٣", "²", -1, 0, 2**64, MAX_ID + 1, 1.5, True, "1", {}])
def test_an_id_in_the_body_is_a_positive_bigint_written_as_a_json_number(world, value):
    response = client(world).post(f"{BASE}/controls/", {"provider": value}, format="json")
    assert_field_error(response, "provider")
    officer = client(world, "placement_officer")
    response = officer.post(
        f"{BASE}/placement-requests/{world.ids['submitted']}/assign/",
        {"officer": value},
        format="json",
    )
    assert response.status_code == 400


def test_a_list_of_ids_is_a_json_list(world):
    body = {"provider": world.ids["provider"], "units": {str(world.ids["unit"]): True}}
    assert_field_error(client(world).post(f"{BASE}/controls/", body, format="json"), "units")


@pytest.mark.parametrize(
    ("field", "value"),
    [("pets_allowed", 0), ("places", "8"), ("places", 8.5), ("name", 12), ("languages", [0])],
)
def test_a_json_body_value_has_the_type_the_schema_says(world, field, value):
    body = {"provider": world.ids["provider"], "name": "Ny", "municipality": 1, "places": 4}
    response = client(world).post(f"{BASE}/units/", body | {field: value}, format="json")
    assert_field_error(response, field)


# --- Deep nesting and large bodies ----------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 2, 100_000])
def test_deeply_nested_json_is_a_400(world, depth):
    body = '{"text": ' + "[" * depth + "]" * depth + "}"
    response = client(world).post(
        f"{BASE}/placement-requests/{world.ids['submitted']}/messages/",
        body,
        content_type="application/json",
    )
    assert_error(response, 400, "too_deeply_nested")


def test_a_body_larger_than_any_endpoint_takes_is_a_json_413_before_it_is_read(world):
    response = client(world).generic(
        "POST",
        f"{BASE}/units/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(API_MAX_BODY_BYTES + 1),
    )
    assert_error(response, 413, "too_large")


def test_a_json_body_beyond_the_data_limit_is_a_json_413(world):
    text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client(world).post(
        f"{BASE}/placement-requests/{world.ids['submitted']}/messages/",
        {"text": text},
        format="json",
    )
    assert_error(response, 413, "too_large")


def test_too_many_fields_are_a_json_400(world):
    query = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    assert_error(client(world).get(f"{BASE}/units/?{query}"), 400, "too_many_fields")
    form = {f"f{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client(world).post(f"{BASE}/units/", form, format="multipart")
    assert_error(response, 400, "too_many_fields")


# --- Database errors --------------------------------------------------------------------------


def test_a_database_error_on_a_value_is_a_400_not_a_500():
    # A real DataError from PostgreSQL, as a value that got past validation would cause.
    with pytest.raises(DataError) as raised, transaction.atomic():
        connection.cursor().execute("SELECT 1 / 0")
    response = exception_handler(raised.value, {"view": None})
    assert response.status_code == 400
    assert response.data["code"] == "invalid_value"


# --- One error shape, in the request's language -----------------------------------------------


def test_unknown_api_paths_answer_the_json_404_in_swedish_by_default(world):
    body = assert_error(client(world).get(f"{BASE}/no-such-thing/"), 404, "not_found")
    assert body["detail"] == "Hittades inte."


def test_errors_follow_accept_language_with_swedish_as_default(world):
    path = f"{BASE}/statistics/requests/"
    english = client(world).get(path, {"year": "1"}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    swedish = client(world).get(path, {"year": "1"})
    german = client(world).get(path, {"year": "1"}, HTTP_ACCEPT_LANGUAGE="de")
    assert "greater than or equal to 2000" in english.json()["year"][0]
    assert "2000" in swedish.json()["year"][0]
    assert swedish.json() == german.json() != english.json()
    assert english["Content-Language"] == "en"
    assert "Accept-Language" in english["Vary"]


def test_pages_still_ignore_accept_language(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="sv">' in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/placement-requests/?submitted_before=",
        "/units/?order_stop=",
        "/statistics/requests/administrations/?year=2026&municipality=",
        "/statistics/followup/?year=",
    ],
)
def test_a_query_parameter_given_without_a_value_is_a_field_error(world, path):
    name = path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    assert_field_error(client(world).get(f"{BASE}{path}"), name)


def test_statistics_errors_have_the_shape_of_every_other_field_error(world):
    response = client(world).get(f"{BASE}/statistics/requests/monthly/", {"year": "x"})
    messages = assert_field_error(response, "year")
    assert len(messages) == 1


def test_a_rule_refusal_and_a_missing_record_have_detail_and_code(world):
    officer = client(world, "placement_officer")
    # The draft is not submitted: taking it is refused by the workflow.
    response = officer.post(f"{BASE}/placement-requests/{world.ids['draft']}/take/")
    assert response.status_code in (400, 404)
    assert set(response.json()) == {"detail", "code"}
    assert_error(officer.get(f"{BASE}/placement-requests/{MAX_ID}/"), 404, "not_found")


def test_an_unsupported_method_is_a_json_405_with_allow(world):
    response = client(world).delete(f"{BASE}/units/{world.ids['unit']}/")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_an_unsupported_media_type_is_a_json_415(world):
    response = client(world).post(f"{BASE}/controls/", "<x/>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


# --- Authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Token " + "0" * 40, "Token nope", "Bearer x", "Token"]
)
def test_a_missing_or_bad_token_is_a_401_with_www_authenticate(authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = APIClient().get(f"{BASE}/units/", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail", "code"}


def test_the_schema_and_the_docs_need_a_signed_in_user(world):
    for path in ("/api/schema/", "/api/docs/"):
        response = APIClient().get(path)
        assert_error(response, 401, "not_authenticated")
        assert client(world).get(path).status_code == 200


# --- Throttling ---------------------------------------------------------------------------


def rates(anon: str, user: str):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user},
        }
    )


def test_a_user_beyond_the_per_user_rate_gets_a_429_with_retry_after(world):
    api = client(world, "social_worker")
    with rates(anon="100/min", user="3/min"):
        assert [api.get(f"{BASE}/me/").status_code for _ in range(3)] == [200] * 3
        response = api.get(f"{BASE}/me/")
        assert_error(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0
        # Another user has a rate of their own.
        assert client(world, "placement_officer").get(f"{BASE}/me/").status_code == 200


def test_guessing_tokens_is_throttled_at_the_anonymous_rate():
    guesser = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40)
    with rates(anon="2/min", user="100/min"):
        assert [guesser.get(f"{BASE}/me/").status_code for _ in range(2)] == [401, 401]
        assert_error(guesser.get(f"{BASE}/me/"), 429, "throttled")


def test_throttles_are_on_for_anonymous_callers_and_users():
    classes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert classes == ["spink.api.AnonRateThrottle", "spink.api.UserRateThrottle"]
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"anon", "user"}


# --- The schema -------------------------------------------------------------------------------


def test_the_schema_documents_the_error_responses_of_every_operation(world):
    schema = json.loads(client(world).get("/api/schema/", HTTP_ACCEPT="application/json").content)
    assert {"Error", "ValidationError"} <= set(schema["components"]["schemas"])
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("400", "401", "403", "404", "413", "429"):
                assert code in responses, (method, path, code)
                assert "application/json" in responses[code]["content"], (method, path, code)
            assert "WWW-Authenticate" in responses["401"]["headers"]


def test_a_partial_update_answers_every_field_null_where_empty(world):
    response = client(world).patch(f"{BASE}/providers/{world.ids['provider']}/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["corporate_group_name"] is None


def test_lists_are_documented_as_lists_and_empty_values_as_possible(world):
    schema = json.loads(client(world).get("/api/schema/", HTTP_ACCEPT="application/json").content)
    kpis = schema["paths"]["/api/v1/category-plans/{id}/kpis/"]["get"]["responses"]["200"]
    assert kpis["content"]["application/json"]["schema"]["type"] == "array"
    me = schema["components"]["schemas"]["Me"]["properties"]
    assert any(
        option.get("$ref", "").endswith("BlankEnum") for option in me["placement_team"]["oneOf"]
    )
    request_list = schema["components"]["schemas"]["PlacementRequestList"]["properties"]
    assert request_list["subcategory"]["nullable"] is True
