"""The placement request pages: who sees what, who may do what, protected identities, the
price-flag confirmation, exports and fixed query counts."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements import services
from placements.models import (
    Deviation,
    PersonDataAccess,
    PlacementRequest,
    Recommendation,
    RequestStatus,
    TimelineEvent,
)
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
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

# Person data that must never reach a page it does not belong on.
SECRET_NAME = ("Zelmira", "Hemligsdotter")
SECRET_ADDRESS = "Gömdavägen 7"
SECRET_NUMBER = ("20120315-2382", "201203152382", "2012-03-15")
PROTECTED_PERSON = {
    "protected_identity": True,
    "person_first_name": SECRET_NAME[0],
    "person_last_name": SECRET_NAME[1],
    "person_address": SECRET_ADDRESS,
}


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def colleague(worker):
    """Another social worker of the same administration."""
    return social_worker(OrgUnitFactory(administration=worker.administration))


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def other_officer(worker):
    """A placement officer of the same team and municipality, not assigned."""
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def manager(worker):
    return user_with_role(Role.MANAGER, worker.municipality)


@pytest.fixture
def hvb_unit():
    return published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))


@pytest.fixture
def direct_unit():
    return published_unit("hvb", "direct", name="HVB Ekbacken", price=Decimal("4500"))


def as_user(client, user):
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def detail_url(request) -> str:
    return reverse("placements:request-detail", args=[request.pk])


def in_matching(worker, officer, **overrides):
    request = submitted_request(worker, **overrides)
    services.take(actor=officer, request=request.pk)
    return request


def recommended(worker, officer, unit, **overrides):
    request = in_matching(worker, officer, **overrides)
    services.send_recommendation(
        actor=officer, request=request.pk, offering=unit.offerings.get().pk, daily_price=None
    )
    return request


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def assert_no_person_data(text: str) -> None:
    for secret in (*SECRET_NAME, SECRET_ADDRESS, *SECRET_NUMBER):
        assert secret not in text


# --- Lists ------------------------------------------------------------------------------------


def test_my_requests_lists_the_social_workers_own_requests_newest_first(client, worker, colleague):
    older = submitted_request(worker)
    newer = submitted_request(worker)
    colleagues = submitted_request(colleague)
    elsewhere = submitted_request(social_worker())
    text = html(as_user(client, worker).get(reverse("placements:request-list")))
    assert '<h1 id="list-heading">Mina förfrågningar</h1>' in text
    assert text.index(newer.reference) < text.index(older.reference)
    assert colleagues.reference not in text
    assert elsewhere.reference not in text


def test_request_list_widens_to_the_unit_and_to_the_administration_where_allowed(
    client, worker, colleague
):
    unit_mate = social_worker(worker.org_unit)
    unit_mates = submitted_request(unit_mate)
    colleagues = submitted_request(colleague)
    colleagues_draft = services.create_request(actor=colleague, **request_fields())
    client = as_user(client, worker)
    url = reverse("placements:request-list")
    text = html(client.get(url, {"scope": "org_unit"}))
    assert '<h1 id="list-heading">Min enhets förfrågningar</h1>' in text
    assert unit_mates.reference in text and colleagues.reference not in text
    # The whole administration only where the municipality has chosen so.
    text = html(client.get(url, {"scope": "administration"}))
    assert colleagues.reference not in text and 'id="list-heading">Mina förfrågningar</h1>' in text
    municipality = worker.municipality
    municipality.social_workers_see_administration = True
    municipality.save()
    text = html(as_user(client, worker).get(url, {"scope": "administration"}))
    assert colleagues.reference in text and unit_mates.reference in text
    assert colleagues_draft.reference not in text


def test_my_requests_filters_by_status_and_service(client, worker, officer):
    submitted = submitted_request(worker)
    taken = in_matching(worker, officer)
    other_service = submitted_request(worker, service=_service("stodboende"))
    client = as_user(client, worker)
    text = html(client.get(reverse("placements:request-list"), {"status": R.IN_MATCHING}))
    assert taken.reference in text and submitted.reference not in text
    text = html(client.get(reverse("placements:request-list"), {"service": "stodboende"}))
    assert other_service.reference in text and submitted.reference not in text


def test_list_filter_with_htmx_returns_only_the_results(client, worker):
    request = submitted_request(worker)
    response = as_user(client, worker).get(
        reverse("placements:request-list"),
        {"status": R.SUBMITTED},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="request-results",
    )
    assert request.reference in html(response)
    assert "<h1>" not in html(response)


def test_the_lists_are_only_for_their_roles(client, worker, officer, manager):
    assert as_user(client, officer).get(reverse("placements:request-list")).status_code == 403
    assert as_user(client, worker).get(reverse("placements:queue")).status_code == 403
    assert as_user(client, manager).get(reverse("placements:queue-export")).status_code == 403


def test_menu_shows_my_requests_to_social_workers_and_the_queue_to_officers(
    client, worker, officer
):
    text = html(as_user(client, worker).get(reverse("home")))
    assert reverse("placements:request-list") in text
    assert reverse("placements:queue") not in text
    text = html(as_user(client, officer).get(reverse("home")))
    assert reverse("placements:queue") in text


def _service(code):
    from categories.models import Service

    return Service.objects.get(code=code)


def test_queue_shows_acute_first_then_oldest_with_the_waiting_time(client, worker, officer):
    planned_old = submitted_request(worker)
    planned_new = submitted_request(worker)
    acute = submitted_request(worker, urgency="acute")
    adults = submitted_request(worker, service=_service("socialt-boende"))
    PlacementRequest.objects.filter(pk=planned_old.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=3)
    )
    text = html(as_user(client, officer).get(reverse("placements:queue")))
    positions = [text.index(r.reference) for r in (acute, planned_old, planned_new)]
    assert positions == sorted(positions)
    assert adults.reference not in text  # another team's
    assert "3\xa0dagar" in text  # waiting time of the oldest
    text = html(client.get(reverse("placements:queue"), {"team": PlacementTeam.ADULTS}))
    assert adults.reference in text and acute.reference not in text


def test_queue_filters_by_urgency_and_status(client, worker, officer):
    acute = submitted_request(worker, urgency="acute")
    planned = submitted_request(worker)
    taken = in_matching(worker, officer)
    client = as_user(client, officer)
    text = html(client.get(reverse("placements:queue"), {"urgency": "acute"}))
    assert acute.reference in text and planned.reference not in text
    text = html(client.get(reverse("placements:queue"), {"status": R.IN_MATCHING}))
    assert taken.reference in text and planned.reference not in text


def test_officer_takes_a_request_from_the_queue(client, worker, officer):
    request = submitted_request(worker)
    client = as_user(client, officer)
    response = client.post(reverse("placements:request-take", args=[request.pk]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == R.IN_MATCHING and request.assigned_officer == officer


def _query_count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_my_requests_list_runs_a_fixed_number_of_queries(
    client, worker, officer, django_assert_num_queries
):
    for _ in range(3):
        in_matching(worker, officer)
    client = as_user(client, worker)
    url = reverse("placements:request-list")
    few = _query_count(client, url)
    for _ in range(17):
        in_matching(worker, officer, protected_identity=True)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert html(response).count('<th scope="row">') == 20


def test_work_queue_runs_a_fixed_number_of_queries(
    client, worker, officer, django_assert_num_queries
):
    for _ in range(3):
        submitted_request(worker, urgency="acute")
    client = as_user(client, officer)
    url = reverse("placements:queue")
    few = _query_count(client, url)
    for _ in range(17):
        in_matching(worker, officer)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert html(response).count('<th scope="row">') == 20


# --- Scope: other administrations and municipalities answer 404 --------------------------------

ACTION_URLS = [
    ("request-detail", {}),
    ("request-edit", {}),
    ("request-submit", {}),
    ("request-withdraw", {"withdraw-reason": "x"}),
    ("request-choose", {}),
    ("request-none-chosen", {"none-chosen-reason": "x"}),
    ("request-take", {}),
    ("request-assign", {}),
    ("request-no-provider", {"no-provider-reason": "x"}),
    ("request-message", {"message-text": "x"}),
    ("deviation-lodge", {"deviation-description": "x"}),
]


@pytest.mark.parametrize(("name", "data"), ACTION_URLS)
def test_a_social_worker_of_another_administration_gets_404(client, worker, name, data):
    request = submitted_request(worker)
    stranger = social_worker(OrgUnitFactory(administration__municipality=worker.municipality))
    client = as_user(client, stranger)
    url = reverse(f"placements:{name}", args=[request.pk])
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, data).status_code == 404
    request.refresh_from_db()
    assert request.status == R.SUBMITTED


@pytest.mark.parametrize(("name", "data"), ACTION_URLS)
def test_an_officer_of_another_municipality_gets_404(client, worker, name, data):
    request = submitted_request(worker)
    stranger = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    url = reverse(f"placements:{name}", args=[request.pk])
    assert as_user(client, stranger).post(url, data).status_code == 404
    request.refresh_from_db()
    assert request.status == R.SUBMITTED and request.assigned_officer is None


def test_recommend_and_deviation_urls_of_another_municipality_answer_404(
    client, worker, officer, hvb_unit
):
    request = in_matching(worker, officer)
    deviation = services.lodge_deviation(
        actor=worker, request=request.pk, description="Långsamt svar"
    )
    stranger = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    client = as_user(client, stranger)
    offering = hvb_unit.offerings.get().pk
    for url in (
        reverse("placements:request-shortlist", args=[request.pk, offering]),
        reverse("placements:request-recommendations-send", args=[request.pk]),
    ):
        assert client.post(url, {}).status_code == 404
    for name in ("deviation-handle", "deviation-close"):
        url = reverse(f"placements:{name}", args=[request.pk, deviation.pk])
        assert client.post(url, {f"deviation-{deviation.pk}-note": "x"}).status_code == 404
    assert not Recommendation.objects.exists()


def test_a_draft_is_visible_only_to_its_author(client, worker, colleague, officer):
    draft = services.create_request(actor=worker, **request_fields())
    assert as_user(client, worker).get(detail_url(draft)).status_code == 200
    assert as_user(client, colleague).get(detail_url(draft)).status_code == 404
    assert as_user(client, officer).get(detail_url(draft)).status_code == 404


def test_register_roles_without_a_scope_get_404(client, worker):
    request = submitted_request(worker)
    quality = user_with_role(Role.QUALITY_CONTROL, worker.municipality)
    assert as_user(client, quality).get(detail_url(request)).status_code == 404


# --- Role refusals: the rule's message, never a 500 ---------------------------------------------


def test_an_officer_cannot_withdraw_a_request(client, worker, officer):
    request = submitted_request(worker)
    response = as_user(client, officer).post(
        reverse("placements:request-withdraw", args=[request.pk]), {"withdraw-reason": "Nej"}
    )
    assert response.status_code == 403
    assert "Endast en socialsekreterare" in html(response)
    request.refresh_from_db()
    assert request.status == R.SUBMITTED


def test_a_social_worker_cannot_take_or_recommend(client, worker, officer, hvb_unit):
    request = submitted_request(worker)
    client = as_user(client, worker)
    response = client.post(reverse("placements:request-take", args=[request.pk]))
    assert response.status_code == 403
    assert "placeringshandläggare" in html(response)
    services.take(actor=officer, request=request.pk)
    response = client.post(reverse("placements:request-recommendations-send", args=[request.pk]))
    assert response.status_code == 403
    assert not Recommendation.objects.exists()


def test_a_manager_sees_the_request_but_may_not_write_on_it(client, worker, manager):
    request = submitted_request(worker)
    client = as_user(client, manager)
    response = client.get(detail_url(request))
    assert response.status_code == 200
    assert 'name="message-text"' not in html(response)
    response = client.post(
        reverse("placements:request-message", args=[request.pk]), {"message-text": "Hej"}
    )
    assert response.status_code == 403
    assert not request.timeline.filter(kind=TimelineEvent.Kind.MESSAGE).exists()


def test_a_colleague_cannot_edit_anothers_draft_even_when_submitted(client, worker, colleague):
    request = submitted_request(worker)
    response = as_user(client, colleague).get(reverse("placements:request-edit", args=[request.pk]))
    assert response.status_code == 409  # not a draft any more
    assert "utkastet" in html(response)


def test_acting_on_a_closed_request_shows_the_rules_message(client, worker):
    request = submitted_request(worker)
    services.withdraw(actor=worker, request=request.pk, reason="Fel insats")
    response = as_user(client, worker).post(
        reverse("placements:request-withdraw", args=[request.pk]), {"withdraw-reason": "Igen"}
    )
    assert response.status_code == 409
    assert "återkallad" in html(response)


def test_the_detail_page_offers_each_user_only_their_actions(
    client, worker, officer, other_officer, hvb_unit
):
    request = recommended(worker, officer, hvb_unit)
    worker_page = html(as_user(client, worker).get(detail_url(request)))
    assert reverse("placements:request-choose", args=[request.pk]) in worker_page
    assert reverse("placements:request-withdraw", args=[request.pk]) in worker_page
    assert reverse("placements:request-no-provider", args=[request.pk]) not in worker_page
    officer_page = html(as_user(client, officer).get(detail_url(request)))
    assert reverse("placements:request-choose", args=[request.pk]) not in officer_page
    assert reverse("placements:request-no-provider", args=[request.pk]) in officer_page
    other_page = html(as_user(client, other_officer).get(detail_url(request)))
    assert reverse("placements:request-no-provider", args=[request.pk]) not in other_page


# --- Protected identity --------------------------------------------------------------------------


@pytest.fixture
def protected(worker, officer):
    return in_matching(worker, officer, **PROTECTED_PERSON)


def test_protected_person_is_never_in_the_owners_list_or_queue(client, worker, officer, protected):
    for user, url in ((worker, "placements:request-list"), (officer, "placements:queue")):
        text = html(as_user(client, user).get(reverse(url)))
        assert protected.reference in text
        assert "Skyddad identitet" in text
        assert_no_person_data(text)


def test_protected_person_is_never_in_an_export(client, worker, officer, protected):
    for user, url in (
        (worker, "placements:request-list-export"),
        (officer, "placements:queue-export"),
    ):
        response = as_user(client, user).get(reverse(url))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = csv_rows(response)
        (row,) = [r for r in rows if protected.reference in r]
        assert "Skyddad identitet" in row
        assert_no_person_data(";".join(";".join(r) for r in rows))


@pytest.mark.parametrize("third", ["colleague", "manager", "other_officer"])
def test_protected_person_is_hidden_from_third_users_on_the_detail_page(
    client, protected, third, request
):
    user = request.getfixturevalue(third)
    response = as_user(client, user).get(detail_url(protected))
    assert response.status_code == 200
    text = html(response)
    assert "Skyddad identitet" in text
    assert_no_person_data(text)
    assert not PersonDataAccess.objects.filter(user=user).exists()


@pytest.mark.parametrize("who", ["worker", "officer"])
def test_protected_person_is_shown_to_the_owner_and_the_assigned_officer_and_logged(
    client, protected, who, request
):
    user = request.getfixturevalue(who)
    text = html(as_user(client, user).get(detail_url(protected)))
    assert " ".join(SECRET_NAME) in text
    assert SECRET_NUMBER[0] in text
    assert SECRET_ADDRESS in text
    read = PersonDataAccess.objects.get(user=user)
    assert (read.request_id, read.channel) == (protected.pk, "web")


def test_every_detail_view_showing_a_person_is_logged(client, worker, officer, manager):
    request = submitted_request(worker)
    as_user(client, officer).get(detail_url(request))
    client.get(detail_url(request))
    assert PersonDataAccess.objects.filter(user=officer, request=request).count() == 2
    as_user(client, manager).get(detail_url(request))  # shows no person to a manager
    assert not PersonDataAccess.objects.filter(user=manager).exists()


def test_lists_show_the_name_but_never_the_identity_number(client, worker, officer):
    request = submitted_request(worker, person_first_name="Ines", person_last_name="Öppensson")
    for user, url in ((worker, "placements:request-list"), (officer, "placements:queue")):
        text = html(as_user(client, user).get(reverse(url)))
        assert "Ines Öppensson" in text
        assert "20120315" not in text and "2382" not in text
    assert request.reference in text


def test_export_has_the_pages_scope_and_filters_and_no_identity_numbers(client, worker, officer):
    mine = submitted_request(worker, person_first_name="Ines", person_last_name="Öppensson")
    taken = in_matching(worker, officer)
    elsewhere = submitted_request(social_worker())
    client = as_user(client, worker)
    rows = csv_rows(client.get(reverse("placements:request-list-export")))
    references = {row[0] for row in rows[1:]}
    assert references == {mine.reference, taken.reference}
    assert elsewhere.reference not in references
    assert rows[0][0] == "Referens"
    assert any("Ines Öppensson" in row for row in rows)
    flat = ";".join(";".join(row) for row in rows)
    assert "20120315" not in flat and "2382" not in flat
    rows = csv_rows(
        client.get(reverse("placements:request-list-export"), {"status": R.IN_MATCHING})
    )
    assert {row[0] for row in rows[1:]} == {taken.reference}


def test_export_cells_cannot_become_spreadsheet_formulas(client, worker):
    submitted_request(worker, person_first_name="=HYPERLINK(1)", person_last_name="X")
    rows = csv_rows(as_user(client, worker).get(reverse("placements:request-list-export")))
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1])


# --- Creating, editing and submitting ------------------------------------------------------------


def _form_data(**overrides):
    data = {
        "kind": "placement",
        "service": str(_service("hvb").pk),
        "subcategory": "",
        "urgency": "planned",
        "wanted_start": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        "expected_length": "unknown",
        "person_identity_number": "20120315-2382",
        "person_first_name": "Alva",
        "person_last_name": "Testsson",
        "person_gender": "other",
        "needs": "Skolgång",
    }
    data.update(overrides)
    return data


def test_social_worker_saves_a_draft_then_submits_it(client, worker):
    client = as_user(client, worker)
    response = client.post(reverse("placements:request-create"), _form_data(action="save"))
    request = PlacementRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(request)
    assert request.status == R.DRAFT and request.person_gender == "female"
    response = client.post(
        reverse("placements:request-edit", args=[request.pk]),
        _form_data(action="submit", urgency="acute"),
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.urgency) == (R.SUBMITTED, "acute")
    assert list(request.timeline.values_list("kind", flat=True)) == [
        "created",
        "updated",
        "submitted",
    ]


def test_invalid_identity_number_is_shown_on_the_field_and_nothing_is_saved(client, worker):
    response = as_user(client, worker).post(
        reverse("placements:request-create"),
        _form_data(person_identity_number="20120315-2383", action="submit"),
    )
    assert response.status_code == 400
    assert 'id="id_person_identity_number_error"' in html(response)
    assert not PlacementRequest.objects.exists()


def test_reserve_number_takes_the_gender_from_the_form(client, worker):
    as_user(client, worker).post(
        reverse("placements:request-create"),
        _form_data(
            person_identity_number="RES-1234",
            person_is_reserve_number="on",
            person_gender="male",
            action="save",
        ),
    )
    request = PlacementRequest.objects.get()
    assert (request.person_is_reserve_number, request.person_gender) == (True, "male")


def test_subcategories_are_those_of_the_chosen_service(client, worker):
    from categories.models import Subcategory

    client = as_user(client, worker)
    response = client.get(
        reverse("placements:subcategory-options"), {"service": _service("hvb").pk}
    )
    options = html(response)
    assert "Akut" in options
    assert "Jourhem" not in options
    jourhem = Subcategory.objects.get(code="familjehem--jourhem")
    response = client.post(
        reverse("placements:request-create"), _form_data(subcategory=jourhem.pk, action="save")
    )
    assert response.status_code == 400
    assert not PlacementRequest.objects.exists()


def test_officers_cannot_create_requests(client, officer):
    client = as_user(client, officer)
    assert client.get(reverse("placements:request-create")).status_code == 403
    assert client.post(reverse("placements:request-create"), _form_data()).status_code == 403


# --- Social worker's actions ---------------------------------------------------------------------


def test_withdrawing_needs_a_reason(client, worker):
    request = submitted_request(worker)
    client = as_user(client, worker)
    url = reverse("placements:request-withdraw", args=[request.pk])
    response = client.post(url, {"withdraw-reason": "  "})
    assert response.status_code == 400
    assert 'id="id_withdraw-reason_error"' in html(response)
    request.refresh_from_db()
    assert request.status == R.SUBMITTED
    assert client.post(url, {"withdraw-reason": "Familjen flyttade"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.outcome_note) == (R.WITHDRAWN, "Familjen flyttade")


def test_social_worker_reports_the_chosen_recommendation(client, worker, officer, hvb_unit):
    request = recommended(worker, officer, hvb_unit)
    recommendation = request.recommendations.get()
    response = as_user(client, worker).post(
        reverse("placements:request-choose", args=[request.pk]),
        {"choose-recommendation": recommendation.pk, "choose-start_date": "2026-12-03"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == R.PLACED
    assert request.chosen_recommendation == recommendation
    assert request.placement_start == dt.date(2026, 12, 3)


def test_choice_needs_a_start_date(client, worker, officer, hvb_unit):
    request = recommended(worker, officer, hvb_unit)
    response = as_user(client, worker).post(
        reverse("placements:request-choose", args=[request.pk]),
        {"choose-recommendation": request.recommendations.get().pk},
    )
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.status == R.RECOMMENDED


def test_social_worker_reports_that_none_was_chosen(client, worker, officer, hvb_unit):
    request = recommended(worker, officer, hvb_unit)
    response = as_user(client, worker).post(
        reverse("placements:request-none-chosen", args=[request.pk]),
        {"none-chosen-reason": "Familjen tackade nej"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == R.NOT_PLACED


def test_deviation_is_lodged_handled_and_closed_through_the_pages(client, worker, officer):
    request = in_matching(worker, officer)
    response = as_user(client, worker).post(
        reverse("placements:deviation-lodge", args=[request.pk]),
        {"deviation-description": "Svar dröjde fem dagar"},
    )
    assert response.status_code == 302
    deviation = Deviation.objects.get()
    handle = reverse("placements:deviation-handle", args=[request.pk, deviation.pk])
    close = reverse("placements:deviation-close", args=[request.pk, deviation.pk])
    note = f"deviation-{deviation.pk}-note"
    assert client.post(handle, {note: "x"}).status_code == 403  # the worker cannot handle it
    client = as_user(client, officer)
    assert client.post(handle, {note: "Utreds"}).status_code == 302
    assert client.post(close, {note: "Rutin ändrad"}).status_code == 302
    deviation.refresh_from_db()
    assert deviation.status == Deviation.Status.CLOSED
    text = html(client.get(detail_url(request)))
    assert "Rutin ändrad" in text and f'name="{note}"' not in text


# --- Placement officer's actions -----------------------------------------------------------------


def test_excluded_units_are_refused_to_those_who_do_not_see_the_matching(
    client, worker, officer, hvb_unit
):
    request = in_matching(worker, officer)
    url = reverse("placements:request-excluded-units", args=[request.pk])
    assert as_user(client, worker).get(url).status_code == 403
    other_municipality = placement_officer(MunicipalityFactory())
    assert as_user(client, other_municipality).get(url).status_code == 404


def test_officer_assigns_the_request_to_a_team_colleague(client, worker, officer, other_officer):
    request = in_matching(worker, officer)
    adults_officer = placement_officer(worker.municipality, team=PlacementTeam.ADULTS)
    client = as_user(client, officer)
    page = html(client.get(detail_url(request)))
    assert f'value="{other_officer.pk}"' in page
    assert f'value="{adults_officer.pk}"' not in page
    url = reverse("placements:request-assign", args=[request.pk])
    assert client.post(url, {"assign-officer": adults_officer.pk}).status_code == 400
    assert client.post(url, {"assign-officer": other_officer.pk}).status_code == 302
    request.refresh_from_db()
    assert request.assigned_officer == other_officer


def test_officer_records_that_no_provider_was_found(client, worker, officer):
    request = in_matching(worker, officer)
    response = as_user(client, officer).post(
        reverse("placements:request-no-provider", args=[request.pk]),
        {"no-provider-reason": "Inga lediga platser i regionen"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == R.NOT_PLACED


# --- Timeline and messages -----------------------------------------------------------------------


def test_timeline_shows_every_event_with_who_and_text(client, worker, officer, hvb_unit):
    request = in_matching(worker, officer)
    client = as_user(client, officer)
    response = client.post(
        reverse("placements:request-message", args=[request.pk]),
        {"message-text": "Finns skolgång på plats?"},
    )
    assert response.status_code == 302
    services.send_recommendation(
        actor=officer, request=request.pk, offering=hvb_unit.offerings.get().pk, daily_price=None
    )
    text = html(client.get(detail_url(request)))
    timeline = text[text.index('id="timeline-heading"') :]
    for label in ("Skapad", "Inskickad", "Tilldelad", "Meddelande", "Rekommendation skickad"):
        assert label in timeline
    assert "Finns skolgång på plats?" in timeline
    assert officer.get_full_name() in timeline and worker.get_full_name() in timeline
    assert timeline.count('class="timeline__event ') == request.timeline.count() == 5


def test_an_empty_message_is_a_form_error(client, worker, officer):
    request = in_matching(worker, officer)
    response = as_user(client, worker).post(
        reverse("placements:request-message", args=[request.pk]), {"message-text": ""}
    )
    assert response.status_code == 400
    assert not request.timeline.filter(kind=TimelineEvent.Kind.MESSAGE).exists()


def test_matching_shows_the_best_units_and_all_of_them_on_request(
    client, worker, officer, hvb_unit, direct_unit, monkeypatch
):
    from placements import matching

    monkeypatch.setattr(matching, "MATCH_LIMIT", 1)
    request = in_matching(worker, officer)
    client = as_user(client, officer)
    text = html(client.get(detail_url(request)))
    assert "HVB Fyren" in text and "HVB Ekbacken" not in text
    assert "?matches=all" in text
    text = html(client.get(detail_url(request), {"matches": "all"}))
    assert "HVB Fyren" in text and "HVB Ekbacken" in text


def test_the_draft_form_shows_the_person_and_logs_the_read(client, worker):
    draft = services.create_request(actor=worker, **request_fields())
    response = as_user(client, worker).get(reverse("placements:request-edit", args=[draft.pk]))
    assert "20120315-2382" in html(response)
    assert PersonDataAccess.objects.filter(user=worker, request=draft).count() == 1


def test_no_deviation_can_be_lodged_on_a_draft(client, worker):
    draft = services.create_request(actor=worker, **request_fields())
    client = as_user(client, worker)
    url = reverse("placements:deviation-lodge", args=[draft.pk])
    assert url not in html(client.get(detail_url(draft)))
    assert client.post(url, {"deviation-description": "x"}).status_code == 403
    assert not Deviation.objects.exists()


def test_matches_of_a_protected_request_are_only_for_the_assigned_officer(
    client, protected, officer, other_officer, hvb_unit
):
    # Exclusion reasons (age span, gender) would hint at who the person is.
    assert 'id="matching-heading"' in html(as_user(client, officer).get(detail_url(protected)))
    text = html(as_user(client, other_officer).get(detail_url(protected)))
    assert 'id="matching-heading"' not in text
    assert reverse("placements:request-assign", args=[protected.pk]) in text
