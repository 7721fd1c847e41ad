"""Finding a request by reference, identity number or name, in the lists, the queue and the
header's search: need-to-know holds, protected identities are found only by those who may see
them, every person search is logged, and the pages' query counts stay fixed."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements import search, services
from placements.identity import person_key
from placements.models import PersonDataAccess, PlacementRequest
from spink.accounts import access
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

OTHER_NUMBER = "20100101-0006"  # Luhn-valid, another person than the factories' default
T = search.TermKind


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


def _results(client, user, url_name: str, **params) -> list[str]:
    client.force_login(user)
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    page = response.context["page"]
    return [request.reference for request in page.object_list]


# --- Reading the term ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("PF-2026-000123", "PF-2026-000123"),
        ("pf-2026-123", "PF-2026-000123"),
        (" PF2026000123 ", "PF-2026-000123"),
    ],
)
def test_a_reference_is_read_in_any_case_with_or_without_its_zeros(text, reference):
    term = search.parse(text)
    assert term == search.SearchTerm(T.REFERENCE, reference=reference)
    assert not term.is_person_search


@pytest.mark.parametrize(
    "text", ["20120315-2382", "201203152382", "120315-2382", "1203152382", "2012 0315 2382"]
)
def test_an_identity_number_in_any_usual_form_is_matched_by_its_keyed_hash(text):
    term = search.parse(text)
    assert term.kind == T.IDENTITY_NUMBER
    assert term.person_key == person_key("20120315-2382")
    assert term.is_person_search


def test_a_mistyped_identity_number_is_refused_with_the_reason():
    with pytest.raises(ValidationError) as refused:
        search.parse("20120315-2383")
    assert [error.code for error in refused.value.error_list] == ["check_digit"]


def test_words_are_a_name_and_an_empty_term_is_no_search():
    assert search.parse("  Alva   Testsson ") == search.SearchTerm(
        T.NAME, words=("Alva", "Testsson")
    )
    assert search.parse("   ") is None


# --- The rule: a person search looks only where the user may see the person -------------------


def test_the_search_filter_agrees_with_may_see_person_for_every_role_and_record():
    """access.person_visible_filter is may_see_person as a filter: both must say the same."""
    worker = social_worker()
    municipality = worker.municipality
    same_unit = social_worker(worker.org_unit)
    same_administration = social_worker(OrgUnitFactory(administration=worker.administration))
    children = placement_officer(municipality, team=PlacementTeam.CHILDREN_YOUTH)
    adults = placement_officer(municipality, team=PlacementTeam.ADULTS)
    users = [
        worker,
        same_unit,
        same_administration,
        children,
        adults,
        user_with_role(Role.MANAGER, municipality),
        user_with_role(Role.ADMINISTRATOR),
    ]
    requests = []
    for protected, assigned in itertools.product([False, True], [None, children, adults]):
        request = submitted_request(worker, protected_identity=protected)
        if assigned is not None:
            PlacementRequest.objects.filter(pk=request.pk).update(assigned_officer=assigned)
        requests.append(request.pk)
    for widened in (False, True):
        municipality.social_workers_see_administration = widened
        municipality.save()
        for user in users:
            user.refresh_from_db()
            records = PlacementRequest.objects.filter(pk__in=requests)
            by_filter = set(
                records.filter(access.person_visible_filter(user)).values_list("pk", flat=True)
            )
            by_rule = {record.pk for record in records if access.may_see_person(user, record)}
            assert by_filter == by_rule, (user.role, widened)


# --- The pages -----------------------------------------------------------------------------------


def test_the_queue_and_the_list_find_a_request_by_its_reference(client, worker, officer):
    wanted = submitted_request(worker)
    submitted_request(worker)
    short = wanted.reference.replace("-0", "-").replace("-0", "-").lower()
    assert _results(client, officer, "placements:queue", q=short) == [wanted.reference]
    assert _results(client, worker, "placements:request-list", q=wanted.reference) == [
        wanted.reference
    ]


def test_the_header_search_goes_straight_to_the_request_of_a_reference(client, worker, officer):
    wanted = submitted_request(worker)
    services.withdraw(actor=worker, request=wanted.pk, reason="Ordnat på annat sätt.")
    client.force_login(officer)  # closed, and so outside the queue: the search still finds it
    response = client.get(reverse("placements:search"), {"q": wanted.reference})
    assert response.status_code == 302
    assert response["Location"] == reverse("placements:request-detail", args=[wanted.pk])
    assert not PersonDataAccess.objects.filter(channel="search").exists()


def test_an_identity_number_finds_exactly_that_persons_requests_and_is_logged(
    client, worker, officer
):
    first = submitted_request(worker)
    second = submitted_request(worker, urgency="acute")
    other = submitted_request(worker, person_identity_number=OTHER_NUMBER)
    found = _results(client, officer, "placements:search", q="1203152382")
    assert sorted(found) == sorted([first.reference, second.reference])
    assert other.reference not in found
    logged = PersonDataAccess.objects.filter(user=officer, channel="search")
    assert sorted(logged.values_list("request_id", flat=True)) == sorted([first.pk, second.pk])


def test_a_name_finds_a_part_of_a_name_and_a_full_name_by_its_beginnings(client, worker, officer):
    svensson = submitted_request(
        worker, person_first_name="Anna-Karin", person_last_name="Svensson"
    )
    submitted_request(worker, person_first_name="Anna", person_last_name="Berg")
    assert _results(client, officer, "placements:queue", q="anna svens") == [svensson.reference]
    assert _results(client, officer, "placements:queue", q="karin") == [svensson.reference]
    assert len(_results(client, officer, "placements:queue", q="anna")) == 2
    assert PersonDataAccess.objects.filter(user=officer, channel="search").count() == 4


def test_a_protected_person_is_found_only_by_their_social_worker_and_assigned_officer(
    client, worker, officer
):
    protected = submitted_request(
        worker, protected_identity=True, person_first_name="Zelmira", person_last_name="Gömd"
    )
    colleague = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    for term in ("Zelmira", "20120315-2382"):
        assert _results(client, colleague, "placements:search", q=term) == []
        assert _results(client, officer, "placements:search", q=term) == []
        assert _results(client, worker, "placements:search", q=term) == [protected.reference]
    services.take(actor=officer, request=protected.pk)
    assert _results(client, officer, "placements:search", q="Zelmira") == [protected.reference]
    # Nothing about the person was logged for those who found nothing.
    assert not PersonDataAccess.objects.filter(user=colleague).exists()


def test_another_teams_officer_finds_a_request_by_reference_but_not_by_its_person(client, worker):
    request = submitted_request(worker)  # HVB: the children and youth team's
    adults = placement_officer(worker.municipality, team=PlacementTeam.ADULTS)
    assert _results(client, adults, "placements:search", q="Testsson") == []
    response = client.get(reverse("placements:search"), {"q": request.reference})
    assert response.status_code == 302  # the request itself is visible, its person is not


def test_another_municipality_finds_nothing(client, worker):
    request = submitted_request(worker)
    stranger = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    for term in (request.reference, "20120315-2382", "Testsson"):
        assert _results(client, stranger, "placements:search", q=term) == []


def test_a_mistyped_identity_number_shows_its_error_and_no_requests(client, worker, officer):
    submitted_request(worker)
    client.force_login(officer)
    response = client.get(reverse("placements:queue"), {"q": "20120315-2383"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert response.context["filter_form"].errors["q"]


def test_the_lists_filter_by_officer_and_by_the_days_of_submission(client, worker, officer):
    mine = submitted_request(worker)
    services.take(actor=officer, request=mine.pk)
    other = submitted_request(worker)
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    PlacementRequest.objects.filter(pk=other.pk).update(submitted_at=two_days_ago)
    today = timezone.localdate()
    assert _results(client, worker, "placements:request-list", officer=officer.pk) == [
        mine.reference
    ]
    assert _results(client, officer, "placements:queue", submitted_from=today.isoformat()) == [
        mine.reference
    ]
    before = (today - dt.timedelta(days=1)).isoformat()
    assert _results(client, officer, "placements:queue", submitted_to=before) == [other.reference]
    client.force_login(officer)
    response = client.get(
        reverse("placements:queue"),
        {"submitted_from": today.isoformat(), "submitted_to": before},
    )
    assert "submitted_to" in response.context["filter_form"].errors


def test_the_search_page_needs_a_role_that_works_with_requests(client, worker):
    manager = user_with_role(Role.MANAGER, worker.municipality)
    client.force_login(manager)
    assert client.get(reverse("placements:search"), {"q": "Testsson"}).status_code == 403
    response = client.get(reverse("home"))
    assert response.context["header_search_url"] is None
    client.force_login(worker)
    assert client.get(reverse("home")).context["header_search_url"] == reverse("placements:search")


def test_a_person_search_runs_a_fixed_number_of_queries(
    client, worker, officer, django_assert_num_queries
):
    for _ in range(3):
        submitted_request(worker)
    client.force_login(officer)
    url = reverse("placements:search")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"q": "Testsson"}).status_code == 200
    for _ in range(12):
        submitted_request(worker, protected_identity=True)
        submitted_request(worker)
    with django_assert_num_queries(len(few)):
        response = client.get(url, {"q": "Testsson"})
    assert len(response.context["page"].object_list) == 15


# --- Input refused where it is made ----------------------------------------------------------


def test_a_new_request_with_a_wanted_start_in_the_past_is_refused_next_to_the_field(client, worker):
    client.force_login(worker)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.create_request(
            actor=worker,
            service=submitted_request(worker).service,
            urgency="planned",
            wanted_start=yesterday,
            person_identity_number="20120315-2382",
            person_first_name="Alva",
            person_last_name="Testsson",
        )
    assert list(refused.value.message_dict) == ["wanted_start"]


def test_a_draft_whose_wanted_start_has_passed_is_not_submitted(worker):
    draft = services.create_request(
        actor=worker,
        service=submitted_request(worker).service,
        urgency="planned",
        wanted_start=timezone.localdate(),
        person_identity_number="20120315-2382",
        person_first_name="Alva",
        person_last_name="Testsson",
    )
    PlacementRequest.objects.filter(pk=draft.pk).update(
        wanted_start=timezone.localdate() - dt.timedelta(days=3)
    )
    with pytest.raises(services.RuleViolation) as refused:
        services.submit(actor=worker, request=draft.pk)
    assert refused.value.code == "wanted_start_passed"
    # The author can still edit the rest of the draft without touching the date.
    services.update_draft(actor=worker, request=draft.pk, needs="Skolgång")


# --- Worklists: the home page's counts and the lists they link to ------------------------------


def test_each_worklist_link_shows_exactly_the_rows_the_home_page_counts(client, worker, officer):
    from placements import worklists

    acute = submitted_request(worker, urgency="acute")
    taken = submitted_request(worker)
    services.take(actor=officer, request=taken.pk)
    soon = submitted_request(worker, wanted_start=timezone.localdate() + dt.timedelta(days=1))
    services.create_request(actor=worker, **{**_fields(acute), "needs": "Utkast"})
    for user in (worker, officer):
        offered = [w for w in worklists.WORKLISTS.values() if w.available_to(user)]
        counts = worklists.worklist_counts(user, [w.key for w in offered])
        client.force_login(user)
        for worklist in offered:
            response = client.get(worklist.url)
            assert response.status_code == 200, worklist.key
            assert response.context["page"].paginator.count == counts[worklist.key], worklist.key
    client.force_login(officer)
    overdue = client.get(worklists.WORKLISTS["overdue"].url).context["page"].object_list
    assert [request.reference for request in overdue] == [soon.reference]


def _fields(request):
    return {
        "service": request.service,
        "urgency": "planned",
        "wanted_start": timezone.localdate() + dt.timedelta(days=10),
        "person_identity_number": "20120315-2382",
        "person_first_name": "Alva",
        "person_last_name": "Testsson",
    }


def test_a_first_and_last_name_find_that_person_not_everyone_sharing_a_word(
    client, worker, officer
):
    erik = submitted_request(worker, person_first_name="Erik", person_last_name="Eriksson")
    submitted_request(worker, person_first_name="Anna", person_last_name="Eriksson")
    submitted_request(worker, person_first_name="Henrik", person_last_name="Berg")
    assert _results(client, officer, "placements:search", q="Erik Eriksson") == [erik.reference]
    assert _results(client, officer, "placements:search", q="eriksson erik") == [erik.reference]
    assert len(_results(client, officer, "placements:search", q="Eriksson")) == 2
    assert len(_results(client, officer, "placements:search", q="rik")) == 3


def test_full_name_beginnings_match_swedish_letters_in_any_case_and_odd_characters_safely(
    client, worker, officer
):
    asa = submitted_request(worker, person_first_name="Åsa", person_last_name="Öberg")
    submitted_request(worker, person_first_name="Åke", person_last_name="Östlund")
    # The beginnings are ranges up to the prefix's successor: "öb" stops before "öc…".
    assert _results(client, officer, "placements:search", q="åsa öb") == [asa.reference]
    assert _results(client, officer, "placements:search", q="ÖBERG Å") == [asa.reference]
    assert len(_results(client, officer, "placements:search", q="å ö")) == 2
    # Characters without a successor to compute (a surrogate's neighbour, the last code
    # point) fall back to LIKE: an answer, never a server error.
    for odd in ("Åsa \ud7ff", "Åsa \U0010ffff", "% _"):
        response = client.get(reverse("placements:search"), {"q": odd})
        assert response.status_code == 200
