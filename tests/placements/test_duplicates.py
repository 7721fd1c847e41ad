"""A second open request for the same person and service is shown before submitting, with a
link, and is submitted only once its author confirms; a request the user may not see is never
revealed (page and API)."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from categories.models import Service
from placements import selectors, services
from placements.models import PlacementRequest, RequestStatus
from spink.accounts.models import PlacementTeam
from tests.factories import (
    AdministrationFactory,
    OrgUnitFactory,
    placement_officer,
    request_fields,
    social_worker,
    submitted_request,
)

pytestmark = pytest.mark.django_db
R = RequestStatus
OTHER_PERSON = "20100101-2382"


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def colleague(worker):
    """Another social worker of the same organisation unit: sees its persons."""
    return social_worker(worker.org_unit)


@pytest.fixture
def draft(worker):
    return services.create_request(actor=worker, **request_fields())


def _duplicates(user, request):
    return list(selectors.open_duplicates(user, request))


def test_an_open_request_of_the_same_person_and_service_is_a_duplicate(worker, colleague, draft):
    open_one = submitted_request(colleague)
    assert _duplicates(worker, draft) == [open_one]


def test_another_service_another_person_or_a_closed_request_is_not(worker, draft):
    submitted_request(worker, service=Service.objects.get(code="familjehem"))
    submitted_request(worker, person_identity_number=OTHER_PERSON)
    withdrawn = submitted_request(worker)
    services.withdraw(actor=worker, request=withdrawn, reason="Fel ärende")
    assert _duplicates(worker, draft) == []


def test_the_authors_other_draft_is_a_duplicate_but_a_colleagues_draft_is_not(
    worker, colleague, draft
):
    services.create_request(actor=colleague, **request_fields())
    mine = services.create_request(actor=worker, **request_fields())
    assert _duplicates(worker, draft) == [mine]


def test_a_request_the_user_may_not_see_is_never_revealed(worker, draft):
    # Another administration: not visible at all.
    submitted_request(social_worker())
    # The same administration, another unit, and a protected identity: the request is in
    # scope but its person is not the worker's to see.
    other_unit = OrgUnitFactory(administration=worker.administration)
    submitted_request(social_worker(other_unit), protected_identity=True)
    assert _duplicates(worker, draft) == []


def test_an_officer_sees_duplicates_only_within_their_team(worker):
    officer = placement_officer(worker.administration.municipality)
    first = submitted_request(worker)
    second = submitted_request(worker)
    assert _duplicates(officer, second) == [first]
    other_team = placement_officer(worker.administration.municipality, team=PlacementTeam.ADULTS)
    assert _duplicates(other_team, second) == []


def test_the_draft_form_shows_the_other_request_with_a_link(client, worker, colleague, draft):
    other = submitted_request(colleague)
    client.force_login(worker)
    page = client.get(reverse("placements:request-edit", args=[draft.pk])).content.decode()
    assert reverse("placements:request-detail", args=[other.pk]) in page
    assert other.reference in page
    assert 'name="confirm_duplicate"' in page


def test_the_draft_form_without_a_duplicate_shows_no_warning(client, worker, draft):
    client.force_login(worker)
    page = client.get(reverse("placements:request-edit", args=[draft.pk])).content.decode()
    assert 'name="confirm_duplicate"' not in page


def _form(draft, **overrides):
    data = {
        "kind": "placement",
        "service": str(draft.service_id),
        "subcategory": "",
        "urgency": "planned",
        "wanted_start": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        "expected_length": "unknown",
        "person_identity_number": draft.person_identity_number,
        "person_first_name": "Alva",
        "person_last_name": "Testsson",
        "person_gender": "female",
        "needs": "Skolgång",
        "action": "submit",
    }
    data.update(overrides)
    return data


def test_submitting_needs_confirmation_when_a_duplicate_exists(client, worker, colleague, draft):
    submitted_request(colleague)
    client.force_login(worker)
    url = reverse("placements:request-edit", args=[draft.pk])
    response = client.post(url, _form(draft))
    assert response.status_code == 302
    assert response["Location"] == f"{url}?duplicate=refused"
    draft.refresh_from_db()
    assert draft.status == R.DRAFT
    page = client.get(response["Location"]).content.decode()
    assert 'role="alert" tabindex="-1" aria-labelledby="duplicates-heading"' in page

    seen = client.get(url).content.decode()
    token = seen.split('name="seen" value="', 1)[1].split('"', 1)[0]
    response = client.post(url, _form(draft, seen=token, confirm_duplicate="1"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == R.SUBMITTED


def test_a_new_request_submitted_over_a_duplicate_is_kept_as_a_draft(client, worker, colleague):
    other = submitted_request(colleague)
    client.force_login(worker)
    response = client.post(reverse("placements:request-create"), _form(other))
    created = PlacementRequest.objects.exclude(pk=other.pk).get()
    assert created.status == R.DRAFT
    assert response["Location"] == (
        reverse("placements:request-edit", args=[created.pk]) + "?duplicate=refused"
    )


def test_the_request_pages_submit_button_also_asks_for_confirmation(
    client, worker, colleague, draft
):
    submitted_request(colleague)
    client.force_login(worker)
    url = reverse("placements:request-submit", args=[draft.pk])
    response = client.post(url)
    assert response.status_code == 302 and "duplicate=refused" in response["Location"]
    draft.refresh_from_db()
    assert draft.status == R.DRAFT
    client.post(url, {"confirm_duplicate": "1"})
    draft.refresh_from_db()
    assert draft.status == R.SUBMITTED


def test_without_a_duplicate_submitting_needs_no_confirmation(client, worker, draft):
    client.force_login(worker)
    client.post(reverse("placements:request-submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == R.SUBMITTED


def test_the_api_refuses_a_duplicate_submit_until_confirmed(worker, colleague, draft):
    other = submitted_request(colleague)
    submitted_request(social_worker(), protected_identity=False)  # elsewhere: never named
    client = APIClient()
    client.force_login(worker)
    path = f"/api/v1/placement-requests/{draft.pk}/submit/"
    response = client.post(path, {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "duplicate_open_request"
    assert body["references"] == [other.reference]
    draft.refresh_from_db()
    assert draft.status == R.DRAFT
    response = client.post(path, {"confirm_duplicate": True}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == R.SUBMITTED


def test_the_api_submits_without_a_body_when_there_is_no_duplicate(worker):
    draft = services.create_request(
        actor=worker,
        **request_fields(
            person_identity_number=OTHER_PERSON,
            service=Service.objects.get(code="hvb"),
        ),
    )
    client = APIClient()
    client.force_login(worker)
    response = client.post(f"/api/v1/placement-requests/{draft.pk}/submit/")
    assert response.status_code == 200


def test_an_administration_elsewhere_is_never_a_duplicate(worker, draft):
    elsewhere = social_worker(OrgUnitFactory(administration=AdministrationFactory()))
    submitted_request(elsewhere)
    assert _duplicates(worker, draft) == []


def test_the_service_refuses_a_duplicate_submit_until_confirmed(worker, colleague, draft):
    """The rule lives in services.submit, so every entry point (page, API, jobs) asks it."""
    other = submitted_request(colleague)
    with pytest.raises(services.DuplicateOpenRequest) as refused:
        services.submit(actor=worker, request=draft.pk)
    assert refused.value.references == [other.reference]
    assert PlacementRequest.objects.get(pk=draft.pk).status == "draft"
    services.submit(actor=worker, request=draft.pk, confirm_duplicate=True)
    assert PlacementRequest.objects.get(pk=draft.pk).status == "submitted"
