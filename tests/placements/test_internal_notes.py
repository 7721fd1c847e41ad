"""Internal notes: written and read by the request's placement officers only, kept from the
social worker by the database query (page and API), never printed or exported, and nobody is
notified of them."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from notifications.models import Notification
from placements import rules, selectors, services
from placements.models import TimelineEvent
from spink.accounts import access
from spink.accounts.models import PlacementTeam, Role
from spink.errors import RuleViolation
from tests.factories import (
    AdministrationFactory,
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db
NOTE = "Ring enhetschefen om platsen innan fredag."
K = TimelineEvent.Kind


@pytest.fixture
def gothenburg():
    return MunicipalityFactory(name="Göteborg", code="1480")


@pytest.fixture
def worker(gothenburg):
    return social_worker(
        OrgUnitFactory(administration=AdministrationFactory(municipality=gothenburg))
    )


@pytest.fixture
def officer(gothenburg):
    return placement_officer(gothenburg, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def team_colleague(gothenburg):
    return placement_officer(gothenburg, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def taken(worker, officer):
    request = submitted_request(worker)
    return services.take(actor=officer, request=request.pk)


@pytest.fixture
def noted(taken, officer):
    services.post_internal_note(actor=officer, request=taken, text=NOTE)
    services.post_message(actor=officer, request=taken, text="Vi letar plats.")
    return taken


def _readers(gothenburg, worker, officer, team_colleague):
    return {
        "assigned officer": (officer, True),
        "officer of the team": (team_colleague, True),
        "administrator": (user_with_role(Role.ADMINISTRATOR), True),
        "social worker": (worker, False),
        "colleague of the social worker": (social_worker(worker.org_unit), False),
        "manager": (user_with_role(Role.MANAGER, gothenburg), False),
        "officer of another team": (
            placement_officer(gothenburg, team=PlacementTeam.ADULTS),
            False,
        ),
        "officer of another municipality": (placement_officer(MunicipalityFactory()), False),
    }


def test_only_the_requests_placement_officers_and_administrators_read_and_write_notes(
    gothenburg, worker, officer, team_colleague, taken
):
    for who, (user, may) in _readers(gothenburg, worker, officer, team_colleague).items():
        assert access.may_read_internal_notes(user, taken) is may, who
        assert rules.REQUEST_WORKFLOW.allows("internal_note", taken, user) is may, who


def test_an_officer_writes_a_note_on_the_timeline(officer, taken):
    event = services.post_internal_note(actor=officer, request=taken.pk, text=f"  {NOTE} ")
    assert (event.kind, event.text, event.actor) == (K.INTERNAL_NOTE, NOTE, officer)


def test_the_social_worker_cannot_write_a_note(worker, taken):
    with pytest.raises(RuleViolation) as refused:
        services.post_internal_note(actor=worker, request=taken, text=NOTE)
    assert refused.value.code == "not_allowed"
    assert not taken.timeline.filter(kind=K.INTERNAL_NOTE).exists()


def test_a_blank_note_is_refused(officer, taken):
    with pytest.raises(ValidationError) as refused:
        services.post_internal_note(actor=officer, request=taken, text="   ")
    assert list(refused.value.message_dict) == ["text"]


def test_the_timeline_query_leaves_notes_out_for_who_may_not_read_them(
    gothenburg, worker, officer, team_colleague, noted
):
    for who, (user, may) in _readers(gothenburg, worker, officer, team_colleague).items():
        events = selectors.timeline_for(user, noted)
        assert ("INTERNAL_NOTE" in str(events.query).upper()) is not may, who
        assert events.filter(kind=K.INTERNAL_NOTE).exists() is may, who
        assert events.filter(kind=K.MESSAGE).exists(), who


def test_the_social_worker_never_sees_a_note_on_the_request_page(client, worker, officer, noted):
    client.force_login(worker)
    page = client.get(reverse("placements:request-detail", args=[noted.pk])).content.decode()
    assert NOTE not in page
    assert "Vi letar plats." in page
    assert "Intern – bara placeringshandläggare" not in page
    assert "Meddelande – syns för socialsekreteraren" in page
    assert reverse("placements:request-internal-note", args=[noted.pk]) not in page


def test_the_officer_sees_notes_and_messages_with_their_visibility(client, officer, noted):
    client.force_login(officer)
    page = client.get(reverse("placements:request-detail", args=[noted.pk])).content.decode()
    assert NOTE in page and "Vi letar plats." in page
    assert "Intern – bara placeringshandläggare" in page
    assert "Meddelande – syns för socialsekreteraren" in page
    assert reverse("placements:request-internal-note", args=[noted.pk]) in page


def test_an_officer_posts_a_note_from_the_request_page(client, team_colleague, taken):
    client.force_login(team_colleague)
    url = reverse("placements:request-internal-note", args=[taken.pk])
    response = client.post(url, {"note-text": NOTE})
    assert response.status_code == 302
    assert taken.timeline.get(kind=K.INTERNAL_NOTE).actor == team_colleague


def test_a_blank_note_is_refused_next_to_the_note_form(client, officer, taken):
    client.force_login(officer)
    response = client.post(
        reverse("placements:request-internal-note", args=[taken.pk]), {"note-text": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    form = page[page.index('id="note-heading"') :]
    assert 'class="error-summary" role="alert" tabindex="-1"' in form[: form.index("</form>")]


def test_the_social_worker_posting_a_note_is_refused(client, worker, taken):
    client.force_login(worker)
    response = client.post(
        reverse("placements:request-internal-note", args=[taken.pk]), {"note-text": NOTE}
    )
    assert response.status_code == 403
    assert not taken.timeline.filter(kind=K.INTERNAL_NOTE).exists()


def test_the_api_timeline_follows_the_same_rule(worker, officer, noted):
    path = f"/api/v1/placement-requests/{noted.pk}/timeline/"
    for user, expected in ((worker, False), (officer, True)):
        client = APIClient()
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200
        kinds = [event["kind"] for event in response.json()]
        assert (K.INTERNAL_NOTE in kinds) is expected
        assert K.MESSAGE in kinds
        assert (NOTE in response.content.decode()) is expected


def test_the_print_view_and_exports_never_carry_a_note(client, officer, noted):
    client.force_login(officer)
    printed = client.get(reverse("placements:request-print", args=[noted.pk])).content.decode()
    assert NOTE not in printed and "Vi letar plats." in printed
    response = client.get(reverse("placements:queue-export"))
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert noted.reference in exported
    assert NOTE not in "".join(";".join(row) for row in csv.reader(io.StringIO(exported)))


def test_nobody_is_notified_of_a_note(worker, officer, team_colleague, taken):
    before = Notification.objects.count()
    services.post_internal_note(actor=team_colleague, request=taken, text=NOTE)
    assert Notification.objects.count() == before
    assert not Notification.objects.filter(recipient=worker, event__kind=K.INTERNAL_NOTE).exists()
