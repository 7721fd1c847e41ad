"""Request tallies (the statistics' pre-aggregation) follow every change of a request."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, F
from django.db.models.functions import TruncMonth

from placements import services
from placements.models import PlacementRequest, RequestStatus, RequestTally
from spink.accounts.models import PlacementTeam
from tests.factories import (
    OrgUnitFactory,
    placement_officer,
    published_unit,
    request_fields,
    social_worker,
    submitted_request,
)

pytestmark = pytest.mark.django_db


def tallies() -> dict[tuple, int]:
    rows = RequestTally.objects.exclude(requests=0).values_list(
        "month",
        "administration_id",
        "service_id",
        "subcategory_id",
        "kind",
        "status",
        "operating_form_id",
        "requests",
    )
    return {tuple(row[:-1]): row[-1] for row in rows}


def counted_from_requests() -> dict[tuple, int]:
    """The same numbers counted from the requests themselves, the slow way."""
    rows = (
        PlacementRequest.objects.exclude(status=RequestStatus.DRAFT)
        .annotate(month=TruncMonth("submitted_at"))
        .values_list(
            "month",
            "administration_id",
            "service_id",
            "subcategory_id",
            "kind",
            "status",
            F("chosen_recommendation__offering__operating_form_id"),
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(row[0].date(), *row[1:-1]): row[-1] for row in rows}


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


def test_drafts_are_not_counted_and_submission_is(worker):
    draft = services.create_request(actor=worker, **request_fields())
    assert tallies() == {}

    services.submit(actor=worker, request=draft.pk)

    assert sum(tallies().values()) == 1
    assert tallies() == counted_from_requests()


def test_tallies_follow_the_whole_workflow_and_the_chosen_operating_form(worker, officer):
    unit = published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))
    placed, withdrawn, not_placed = (submitted_request(worker) for _ in range(3))
    for request in (placed, not_placed):
        services.take(actor=officer, request=request.pk)
    recommendation = services.send_recommendation(
        actor=officer, request=placed.pk, offering=unit.offerings.get().pk, daily_price=None
    )
    services.report_choice(
        actor=worker,
        request=placed.pk,
        recommendation=recommendation.pk,
        start_date=dt.date(2026, 12, 3),
    )
    services.withdraw(actor=worker, request=withdrawn.pk, reason="Löst på annat sätt.")
    services.record_no_provider_found(actor=officer, request=not_placed.pk, reason="Inget ledigt.")

    counted = tallies()
    assert counted == counted_from_requests()
    statuses = {key[5]: n for key, n in counted.items()}
    assert statuses == {"placed": 1, "withdrawn": 1, "not_placed": 1}
    placed_key = next(key for key in counted if key[5] == "placed")
    assert placed_key[6] == unit.offerings.get().operating_form_id


def test_moving_a_request_between_administrations_or_deleting_it_moves_the_count(worker):
    request = submitted_request(worker)
    other = OrgUnitFactory(administration__municipality=worker.municipality)
    PlacementRequest.objects.filter(pk=request.pk).update(
        administration=other.administration, org_unit=other
    )
    assert tallies() == counted_from_requests()
    assert {key[1] for key in tallies()} == {other.administration_id}

    # Not possible through the product (the timeline protects it); the trigger still counts.
    PlacementRequest.objects.filter(pk=request.pk).update(status=RequestStatus.WITHDRAWN)
    assert tallies() == counted_from_requests()
