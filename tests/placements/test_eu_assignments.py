"""EU assignments (anvisningar enligt EU:s massflyktsdirektiv): "does not take EU assignments" is
an exclusion reason like the others, units that take them match, the flag "EU-anvisning" in the
lists, the queue, the search and the request page, and a demo register whose EU requests match."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from categories.models import Service
from placements import matching, services
from placements.models import PlacementRequest, RequestKind, RequestStatus
from providers.models import PublicationStatus, Unit
from spink.accounts.models import PlacementTeam
from tests.factories import placement_officer, published_unit, social_worker, submitted_request

pytestmark = pytest.mark.django_db

ADULT_NUMBER = "811218-9876"  # a man born 18 December 1981 (Luhn-valid test number)
NOT_EU = "Does not take EU assignments"


def eu_unit(name, **kwargs):
    unit = published_unit("socialt-boende", "direct", name=name, **kwargs)
    Unit.objects.filter(pk=unit.pk).update(takes_eu_assignments=True)
    return unit


def adult_request(worker=None, kind=RequestKind.EU_ASSIGNMENT, **overrides):
    return submitted_request(
        worker or social_worker(),
        kind=kind,
        service=Service.objects.get(code="socialt-boende"),
        person_identity_number=ADULT_NUMBER,
        **overrides,
    )


def names(candidates):
    return [c.unit.name for c in candidates]


def english_match(request, **kwargs):
    with translation.override("en"):
        return matching.match(request, **kwargs)


# --- Matching -----------------------------------------------------------------------------------


def test_eu_assignment_matches_the_units_that_take_them_and_excludes_the_others_with_the_reason():
    eu_unit("Anvisningsboende")
    published_unit("socialt-boende", "direct", name="Vanligt boende")
    result = english_match(adult_request())
    assert names(result.candidates) == ["Anvisningsboende"]
    assert "Takes EU assignments" in result.candidates[0].reasons
    assert {c.unit.name: c.reasons for c in result.excluded} == {"Vanligt boende": [NOT_EU]}
    assert result.excluded_count == 1


def test_the_eu_reason_is_listed_with_the_register_and_request_reasons_of_the_same_unit():
    paused = published_unit("socialt-boende", "direct", name="Pausat boende")
    Unit.objects.filter(pk=paused.pk).update(status=PublicationStatus.PAUSED)
    (excluded,) = english_match(adult_request()).excluded
    assert excluded.reasons == ["The unit is paused", NOT_EU]


def test_a_unit_that_takes_eu_assignments_is_still_excluded_for_the_other_rules():
    eu_unit("Fullt anvisningsboende", available_places=0)
    result = english_match(adult_request())
    assert result.candidates == []
    (excluded,) = result.excluded
    assert excluded.reasons == ["No place available"]


def test_an_ordinary_placement_request_ignores_whether_units_take_eu_assignments():
    eu_unit("Anvisningsboende")
    published_unit("socialt-boende", "direct", name="Vanligt boende")
    request = adult_request(kind=RequestKind.PLACEMENT)
    with CaptureQueriesContext(connection) as queries:
        result = english_match(request)
    # The same SQL as before EU assignments were a check: the unit's flag is only selected.
    assert [query["sql"].count("takes_eu_assignments") for query in queries] == [1, 1]
    assert sorted(names(result.candidates)) == ["Anvisningsboende", "Vanligt boende"]
    assert result.excluded == [] and result.excluded_count == 0
    assert all("Takes EU assignments" not in c.reasons for c in result.candidates)


def test_excluded_count_without_the_rows_counts_the_units_that_do_not_take_eu_assignments():
    eu_unit("Anvisningsboende")
    for index in range(3):
        published_unit("socialt-boende", "direct", name=f"Vanligt boende {index}")
    result = matching.match(adult_request(), with_excluded=False)
    assert names(result.candidates) == ["Anvisningsboende"]
    assert (result.excluded, result.excluded_count) == (None, 3)


def test_matching_an_eu_assignment_takes_as_many_queries_as_a_placement_request():
    eu_unit("Anvisningsboende")
    for index in range(3):
        published_unit("socialt-boende", "direct", name=f"Vanligt boende {index}")
    counts = []
    for kind in (RequestKind.PLACEMENT, RequestKind.EU_ASSIGNMENT):
        request = adult_request(kind=kind)
        with CaptureQueriesContext(connection) as queries:
            matching.match(request)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2  # the candidates, the excluded with their checks


def test_only_a_unit_that_takes_eu_assignments_can_be_recommended_for_one():
    worker = social_worker()
    taker = eu_unit("Anvisningsboende")
    other = published_unit("socialt-boende", "direct", name="Vanligt boende")
    request = adult_request(worker)
    officer = placement_officer(worker.municipality, team=PlacementTeam.ADULTS)
    services.take(actor=officer, request=request.pk)
    with pytest.raises(ValidationError):
        services.send_recommendation(
            actor=officer, request=request.pk, offering=other.offerings.get().pk, daily_price=1500
        )
    services.send_recommendation(
        actor=officer, request=request.pk, offering=taker.offerings.get().pk, daily_price=1500
    )
    assert PlacementRequest.objects.get(pk=request.pk).status == RequestStatus.RECOMMENDED


# --- The flag in the lists, the queue, the search and on the request page ----------------------


def flag() -> str:
    return f'<span class="badge badge--eu">{gettext("EU assignment")}</span>'


def row_of(html: str, reference: str) -> str:
    start = html.index(reference)
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.ADULTS)


@pytest.fixture
def both(worker):
    """An EU assignment and an ordinary placement request of the same service."""
    return adult_request(worker), adult_request(worker, kind=RequestKind.PLACEMENT)


def test_the_request_list_flags_eu_assignments_in_the_reference_cell(client, worker, both):
    eu, placement = both
    client.force_login(worker)
    html = client.get(reverse("placements:request-list")).content.decode()
    assert flag() in row_of(html, eu.reference).split("</th>")[0]
    assert flag() not in row_of(html, placement.reference)


def test_the_queue_flags_eu_assignments_in_the_reference_cell(client, officer, both):
    eu, placement = both
    client.force_login(officer)
    html = client.get(reverse("placements:queue")).content.decode()
    assert flag() in row_of(html, eu.reference).split("</th>")[0]
    assert flag() not in row_of(html, placement.reference)
    assert html.count(flag()) == 1


def test_the_search_results_flag_eu_assignments(client, officer, both):
    eu, placement = both
    client.force_login(officer)
    html = client.get(reverse("placements:search"), {"q": "Testsson"}).content.decode()
    assert eu.reference in html and placement.reference in html
    assert flag() in row_of(html, eu.reference)
    assert flag() not in row_of(html, placement.reference)


def test_the_request_page_heading_carries_the_flag_only_for_eu_assignments(client, worker, both):
    eu, placement = both
    client.force_login(worker)
    html = client.get(reverse("placements:request-detail", args=[eu.pk])).content.decode()
    heading = html[html.index("<h1") : html.index("</h1>")]
    assert flag() in heading
    html = client.get(reverse("placements:request-detail", args=[placement.pk])).content.decode()
    assert flag() not in html[html.index("<h1") : html.index("</h1>")]
