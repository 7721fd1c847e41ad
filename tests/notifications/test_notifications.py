"""Who is told of what (notifications.rules), what they are told, and the pages: every row of
the recipients table, the actor never, nobody outside the request's scope, no person data."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import rules, selectors, services
from notifications.models import Kind, Notification, Preference
from placements import services as placements
from placements.models import TimelineEvent
from spink.accounts.models import PlacementTeam
from spink.outbox.models import OutboxMessage
from tests.factories import (
    MunicipalityFactory,
    placement_officer,
    request_fields,
    submitted_request,
)
from tests.notifications.conftest import PERSON_SECRETS, recommend, taken_request

pytestmark = pytest.mark.django_db

EMAIL_TASK = services.SEND_EMAIL_TASK


def notes(user, kind=None):
    found = Notification.objects.filter(recipient=user)
    if kind is not None:
        found = found.filter(kind=kind)
    return list(found)


def emails_queued() -> list[int]:
    return [message.args[0] for message in OutboxMessage.objects.filter(task=EMAIL_TASK)]


def assert_no_person_data(notification):
    text = rules.message(notification.kind, notification.request.reference)
    assert notification.request.reference in text
    for secret in PERSON_SECRETS:
        assert secret not in text


# --- The table -----------------------------------------------------------------------------------


def test_every_kind_has_one_row_and_every_event_row_names_a_timeline_kind():
    assert set(rules.ROWS) == set(Kind.values)
    assert set(rules.EVENTS) <= set(TimelineEvent.Kind.values)


def test_a_recommendation_tells_the_social_worker_in_the_app_only(worker, officer, hvb_unit):
    request = taken_request(worker, officer, protected_identity=True)
    recommend(officer, request, hvb_unit)

    (notification,) = notes(worker)
    assert notification.kind == Kind.RECOMMENDATION
    assert notification.event.kind == TimelineEvent.Kind.RECOMMENDATION_SENT
    assert notes(officer) == []  # the actor
    assert_no_person_data(notification)
    # Its e-mail is placements' own (unchanged), not a second one from here.
    assert emails_queued() == []


def test_a_message_tells_the_other_party_never_the_author(worker, officer):
    request = taken_request(worker, officer)
    placements.post_message(actor=worker, request=request.pk, text="Alva Testsson mår bra.")
    (to_officer,) = notes(officer, Kind.MESSAGE)
    assert notes(worker, Kind.MESSAGE) == []

    placements.post_message(actor=officer, request=request.pk, text="Tack!")
    (to_worker,) = notes(worker, Kind.MESSAGE)
    assert len(notes(officer, Kind.MESSAGE)) == 1
    # The message's own text (person data) is never in a notification.
    assert_no_person_data(to_officer)
    assert "mår bra" not in rules.message(to_officer.kind, request.reference)
    # Messages come by e-mail by default.
    assert sorted(emails_queued()) == sorted([to_officer.pk, to_worker.pk])


def test_an_assignment_tells_the_assigned_officer_unless_they_took_it_themselves(
    worker, officer, colleague
):
    request = submitted_request(worker)
    placements.take(actor=officer, request=request.pk)
    assert notes(officer) == []  # took it: their own act

    other = submitted_request(worker)
    placements.assign(actor=officer, request=other.pk, officer=colleague.pk)
    (notification,) = notes(colleague, Kind.ASSIGNED)
    assert notification.request_id == other.pk
    assert notes(officer) == [] and notes(worker) == []


def test_a_withdrawal_tells_the_assigned_officer(worker, officer):
    request = taken_request(worker, officer)
    placements.withdraw(actor=worker, request=request.pk, reason="Alva flyttar.")
    (notification,) = notes(officer, Kind.WITHDRAWN)
    assert_no_person_data(notification)
    assert notes(worker) == []


def test_the_choice_and_none_chosen_tell_the_assigned_officer(worker, officer, hvb_unit):
    request = taken_request(worker, officer)
    recommendation = recommend(officer, request, hvb_unit)
    placements.report_choice(
        actor=worker,
        request=request.pk,
        recommendation=recommendation.pk,
        start_date=dt.date(2026, 12, 1),
    )
    (chosen,) = notes(officer, Kind.PROVIDER_CHOSEN)
    assert_no_person_data(chosen)

    second = taken_request(worker, officer)
    recommend(officer, second, hvb_unit)
    placements.report_none_chosen(actor=worker, request=second.pk, reason="För långt bort.")
    (none,) = notes(officer, Kind.NOT_PLACED)
    assert none.request_id == second.pk
    # In the app only by default.
    assert emails_queued() == []


def test_no_provider_found_tells_the_social_worker(worker, officer):
    request = taken_request(worker, officer)
    placements.record_no_provider_found(actor=officer, request=request.pk, reason="Inga platser.")
    (notification,) = notes(worker, Kind.NO_PROVIDER_FOUND)
    assert notes(officer) == []
    assert emails_queued() == [notification.pk]


def test_a_deviation_tells_its_handlers_and_its_handling_tells_the_lodger(
    worker, officer, colleague
):
    other_team = placement_officer(worker.municipality, team=PlacementTeam.ADULTS)
    elsewhere = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    request = taken_request(worker, officer)
    deviation = placements.lodge_deviation(
        actor=worker, request=request.pk, description="Alva fick vänta."
    )
    assert {n.recipient_id for n in Notification.objects.filter(kind=Kind.DEVIATION)} == {
        officer.pk,
        colleague.pk,
    }
    assert notes(other_team) == [] and notes(elsewhere) == [] and notes(worker) == []

    placements.handle_deviation(actor=colleague, deviation=deviation.pk, note="Vi ser över det.")
    (handled,) = notes(worker, Kind.DEVIATION_HANDLED)
    placements.close_deviation(actor=officer, deviation=deviation.pk, note="Klart.")
    (closed,) = notes(worker, Kind.DEVIATION_CLOSED)
    for notification in (handled, closed):
        assert_no_person_data(notification)


def test_nobody_outside_the_requests_scope_is_told(worker, officer):
    request = taken_request(worker, officer)
    # The officer moves to another municipality: the request is no longer theirs to see.
    officer.municipality = MunicipalityFactory()
    officer.save(update_fields=["municipality"])
    placements.post_message(actor=worker, request=request.pk, text="Hej")
    assert notes(officer) == []


def test_an_event_is_told_once_even_if_the_hook_runs_twice(worker, officer):
    request = taken_request(worker, officer)
    event = placements.post_message(actor=worker, request=request.pk, text="Hej")
    assert services.notify_event(event=event) == []
    assert len(notes(officer)) == 1
    assert len(emails_queued()) == 1


# --- Preferences ---------------------------------------------------------------------------------


def test_the_preference_decides_about_e_mail(worker, officer):
    services.set_email_preferences(actor=officer, choices={Kind.MESSAGE: False})
    services.set_email_preferences(actor=worker, choices={Kind.NO_PROVIDER_FOUND: False})
    services.set_email_preferences(actor=officer, choices={Kind.PROVIDER_CHOSEN: True})
    request = taken_request(worker, officer)
    placements.post_message(actor=worker, request=request.pk, text="Hej")
    assert notes(officer, Kind.MESSAGE) and emails_queued() == []
    assert selectors.wants_email(officer, Kind.PROVIDER_CHOSEN)
    assert not selectors.wants_email(officer, Kind.RECOMMENDATION)  # placements' own e-mail
    with pytest.raises(ValueError):
        services.set_email_preferences(actor=worker, choices={Kind.RECOMMENDATION: True})


def test_the_preferences_page_offers_the_kinds_of_the_users_role_and_saves(client, worker):
    client.force_login(worker)
    url = reverse("notifications:preferences")
    response = client.get(url)
    assert response.status_code == 200
    fields = response.context["form"].fields
    assert Kind.MESSAGE in fields and Kind.STALE_DRAFT in fields
    assert Kind.ASSIGNED not in fields and Kind.DEVIATION not in fields  # officers' kinds
    assert Kind.RECOMMENDATION not in fields
    assert response.context["form"][Kind.MESSAGE].initial == "email"  # the default

    data = dict.fromkeys(fields, "in_app")
    data[Kind.STALE_DRAFT] = "email"
    response = client.post(url, data)
    assert response.status_code == 302
    assert dict(Preference.objects.filter(user=worker).values_list("kind", "by_email")) == {
        kind: kind == Kind.STALE_DRAFT for kind in fields
    }
    assert client.post(url, {Kind.MESSAGE: "fax"}).status_code == 200  # refused, shown again


# --- Pages ---------------------------------------------------------------------------------------


def make_notifications(worker, officer, count):
    for _ in range(count):
        request = taken_request(worker, officer)
        placements.post_message(actor=officer, request=request.pk, text="Hej")


def test_the_list_shows_newest_first_marks_unread_and_filters(client, worker, officer):
    make_notifications(worker, officer, 3)
    first, *_rest = Notification.objects.filter(recipient=worker).order_by("created_at", "id")
    services.mark_read(actor=worker, notification=first)
    client.force_login(worker)

    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert [n.pk for n in listed] == sorted((n.pk for n in listed), reverse=True)
    assert response.context["unread"] == 2
    body = response.content.decode()
    assert body.count("notification--unread") == 2
    for secret in PERSON_SECRETS:
        assert secret not in body

    response = client.get(reverse("notifications:list"), {"show": "unread"})
    assert first.pk not in [n.pk for n in response.context["page"].object_list]
    assert len(response.context["page"].object_list) == 2


def test_opening_marks_read_and_goes_to_the_request(client, worker, officer):
    make_notifications(worker, officer, 1)
    (notification,) = notes(worker)
    client.force_login(worker)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "placements:request-detail", args=[notification.request_id]
    )
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert selectors.unread_count(worker) == 0


def test_another_users_notification_is_not_found(client, worker, officer):
    make_notifications(worker, officer, 1)
    (notification,) = notes(worker)
    client.force_login(officer)
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read_is_a_post_of_ones_own(client, worker, officer):
    make_notifications(worker, officer, 2)
    placements.post_message(
        actor=worker, request=Notification.objects.first().request_id, text="Hej"
    )
    client.force_login(worker)
    url = reverse("notifications:mark-all-read")
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert selectors.unread_count(worker) == 0
    assert selectors.unread_count(officer) == 1


def test_the_badge_counts_unread_in_one_query(client, worker, officer, django_assert_num_queries):
    make_notifications(worker, officer, 3)
    client.force_login(worker)
    client.get(reverse("notifications:badge"))  # the session is loaded once
    # Session, user, and the count.
    with django_assert_num_queries(3):
        response = client.get(reverse("notifications:badge"))
    assert 'data-unread="3"' in response.content.decode()
    assert 'hx-trigger="every 60s"' in response.content.decode()


def test_pages_without_the_badge_do_not_count(rf, worker):
    from notifications.context_processors import unread_notifications

    request = rf.get("/")
    request.user = worker
    context = unread_notifications(request)  # nothing read until a template asks
    assert callable(context["notifications_unread"])


def test_the_list_runs_a_fixed_number_of_queries(
    client, worker, officer, django_assert_num_queries
):
    make_notifications(worker, officer, 2)
    client.force_login(worker)
    url = reverse("notifications:list")
    client.get(url)
    # Session, user, the page's count, its rows, the unread count.
    with django_assert_num_queries(5):
        client.get(url)
    make_notifications(worker, officer, 24)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 25


def test_the_list_needs_a_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302


# --- Reminders -----------------------------------------------------------------------------------


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


def rows():
    return sorted(
        Notification.objects.filter(event__isnull=True).values_list(
            "recipient_id", "request_id", "kind", "occasion"
        )
    )


def test_recommendations_waiting_remind_the_social_worker_and_officer_once(
    worker, officer, hvb_unit, settings
):
    settings.NOTIFICATIONS_CHOICE_WAITING_DAYS = 5
    request = taken_request(worker, officer)
    recommendation = recommend(officer, request, hvb_unit)
    fresh = taken_request(worker, officer)
    recommend(officer, fresh, hvb_unit)
    type(recommendation).objects.filter(pk=recommendation.pk).update(created_at=days_ago(6))

    assert services.remind_choice_waiting() == 2
    made = rows()
    assert {(r[0], r[1], r[2]) for r in made} == {
        (worker.pk, request.pk, Kind.CHOICE_WAITING),
        (officer.pk, request.pk, Kind.CHOICE_WAITING),
    }
    queued = emails_queued()
    assert services.remind_choice_waiting() == 0  # run twice: nothing new
    assert rows() == made
    assert emails_queued() == queued
    for notification in Notification.objects.filter(kind=Kind.CHOICE_WAITING):
        assert_no_person_data(notification)


def test_a_wanted_start_within_two_days_reminds_the_officer_or_the_team(
    worker, officer, colleague, settings
):
    settings.NOTIFICATIONS_START_SOON_DAYS = 2
    soon = timezone.localdate() + dt.timedelta(days=2)
    taken = taken_request(worker, officer, wanted_start=soon)
    unassigned = submitted_request(worker, wanted_start=soon)
    submitted_request(worker, wanted_start=soon + dt.timedelta(days=1))  # not yet

    assert services.remind_start_soon() == 3
    made = rows()
    assert {(r[0], r[1]) for r in made} == {
        (officer.pk, taken.pk),
        (officer.pk, unassigned.pk),
        (colleague.pk, unassigned.pk),
    }
    assert services.remind_start_soon() == 0
    assert rows() == made


def test_drafts_left_untouched_remind_their_author_once_per_touch(worker, settings):
    settings.NOTIFICATIONS_STALE_DRAFT_DAYS = 14
    draft = placements.create_request(actor=worker, **request_fields())
    submitted_request(worker)  # not a draft
    now = timezone.now()

    assert services.remind_stale_drafts(now=now + dt.timedelta(days=13)) == 0
    later = now + dt.timedelta(days=15)
    assert services.remind_stale_drafts(now=later) == 1
    (made,) = rows()
    assert made[:3] == (worker.pk, draft.pk, Kind.STALE_DRAFT)
    assert services.remind_stale_drafts(now=later) == 0
    assert rows() == [made]
    # Edited and left again: a new occasion, one more reminder.
    placements.update_draft(actor=worker, request=draft.pk, needs="Ny text.")
    assert services.remind_stale_drafts(now=later) == 1
    assert services.remind_stale_drafts(now=later) == 0
    assert len(rows()) == 2


def test_the_reminder_jobs_are_in_the_beat_schedule():
    from django_celery_beat.models import PeriodicTask

    from notifications import tasks

    names = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))
    assert {
        tasks.remind_choice_waiting.name,
        tasks.remind_start_soon.name,
        tasks.remind_stale_drafts.name,
    } <= names
