"""The placement request workflow: every transition, every refusal, and the timeline."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from placements import services
from placements.models import PlacementRequest, RequestStatus, TimelineEvent
from spink.accounts.models import PlacementTeam, Role
from spink.errors import RuleViolation
from tests.factories import (
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


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def hvb_unit():
    return published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))


def recommend(officer, request, unit, price=None, **kwargs):
    return services.send_recommendation(
        actor=officer,
        request=request.pk,
        offering=unit.offerings.get().pk,
        daily_price=price,
        **kwargs,
    )


def kinds(request):
    return list(request.timeline.values_list("kind", flat=True))


def test_create_derives_person_data_and_team(worker):
    request = services.create_request(actor=worker, **request_fields())
    assert request.status == R.DRAFT
    assert request.reference == f"PF-{request.created_at:%Y}-{request.pk:06d}"
    assert request.person_birth_date == dt.date(2012, 3, 15)
    assert request.person_gender == "female"
    assert request.team == PlacementTeam.CHILDREN_YOUTH
    assert request.administration == worker.administration
    assert len(request.person_key) == 64 and "2382" not in request.person_key


def test_invalid_identity_number_is_a_field_error_and_saves_nothing(worker):
    with pytest.raises(ValidationError) as excinfo:
        services.create_request(
            actor=worker, **request_fields(person_identity_number="20120315-2383")
        )
    assert "person_identity_number" in excinfo.value.message_dict
    assert not PlacementRequest.objects.exists()


def test_only_social_workers_create_requests(officer):
    with pytest.raises(PermissionDenied):
        services.create_request(actor=officer, **request_fields())


def test_whole_journey_is_on_the_timeline(worker, officer, hvb_unit):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    services.post_message(actor=officer, request=request.pk, text="Finns skolgång på plats?")
    recommendation = recommend(officer, request, hvb_unit, comment="Bra matchning")
    services.report_choice(
        actor=worker,
        request=request.pk,
        recommendation=recommendation.pk,
        start_date=dt.date(2026, 12, 3),
    )
    request.refresh_from_db()
    assert request.status == R.PLACED
    assert request.chosen_recommendation == recommendation
    assert request.closed_at is not None
    assert kinds(request) == [
        "created",
        "submitted",
        "assigned",
        "message",
        "recommendation_sent",
        "provider_chosen",
    ]
    assert all(event.actor_id for event in request.timeline.all())


def test_recommendation_price_defaults_to_the_units_current_price(worker, officer, hvb_unit):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    assert recommend(officer, request, hvb_unit).daily_price == Decimal("4200")


def test_recommendation_notifies_the_social_worker_without_person_data(
    worker, officer, hvb_unit, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker round trip is proven in test_tasks
    from spink.celery import app

    app.conf.task_always_eager = True
    try:
        request = submitted_request(worker, protected_identity=True)
        services.take(actor=officer, request=request.pk)
        with django_capture_on_commit_callbacks(execute=True):
            recommend(officer, request, hvb_unit)
    finally:
        app.conf.task_always_eager = False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [worker.email]
    assert request.reference in message.subject + message.body
    for secret in ("Alva", "Testsson", "20120315", "2382"):
        assert secret not in message.subject + message.body


@pytest.mark.parametrize(
    ("action", "setup_status"),
    [
        ("submit", R.SUBMITTED),
        ("take", R.DRAFT),
        ("take", R.IN_MATCHING),
        ("recommend", R.SUBMITTED),
        ("choose", R.IN_MATCHING),
        ("withdraw", R.DRAFT),
        ("withdraw", R.PLACED),
        ("no_provider_found", R.SUBMITTED),
    ],
)
def test_illegal_transitions_are_refused_with_a_message(
    worker, officer, hvb_unit, action, setup_status
):
    request = services.create_request(actor=worker, **request_fields())
    PlacementRequest.objects.filter(pk=request.pk).update(
        status=setup_status, submitted_at="2026-11-01T10:00Z", assigned_officer=officer
    )
    calls = {
        "submit": lambda: services.submit(actor=worker, request=request.pk),
        "take": lambda: services.take(actor=officer, request=request.pk),
        "recommend": lambda: recommend(officer, request, hvb_unit),
        "choose": lambda: services.report_choice(
            actor=worker, request=request.pk, recommendation=0, start_date=dt.date(2026, 12, 1)
        ),
        "withdraw": lambda: services.withdraw(
            actor=worker, request=request.pk, reason="Ändrat behov"
        ),
        "no_provider_found": lambda: services.record_no_provider_found(
            actor=officer, request=request.pk, reason="x"
        ),
    }
    with pytest.raises(RuleViolation) as excinfo:
        calls[action]()
    assert excinfo.value.code == "illegal_transition"
    assert PlacementRequest.objects.get(pk=request.pk).status == setup_status


def test_officer_of_another_team_cannot_take_the_request(worker):
    request = submitted_request(worker)
    adults = placement_officer(worker.municipality, team=PlacementTeam.ADULTS)
    with pytest.raises(RuleViolation) as excinfo:
        services.take(actor=adults, request=request.pk)
    assert excinfo.value.code == "not_allowed"


def test_officer_of_another_municipality_cannot_take_the_request(worker):
    request = submitted_request(worker)
    other = placement_officer(OrgUnitFactory().administration.municipality)
    with pytest.raises(RuleViolation):
        services.take(actor=other, request=request.pk)


def test_only_the_assigned_officer_recommends(worker, officer, hvb_unit):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    colleague = placement_officer(worker.municipality)
    with pytest.raises(RuleViolation) as excinfo:
        recommend(colleague, request, hvb_unit)
    assert excinfo.value.code == "not_allowed"


def test_social_worker_of_another_administration_cannot_withdraw(worker):
    request = submitted_request(worker)
    other = social_worker()
    with pytest.raises(RuleViolation):
        services.withdraw(actor=other, request=request.pk, reason="x")


def test_withdraw_needs_a_reason_and_closes_the_request(worker):
    request = submitted_request(worker)
    with pytest.raises(ValidationError):
        services.withdraw(actor=worker, request=request.pk, reason=" ")
    services.withdraw(actor=worker, request=request.pk, reason="Barnet flyttar hem")
    request.refresh_from_db()
    assert request.status == R.WITHDRAWN
    assert request.timeline.last().text == "Barnet flyttar hem"


def test_no_provider_found_closes_as_not_placed(worker, officer):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    services.record_no_provider_found(
        actor=officer, request=request.pk, reason="Inga lediga platser"
    )
    assert PlacementRequest.objects.get(pk=request.pk).status == R.NOT_PLACED


def test_none_chosen_closes_as_not_placed(worker, officer, hvb_unit):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    recommend(officer, request, hvb_unit)
    services.report_none_chosen(actor=worker, request=request.pk, reason="Familjen tackade nej")
    assert PlacementRequest.objects.get(pk=request.pk).status == R.NOT_PLACED


def test_choice_must_be_one_of_the_requests_recommendations(worker, officer, hvb_unit):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    recommend(officer, request, hvb_unit)
    other_request = submitted_request(worker)
    services.take(actor=officer, request=other_request.pk)
    other = recommend(officer, other_request, hvb_unit)
    with pytest.raises(ValidationError):
        services.report_choice(
            actor=worker,
            request=request.pk,
            recommendation=other.pk,
            start_date=dt.date(2026, 12, 1),
        )


def test_unit_that_does_not_match_cannot_be_recommended(worker, officer):
    adults_unit = published_unit("socialt-boende", "framework")
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    with pytest.raises(ValidationError) as excinfo:
        recommend(officer, request, adults_unit)
    assert "offering" in excinfo.value.message_dict


def test_timeline_events_cannot_be_edited_or_deleted(worker):
    request = services.create_request(actor=worker, **request_fields())
    event = request.timeline.get()
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).update(text="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).delete()
    assert TimelineEvent.objects.get(pk=event.pk).text == ""


def test_deviation_is_lodged_handled_and_closed_on_the_timeline(worker, officer):
    request = submitted_request(worker)
    deviation = services.lodge_deviation(
        actor=worker, request=request.pk, description="Svar dröjde fem dagar"
    )
    with pytest.raises(RuleViolation):
        services.handle_deviation(actor=worker, deviation=deviation.pk, note="x")
    services.handle_deviation(actor=officer, deviation=deviation.pk, note="Utreds av teamledare")
    services.close_deviation(
        actor=officer, deviation=deviation.pk, note="Rutin för akuta ärenden ändrad"
    )
    deviation.refresh_from_db()
    assert deviation.status == "closed"
    assert kinds(request)[-3:] == ["deviation", "deviation_handled", "deviation_closed"]
    with pytest.raises(RuleViolation):
        services.close_deviation(actor=officer, deviation=deviation.pk, note="again")


def test_manager_cannot_lodge_a_deviation(worker):
    request = submitted_request(worker)
    with pytest.raises(RuleViolation):
        services.lodge_deviation(
            actor=user_with_role(Role.MANAGER, worker.municipality),
            request=request.pk,
            description="x",
        )


@pytest.mark.django_db(transaction=True)
def test_two_officers_taking_the_same_request_at_once_cannot_both_succeed():
    worker = social_worker()
    request = submitted_request(worker)
    officers = [placement_officer(worker.municipality) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = {}

    def take(officer):
        try:
            barrier.wait(timeout=10)
            services.take(actor=officer, request=request.pk)
            outcomes[officer.pk] = "taken"
        except RuleViolation as refusal:
            outcomes[officer.pk] = refusal.code
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=take, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["illegal_transition", "taken"]
    request.refresh_from_db()
    winner = next(pk for pk, outcome in outcomes.items() if outcome == "taken")
    assert request.assigned_officer_id == winner
    assert request.timeline.filter(kind="assigned").count() == 1
