"""The print view of a placement request: what the request page shows, laid out for paper,
never more; protected identity honoured; logged as a read of the person's data."""

import pytest
from django.urls import reverse

from placements import services
from placements.models import PersonDataAccess
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    OrgUnitFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

SECRET = ("Zelmira", "Hemligsdotter", "Gömdavägen 7", "20120315-2382")


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


def print_url(request) -> str:
    return reverse("placements:request-print", args=[request.pk])


def printed(client, user, request):
    client.force_login(user)
    response = client.get(print_url(request))
    assert response.status_code == 200
    return response.content.decode()


def test_the_print_view_has_the_request_its_recommendations_and_timeline(client, worker, officer):
    unit = published_unit("hvb", "framework", name="HVB Fyren")
    request = submitted_request(worker, person_first_name="Alva")
    services.take(actor=officer, request=request.pk)
    services.send_recommendation(
        actor=officer, request=request.pk, offering=unit.offerings.get().pk, daily_price=None
    )
    services.post_message(actor=worker, request=request.pk, text="Ring mig efter lunch.")
    text = printed(client, worker, request)
    assert request.reference in text and "Alva" in text
    assert "HVB Fyren" in text and 'id="timeline-heading"' in text
    assert "Ring mig efter lunch." in text
    # Laid out for paper: its stylesheet for print and the same for screen, a print button.
    assert 'href="/static/css/print.css" media="print"' in text
    assert 'href="/static/css/print.css" media="screen"' in text
    assert "data-print" in text and "/static/js/print.js" in text
    # No forms of the request page on paper.
    assert "<form" not in text
    assert PersonDataAccess.objects.filter(user=worker, channel="print").count() == 1


def test_the_request_page_links_to_the_print_view(client, worker):
    request = submitted_request(worker)
    client.force_login(worker)
    page = client.get(reverse("placements:request-detail", args=[request.pk])).content.decode()
    assert print_url(request) in page


def test_a_protected_identity_is_printed_only_for_its_social_worker_and_officer(
    client, worker, officer
):
    request = submitted_request(
        worker,
        protected_identity=True,
        person_first_name=SECRET[0],
        person_last_name=SECRET[1],
        person_address=SECRET[2],
        needs="Hemligt behov",
    )
    services.take(actor=officer, request=request.pk)
    services.post_message(actor=worker, request=request.pk, text="Hemligt meddelande")
    for user in (worker, officer):
        text = printed(client, user, request)
        assert SECRET[0] in text and "Hemligt meddelande" in text
    colleague = social_worker(worker.org_unit)
    for user in (colleague, user_with_role(Role.ADMINISTRATOR)):
        text = printed(client, user, request)
        for secret in (*SECRET, "Hemligt behov", "Hemligt meddelande"):
            assert secret not in text
        assert not PersonDataAccess.objects.filter(user=user).exists()


def test_the_print_view_never_shows_more_than_the_request_page(client, worker):
    """An officer of another team sees the request by reference and service only, on the page
    and on paper alike."""
    request = submitted_request(worker, person_first_name="Alva", needs="Behöver lugn miljö")
    other_team = placement_officer(worker.municipality, team=PlacementTeam.ADULTS)
    client.force_login(other_team)
    page = client.get(reverse("placements:request-detail", args=[request.pk])).content.decode()
    text = printed(client, other_team, request)
    for secret in ("Alva", "Behöver lugn miljö", "20120315"):
        assert secret not in page and secret not in text
    assert not PersonDataAccess.objects.filter(user=other_team).exists()


def test_another_municipality_and_others_drafts_are_not_found(client, worker):
    request = submitted_request(worker)
    draft = services.create_request(
        actor=worker,
        **{
            "service": request.service,
            "urgency": "planned",
            "wanted_start": request.wanted_start,
            "person_identity_number": "20120315-2382",
            "person_first_name": "A",
            "person_last_name": "B",
        },
    )
    elsewhere = social_worker()
    client.force_login(elsewhere)
    assert client.get(print_url(request)).status_code == 404
    colleague = social_worker(OrgUnitFactory(administration=worker.administration))
    client.force_login(colleague)
    assert client.get(print_url(draft)).status_code == 404
