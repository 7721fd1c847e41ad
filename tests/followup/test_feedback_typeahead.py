"""The lodge form's unit and request typeaheads (spink.typeahead): the search endpoints answer
only within the form's own scope, show no person, and the form works without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from followup.models import Feedback, FeedbackCategory
from providers.models import PublicationStatus
from spink.accounts.models import Role
from spink.typeahead import LIMIT
from tests.factories import (
    OrgUnitFactory,
    ProviderFactory,
    UnitFactory,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db
UNITS = reverse("followup:feedback-unit-search")
REQUESTS = reverse("followup:feedback-request-search")
CREATE = reverse("followup:feedback-create")
DOC = FeedbackCategory.DOCUMENTATION


@pytest.fixture
def worker():
    return social_worker()


def options(response) -> list[str]:
    return re.findall(r'role="option"[^>]*data-value="(\d+)"', response.content.decode())


def body(response) -> str:
    return response.content.decode()


# --- The endpoints ---------------------------------------------------------------------------


def test_the_unit_search_answers_at_most_the_limit_and_only_units_in_scope(client, worker):
    provider = ProviderFactory(legal_name="Hemmen AB")
    many = [published_unit(name=f"Hemmet {n:02}", provider=provider) for n in range(LIMIT + 5)]
    hidden = UnitFactory(name="Hemmet Pausat", status=PublicationStatus.PAUSED)
    client.force_login(worker)
    response = client.get(UNITS, {"unit_text": "hemmet"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    found = options(response)
    assert len(found) == LIMIT
    assert set(found) <= {str(unit.pk) for unit in many}
    assert str(hidden.pk) not in found
    assert "Hemmet 00 – Hemmen AB" in body(response)
    assert str(hidden.pk) not in options(client.get(UNITS, {"q": "Pausat"}))


def test_the_unit_search_with_no_match_or_no_text(client, worker):
    published_unit(name="Vågen Majorna")
    client.force_login(worker)
    none = client.get(UNITS, {"q": "Ekbacken"})
    assert options(none) == [] and 'aria-disabled="true"' in body(none)
    assert body(client.get(UNITS, {"q": "  "})) == ""


def test_the_request_search_finds_own_requests_by_reference_and_shows_no_person(client, worker):
    mine = submitted_request(worker, person_first_name="Alva", person_last_name="Testsson")
    others = submitted_request(social_worker(OrgUnitFactory()))
    client.force_login(worker)
    response = client.get(REQUESTS, {"placement_request_text": mine.reference})
    assert options(response) == [str(mine.pk)]
    text = body(response)
    assert f"{mine.reference} – {mine.service.name}" in text
    assert "Alva" not in text and "Testsson" not in text
    assert "20120315" not in text
    # Another office's request is not found, by its reference or by part of it.
    assert options(client.get(REQUESTS, {"q": others.reference})) == []
    assert str(others.pk) not in options(client.get(REQUESTS, {"q": "PF-"}))
    # Not by the person's name either.
    assert options(client.get(REQUESTS, {"q": "Testsson"})) == []


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROCUREMENT, Role.QUALITY_CONTROL])
def test_the_searches_are_refused_to_those_who_cannot_lodge_feedback(client, role):
    published_unit(name="Vågen Majorna")
    client.force_login(user_with_role(role))
    for url in (UNITS, REQUESTS):
        response = client.get(url, {"q": "V"})
        assert response.status_code in (403, 404)
        assert "Vågen" not in body(response)


def test_the_searches_need_a_login_and_only_read(client, worker):
    assert client.get(UNITS, {"q": "V"}).status_code == 302
    client.force_login(worker)
    assert client.post(UNITS, {"q": "V"}).status_code == 405


def test_the_searches_take_a_fixed_number_of_queries(client, worker, django_assert_num_queries):
    for n in range(3):
        published_unit(name=f"Hemmet {n}")
        submitted_request(worker)
    client.force_login(worker)
    client.get(UNITS, {"q": "Hemmet"})  # the session and the user, once
    with django_assert_num_queries(3):
        assert len(options(client.get(UNITS, {"q": "Hemmet"}))) == 3
    with django_assert_num_queries(3):
        assert len(options(client.get(REQUESTS, {"q": "PF-"}))) == 3
    for n in range(3, 8):
        published_unit(name=f"Hemmet {n}")
        submitted_request(worker)
    with django_assert_num_queries(3):
        assert len(options(client.get(UNITS, {"q": "Hemmet"}))) == 8
    with django_assert_num_queries(3):
        assert len(options(client.get(REQUESTS, {"q": "PF-"}))) == 8


# --- The form without JavaScript -------------------------------------------------------------


def test_the_form_renders_comboboxes_and_no_long_selects(client, worker):
    unit = published_unit(name="Vågen Majorna")
    client.force_login(worker)
    page = body(client.get(CREATE, {"unit": unit.pk}))
    assert page.count('role="combobox"') == 2
    assert f'hx-get="{UNITS}"' in page and f'hx-get="{REQUESTS}"' in page
    assert f'<input type="hidden" name="unit" value="{unit.pk}"' in page
    assert 'value="Vågen Majorna – ' in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count("<select") == 1  # the category's short one; no select of units or requests
    assert "js/typeahead.js" in page


def test_a_typed_reference_and_unit_name_lodge_the_feedback_without_javascript(client, worker):
    unit = published_unit(name="Vågen Majorna")
    published_unit(name="Solhem Kortedala")
    request = submitted_request(worker)
    client.force_login(worker)
    response = client.post(
        CREATE,
        {
            "unit": "",
            "unit_text": "majorna",
            "placement_request": "",
            "placement_request_text": request.reference.lower(),
            "category": DOC,
            "description": "Genomförandeplanen saknas.",
        },
    )
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.unit, feedback.placement_request) == (unit, request)


def test_an_ambiguous_text_shows_the_candidates_and_keeps_the_text(client, worker):
    published_unit(name="Vågen Majorna")
    published_unit(name="Vågen Hisingen")
    client.force_login(worker)
    response = client.post(
        CREATE, {"unit_text": "Vågen", "category": DOC, "description": "Planen saknas."}
    )
    assert response.status_code == 400
    page = body(response)
    errors = re.search(r'<ul class="field__errors" id="id_unit_error">(.*?)</ul>', page, re.S)
    assert errors and "Vågen Majorna" in errors.group(1) and "Vågen Hisingen" in errors.group(1)
    assert 'name="unit_text" id="id_unit" value="Vågen"' in page
    assert 'href="#id_unit"' in page
    assert not Feedback.objects.exists()


def test_a_request_outside_the_scope_cannot_be_typed_or_crafted(client, worker):
    unit = published_unit(name="Vågen Majorna")
    others = submitted_request(social_worker(OrgUnitFactory()))
    client.force_login(worker)
    base = {"unit": unit.pk, "category": DOC, "description": "Planen saknas."}
    for posted in (
        {"placement_request_text": others.reference},
        {"placement_request": others.pk},
    ):
        response = client.post(CREATE, base | posted)
        assert response.status_code == 400
        assert re.search(r'id="id_placement_request_error"', body(response))
    assert not Feedback.objects.exists()
