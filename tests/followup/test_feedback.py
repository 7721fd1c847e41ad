"""Feedback (synpunkter): lodging, the team's workflow, the repeated-feedback signal, and
who sees what on the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from followup import rules, services
from followup.models import Feedback, FeedbackCategory, Severity, Signal
from providers.models import PublicationStatus
from spink.accounts.models import Role
from spink.errors import RuleViolation
from tests.factories import (
    OrgUnitFactory,
    UnitFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)
from tests.followup.support import days_ago, quality

pytestmark = pytest.mark.django_db
F = Feedback.Status
DOC = FeedbackCategory.DOCUMENTATION


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def team():
    return quality()


@pytest.fixture
def unit():
    return published_unit(name="Vågen Majorna")


def lodge(actor, unit, category=DOC, **kwargs) -> Feedback:
    kwargs.setdefault("description", "Genomförandeplanen saknas sedan två månader.")
    return services.lodge_feedback(actor=actor, unit=unit, category=category, **kwargs)


def backdate(feedback: Feedback, when: dt.datetime) -> None:
    Feedback.objects.filter(pk=feedback.pk).update(created_at=when)
    feedback.refresh_from_db()


# --- Lodging ---------------------------------------------------------------------------------


def test_a_social_worker_lodges_feedback_on_a_unit_with_history(worker, unit):
    feedback = lodge(worker, unit)
    feedback.refresh_from_db()
    assert (feedback.status, feedback.lodged_by, feedback.unit) == (F.RECEIVED, worker, unit)
    assert feedback.history.get().history_user == worker


def test_a_placement_officer_lodges_feedback_too(unit):
    officer = placement_officer(unit.municipality)
    assert lodge(officer, unit).lodged_by == officer


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PROCUREMENT, Role.MANAGER])
def test_roles_that_do_not_place_cannot_lodge_feedback(unit, role):
    with pytest.raises(PermissionDenied):
        lodge(user_with_role(role), unit)
    assert not Feedback.objects.exists()


def test_feedback_on_a_unit_the_worker_cannot_see_is_refused(worker):
    paused = UnitFactory(status=PublicationStatus.PAUSED)
    with pytest.raises(ValidationError) as refusal:
        lodge(worker, paused)
    assert "unit" in refusal.value.message_dict


def test_feedback_can_be_tied_to_a_request_the_worker_works_on(worker, unit):
    request = submitted_request(worker)
    assert lodge(worker, unit, placement_request=request).placement_request == request


def test_feedback_cannot_be_tied_to_someone_elses_request(worker, unit):
    other = submitted_request(social_worker(OrgUnitFactory()))
    with pytest.raises(ValidationError) as refusal:
        lodge(worker, unit, placement_request=other)
    assert "placement_request" in refusal.value.message_dict


@pytest.mark.parametrize(("category", "description"), [("bogus", "Text"), (DOC, "   ")])
def test_feedback_needs_a_category_and_a_description(worker, unit, category, description):
    with pytest.raises(ValidationError):
        lodge(worker, unit, category=category, description=description)


# --- The team's workflow ---------------------------------------------------------------------


def test_the_full_workflow_received_communicated_answered_closed(worker, team, unit):
    feedback = lodge(worker, unit)
    services.communicate_feedback(actor=team, feedback=feedback.pk)
    services.record_provider_answer(
        actor=team, feedback=feedback.pk, answer="Planen är nu upprättad."
    )
    services.close_feedback(
        actor=team,
        feedback=feedback.pk,
        closing_category=Feedback.Closing.DOCUMENTED,
        note="Svar framfört",
    )
    feedback.refresh_from_db()
    assert feedback.status == F.CLOSED
    assert feedback.communicated_at and feedback.closed_at
    assert (feedback.provider_answer, feedback.closing_category, feedback.closing_note) == (
        "Planen är nu upprättad.",
        "documented",
        "Svar framfört",
    )
    statuses = [record.status for record in feedback.history.order_by("history_date")]
    assert statuses == [F.RECEIVED, F.COMMUNICATED, F.ANSWERED, F.CLOSED]
    assert {record.history_user for record in feedback.history.exclude(status=F.RECEIVED)} == {team}


def test_feedback_can_be_closed_straight_after_it_was_communicated(worker, team, unit):
    feedback = lodge(worker, unit)
    services.communicate_feedback(actor=team, feedback=feedback.pk)
    services.close_feedback(
        actor=team, feedback=feedback.pk, closing_category=Feedback.Closing.UNFOUNDED
    )
    assert Feedback.objects.get(pk=feedback.pk).status == F.CLOSED


REFUSED = [
    ([], "close", "communicated to the provider"),
    ([], "answer", "only after the feedback has been communicated"),
    (["communicate"], "communicate", "Only received feedback"),
    (["communicate", "answer"], "answer", "only once"),
    (["communicate", "close"], "answer", "this feedback is “closed”"),
    (["communicate", "close"], "close", "this feedback is “closed”"),
]


def step(team, feedback, name):
    if name == "communicate":
        return services.communicate_feedback(actor=team, feedback=feedback.pk)
    if name == "answer":
        return services.record_provider_answer(actor=team, feedback=feedback.pk, answer="Svar")
    return services.close_feedback(
        actor=team, feedback=feedback.pk, closing_category=Feedback.Closing.DOCUMENTED
    )


@pytest.mark.parametrize(("before", "attempt", "message_part"), REFUSED)
def test_refused_transitions_say_why_and_change_nothing(
    worker, team, unit, before, attempt, message_part
):
    feedback = lodge(worker, unit)
    for name in before:
        step(team, feedback, name)
    status = Feedback.objects.get(pk=feedback.pk).status
    with translation.override("en"), pytest.raises(RuleViolation) as refusal:
        step(team, feedback, attempt)
    assert refusal.value.code == "illegal_transition"
    assert message_part in str(refusal.value.message)
    assert Feedback.objects.get(pk=feedback.pk).status == status


def test_answer_and_closing_category_are_required(worker, team, unit):
    feedback = lodge(worker, unit)
    services.communicate_feedback(actor=team, feedback=feedback.pk)
    with pytest.raises(ValidationError) as refusal:
        services.record_provider_answer(actor=team, feedback=feedback.pk, answer="  ")
    assert "provider_answer" in refusal.value.message_dict
    with pytest.raises(ValidationError) as refusal:
        services.close_feedback(actor=team, feedback=feedback.pk, closing_category="whatever")
    assert "closing_category" in refusal.value.message_dict


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT])
def test_only_the_quality_team_handles_feedback(worker, unit, role):
    feedback = lodge(worker, unit)
    with pytest.raises(PermissionDenied):
        services.communicate_feedback(actor=user_with_role(role), feedback=feedback.pk)


# --- Repeated feedback raises a signal -------------------------------------------------------


def pattern_signals():
    return Signal.objects.filter(kind=Signal.Kind.FEEDBACK_PATTERN)


def test_the_third_feedback_in_a_category_within_12_months_raises_one_signal(worker, unit):
    sibling = published_unit(provider=unit.provider, name="Vågen Lindholmen")
    lodge(worker, unit)
    lodge(worker, sibling)
    assert not pattern_signals().exists()
    third = lodge(worker, unit)
    signal = pattern_signals().get()
    assert (signal.provider, signal.unit, signal.severity, signal.status) == (
        unit.provider,
        third.unit,
        Severity.HIGH,
        Signal.Status.NEW,
    )
    assert unit.provider.legal_name in signal.title
    assert signal.dedup_key.startswith(f"feedback-pattern:{unit.provider.pk}:{DOC}:")


def test_more_feedback_in_the_same_window_does_not_raise_a_second_signal(worker, unit):
    for _ in range(5):
        lodge(worker, unit)
    assert pattern_signals().count() == 1


def test_running_the_pattern_rule_again_is_idempotent(worker, unit):
    feedbacks = [lodge(worker, unit) for _ in range(3)]
    first = pattern_signals().get()
    assert services.detect_feedback_pattern(feedback=feedbacks[-1]) == first
    assert services.detect_feedback_pattern(feedback=feedbacks[-1]) == first
    assert pattern_signals().count() == 1


def test_feedback_older_than_12_months_does_not_count(worker, unit):
    old = lodge(worker, unit)
    backdate(old, days_ago(380))
    lodge(worker, unit)
    lodge(worker, unit)
    assert not pattern_signals().exists()
    lodge(worker, unit)
    assert pattern_signals().count() == 1


def test_other_categories_and_other_providers_do_not_count(worker, unit):
    lodge(worker, unit)
    lodge(worker, unit, category=FeedbackCategory.STAFFING)
    lodge(worker, published_unit())
    lodge(worker, unit)
    assert not pattern_signals().exists()


def test_the_threshold_is_a_setting(settings, worker, unit):
    settings.FEEDBACK_PATTERN_THRESHOLD = 2
    lodge(worker, unit)
    lodge(worker, unit)
    assert pattern_signals().count() == 1


def test_a_new_window_after_the_old_cluster_raises_a_new_signal(worker, unit):
    old = [lodge(worker, unit) for _ in range(3)]
    for index, feedback in enumerate(old):
        backdate(feedback, days_ago(500 - index))
    Signal.objects.all().delete()  # as if the old cluster had raised its signal back then
    services.detect_feedback_pattern(feedback=old[-1])
    assert pattern_signals().count() == 1
    for _ in range(3):
        lodge(worker, unit)
    assert pattern_signals().count() == 2


def test_months_before_keeps_the_day_or_takes_the_last_day_of_the_month():
    tz = timezone.get_current_timezone()
    assert rules.months_before(dt.datetime(2025, 3, 15, 8, tzinfo=tz)) == dt.datetime(
        2024, 3, 15, 8, tzinfo=tz
    )
    assert rules.months_before(dt.datetime(2024, 2, 29, tzinfo=tz)) == dt.datetime(
        2023, 2, 28, tzinfo=tz
    )


# --- Pages -----------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"followup:{name}", args=args)


def body(response) -> str:
    return response.content.decode()


def test_the_lodge_form_comes_with_the_unit_chosen_from_the_unit_page(client, worker, unit):
    client.force_login(worker)
    unit_page = client.get(reverse("providers:unit-detail", args=[unit.pk]))
    link = f"{url('feedback-create')}?unit={unit.pk}"
    assert escape(link) in body(unit_page)
    form = client.get(link)
    assert form.status_code == 200
    assert f'<input type="hidden" name="unit" value="{unit.pk}"' in body(form)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROCUREMENT, Role.QUALITY_CONTROL])
def test_the_unit_page_offers_lodging_only_to_those_placing(client, unit, role):
    client.force_login(user_with_role(role))
    response = client.get(reverse("providers:unit-detail", args=[unit.pk]))
    assert url("feedback-create") not in body(response)


def test_lodging_on_the_page_shows_the_feedback_to_its_author(client, worker, unit):
    client.force_login(worker)
    response = client.post(
        url("feedback-create"),
        {"unit": unit.pk, "category": DOC, "description": "Sammanfattning saknas."},
    )
    feedback = Feedback.objects.get()
    assert response["Location"] == url("feedback-detail", feedback.pk)
    detail = client.get(url("feedback-detail", feedback.pk))
    assert detail.status_code == 200
    assert "Sammanfattning saknas." in body(detail)
    assert url("feedback-communicate", feedback.pk) not in body(detail)
    mine = client.get(url("feedback-mine"))
    assert url("feedback-detail", feedback.pk) in body(mine)


def test_a_lodge_form_with_errors_links_the_summary_to_the_fields(client, worker, unit):
    client.force_login(worker)
    response = client.post(url("feedback-create"), {"unit": unit.pk, "category": ""})
    assert response.status_code == 400
    assert 'href="#id_category"' in body(response)
    assert 'href="#id_description"' in body(response)
    assert not Feedback.objects.exists()


def test_social_workers_do_not_see_the_teams_list_or_others_feedback(client, worker, unit):
    colleague = social_worker(OrgUnitFactory(administration=worker.administration))
    others = lodge(colleague, unit, description="Kollegans synpunkt")
    client.force_login(worker)
    assert client.get(url("feedback-list")).status_code == 403
    assert client.get(url("feedback-detail", others.pk)).status_code == 404
    assert "Kollegans synpunkt" not in body(client.get(url("feedback-mine")))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROCUREMENT])
def test_managers_and_procurement_see_no_feedback(client, worker, unit, role):
    feedback = lodge(worker, unit)
    client.force_login(user_with_role(role))
    for name, args in [
        ("feedback-list", ()),
        ("feedback-mine", ()),
        ("feedback-create", ()),
        ("feedback-detail", (feedback.pk,)),
    ]:
        assert client.get(url(name, *args)).status_code == 403


def test_the_team_communicates_and_closes_on_the_page(client, worker, team, unit):
    feedback = lodge(worker, unit)
    client.force_login(team)
    listing = client.get(url("feedback-list"))
    assert url("feedback-detail", feedback.pk) in body(listing)
    assert client.post(url("feedback-communicate", feedback.pk)).status_code == 302
    response = client.post(
        url("feedback-close", feedback.pk), {"closing_category": "documented", "note": "Klart"}
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert (feedback.status, feedback.closing_note) == (F.CLOSED, "Klart")


def test_closing_received_feedback_on_the_page_shows_the_rules_message(client, worker, team, unit):
    feedback = lodge(worker, unit)
    with translation.override("sv"), pytest.raises(RuleViolation) as refusal:
        rules.FEEDBACK.check_state("close", feedback)
    with translation.override("sv"):
        expected = escape(str(refusal.value.message))
    client.force_login(team)
    response = client.post(
        url("feedback-close", feedback.pk), {"closing_category": "documented", "note": ""}
    )
    assert response.status_code == 400
    assert expected in body(response)
    assert Feedback.objects.get(pk=feedback.pk).status == F.RECEIVED


def test_the_team_list_filters_in_place_with_htmx(client, worker, team, unit):
    lodge(worker, unit, category=FeedbackCategory.SAFETY)
    lodge(worker, unit)
    client.force_login(team)
    response = client.get(
        url("feedback-list"),
        {"category": "safety"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="feedback-results",
    )
    assert "<html" not in body(response)
    assert len(re.findall('class="feedback-row"', body(response))) == 1
    assert 'hx-swap-oob="innerHTML"' in body(response)


@pytest.mark.parametrize("count", [2, 15])
def test_the_feedback_lists_run_a_fixed_number_of_queries(
    client, worker, team, unit, django_assert_num_queries, count
):
    categories = list(FeedbackCategory.values)
    for index in range(count):
        lodge(worker, unit, category=categories[index % len(categories)])
    client.force_login(team)
    # session, user, count, page, unread notifications, saved filters
    with django_assert_num_queries(6):
        response = client.get(url("feedback-list"))
    assert len(re.findall('class="feedback-row"', body(response))) == count
    client.force_login(worker)
    with django_assert_num_queries(5):
        response = client.get(url("feedback-mine"))
    assert len(re.findall('class="feedback-row"', body(response))) == count
