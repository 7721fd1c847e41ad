"""Change history of placement requests and recommendations: who changed what, and never a
protected person's identity."""

import pytest

from placements import services
from placements.models import CASE_DETAIL_FIELDS, PERSON_FIELDS, PlacementRequest
from tests.factories import placement_officer, published_unit, request_fields, social_worker

pytestmark = pytest.mark.django_db

SECRET = {
    "person_first_name": "Hemlighild",
    "person_last_name": "Skyddsson",
    "person_address": "Dolda stigen 9",
    "needs": "Flydde från Borås i oktober",
    "language": "kurmanji",
}


def _history_values(request: PlacementRequest) -> str:
    rows = request.history.values(*PERSON_FIELDS, *CASE_DETAIL_FIELDS)
    return " ".join(str(value) for row in rows for value in row.values())


def test_history_of_a_protected_request_never_holds_the_person():
    worker = social_worker()
    request = services.create_request(
        actor=worker, **request_fields(protected_identity=True, **SECRET)
    )
    services.update_draft(actor=worker, request=request.pk, needs="Nya uppgifter om Hemlighild")
    services.submit(actor=worker, request=request.pk)
    assert request.history.count() >= 3
    recorded = _history_values(request)
    assert [value for value in [*SECRET.values(), "Hemlighild", "20"] if value in recorded] == []
    assert set(request.history.values_list("status", flat=True)) == {"draft", "submitted"}


def test_history_of_an_ordinary_request_records_each_version():
    worker = social_worker()
    request = services.create_request(actor=worker, **request_fields(language="arabiska"))
    services.update_draft(actor=worker, request=request.pk, language="somaliska")
    languages = list(request.history.order_by("history_date").values_list("language", flat=True))
    assert languages[0] == "arabiska" and languages[-1] == "somaliska"


def test_recommendations_have_a_change_history():
    worker = social_worker()
    officer = placement_officer(worker.municipality)
    request = services.submit(
        actor=worker, request=services.create_request(actor=worker, **request_fields()).pk
    )
    services.take(actor=officer, request=request.pk)
    unit = published_unit("hvb", "framework")
    recommendation = services.send_recommendation(
        actor=officer,
        request=request.pk,
        offering=unit.offerings.get().pk,
        daily_price=None,
        comment="Bra skola nära",
    )
    assert recommendation.history.filter(history_type="+").count() == 1
