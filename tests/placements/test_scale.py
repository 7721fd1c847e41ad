"""The regional-scale generator: requests that the product's own rules could have produced."""

import datetime as dt
import hashlib
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from devtools.scale import placements as scale
from devtools.scale.register import generate_register
from placements.models import (
    CLOSED_STATUSES,
    PlacementRequest,
    Recommendation,
    RequestStatus,
    TimelineEvent,
)
from providers.rules import matchable_offerings
from tests.placements.test_tally import counted_from_requests, tallies

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 12, 0))
TOTAL = 900


@pytest.fixture
def region():
    places = scale.prepare_region(3)
    generate_register(150, progress=lambda message: None)
    return places


def _generate(region, seed: int = 7):
    return scale.generate_requests(
        region, years=3, total=TOTAL, seed=seed, progress=lambda message: None, now=NOW
    )


def test_generates_about_the_asked_number_over_the_years_and_municipalities(region):
    counts = _generate(region)

    requests = PlacementRequest.objects.all()
    assert abs(counts.requests - TOTAL) <= 10
    assert requests.count() == counts.requests
    assert set(requests.values_list("created_at__year", flat=True).distinct()) <= {
        2023,
        2024,
        2025,
        2026,
    }
    municipalities = Counter(requests.values_list("administration__municipality__name", flat=True))
    assert set(municipalities) == {"Göteborg", "Mölndal", "Kungälv"}
    # Spread by population: Gothenburg carries most of it.
    assert municipalities["Göteborg"] > municipalities["Mölndal"] + municipalities["Kungälv"]
    assert TimelineEvent.objects.count() == counts.timeline
    assert Recommendation.objects.count() == counts.recommendations
    # The statistics' tallies were kept by the database while the rows were copied in.
    assert tallies() == counted_from_requests()


def test_every_request_is_consistent_with_its_timeline_and_recommendations(region):
    _generate(region)

    requests = PlacementRequest.objects.annotate(
        first_recommendation=Min("recommendations__created_at"),
        events=Count("timeline"),
    )
    for request in requests.select_related("chosen_recommendation"):
        kinds = list(request.timeline.order_by("created_at", "id").values_list("kind", flat=True))
        assert kinds[0] == TimelineEvent.Kind.CREATED
        assert request.reference == f"PF-{request.created_at:%Y}-{request.pk:06d}"
        assert request.first_recommended_at == request.first_recommendation
        if request.status == RequestStatus.DRAFT:
            assert request.submitted_at is None and kinds == ["created"]
            continue
        assert kinds[1] == TimelineEvent.Kind.SUBMITTED
        assert request.created_at < request.submitted_at <= NOW
        assert (request.closed_at is not None) == (request.status in CLOSED_STATUSES)
        if request.status == RequestStatus.PLACED:
            assert request.chosen_recommendation.request_id == request.pk
            assert "provider_chosen" in kinds and request.placement_start is not None
        else:
            assert request.chosen_recommendation is None
        if request.status == RequestStatus.RECOMMENDED:
            assert "recommendation_sent" in kinds and request.closed_at is None
        if request.status != RequestStatus.SUBMITTED:
            assert request.assigned_officer_id is not None or request.status == "withdrawn"
    assert not TimelineEvent.objects.filter(created_at__gt=NOW).exists()


def test_recent_requests_are_still_open_and_old_ones_closed(region):
    _generate(region)

    old = PlacementRequest.objects.filter(submitted_at__lt=NOW - dt.timedelta(days=60))
    assert not old.exclude(status__in=CLOSED_STATUSES).exists()
    recent_open = PlacementRequest.objects.filter(
        status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_MATCHING, RequestStatus.RECOMMENDED]
    )
    assert recent_open.exists()


def test_recommendations_are_of_matchable_offerings_of_the_requested_service(region):
    _generate(region)

    recommendations = Recommendation.objects.select_related("request", "offering")
    assert recommendations.exists()
    assert not recommendations.exclude(offering__service=F("request__service")).exists()
    matchable = set(matchable_offerings(NOW.date()).values_list("pk", flat=True))
    assert set(recommendations.values_list("offering_id", flat=True)) <= matchable
    eu = recommendations.filter(request__kind="eu_assignment")
    assert not eu.filter(offering__unit__takes_eu_assignments=False).exists()


def _digest() -> str:
    rows = PlacementRequest.objects.order_by("submitted_at", "created_at").values_list(
        "status", "service__code", "person_key", "submitted_at", "administration__name"
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def test_the_same_seed_gives_the_same_requests_and_another_seed_others(region):
    class Rollback(Exception):
        pass

    digests = []
    for seed in (7, 7, 8):
        try:
            with transaction.atomic():
                _generate(region, seed)
                digests.append(_digest())
                raise Rollback
        except Rollback:
            pass
    assert digests[0] == digests[1] != digests[2]


def test_protected_identities_and_repeat_persons_occur(region):
    scale.generate_requests(
        region, years=3, total=3000, seed=3, progress=lambda message: None, now=NOW
    )

    requests = PlacementRequest.objects.all()
    assert requests.filter(protected_identity=True).exists()
    persons = requests.values("person_key").distinct().count()
    assert persons < requests.count() * 0.8  # people come back
    assert requests.filter(~Q(status=RequestStatus.DRAFT), submitted_at__isnull=True).count() == 0
