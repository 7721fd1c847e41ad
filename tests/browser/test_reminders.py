"""The reminder jobs of celery beat remind once (issue 14): recommendations that have waited
too long for the social worker's choice, and a draft left untouched. The job runs twice, the
social worker sees one reminder in Chromium, opens it (it is read), and a third run makes no
second one. The jobs are called as beat calls them, the tasks of notifications.tasks (the draft's
with a later "now", through the services function the task calls)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

import spink.outbox.sending
from notifications import services as notifications
from notifications import tasks as jobs
from notifications.models import Kind, Notification
from placements import services as placements
from placements.models import Recommendation
from spink.accounts.models import PlacementTeam
from spink.outbox.models import OutboxMessage
from tests.browser.conftest import log_in
from tests.browser.test_notifications import badge_count
from tests.factories import (
    TEST_PASSWORD,
    placement_officer,
    published_unit,
    request_fields,
    social_worker,
    submitted_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held(monkeypatch):
    """The outbox's commit-time publishes, held back (as while the broker is away): the rows
    stay pending in the real outbox, and the test runs the e-mail task itself."""
    held: list[int] = []

    def hold(message_id: int) -> bool:
        held.append(message_id)
        return False

    monkeypatch.setattr(spink.outbox.sending, "send_now", hold)
    return held


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def sees_one_reminder_and_opens_it(page, request, text: str, kind_label: str) -> None:
    """The social worker's badge says 1, the list shows the reminder once (unread), opening it
    lands on the request and the badge says 0."""
    assert badge_count(page) == 1
    page.goto("/notifications/")
    expect(page.locator("#unread-summary")).to_have_text("Du har 1 oläst avisering.")
    reminders = page.locator(".notification-list > li", has_text=text)
    expect(reminders).to_have_count(1)
    expect(reminders).to_have_class(re.compile(r"\bnotification--unread\b"))
    expect(reminders).to_contain_text(kind_label)
    expect(page.locator(".notification--unread")).to_have_count(1)
    reminders.get_by_role("link", name=text).click()
    page.wait_for_url(f"**/requests/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    assert badge_count(page) == 0
    page.goto("/notifications/")
    expect(page.locator(".notification--unread")).to_have_count(0)
    read = page.locator(".notification-list > li", has_text=text)
    expect(read).to_have_count(1)
    expect(read).to_contain_text("Läst")


def test_recommendations_waiting_for_a_choice_remind_the_social_worker_once(
    page, assert_accessible, held
):
    worker = social_worker(username="sekreterare", email="sekreterare@example.invalid")
    officer = placement_officer(
        worker.municipality, team=PlacementTeam.CHILDREN_YOUTH, username="handlaggare"
    )
    unit = published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))
    request = submitted_request(worker)
    placements.take(actor=officer, request=request.pk)
    placements.send_recommendation_set(
        actor=officer,
        request=request.pk,
        items=[placements.RecommendationItem(unit.offerings.get().pk)],
    )
    # The recommendation's own notification was read long ago; the choice is still missing.
    notifications.mark_all_read(actor=worker)
    waited = settings.NOTIFICATIONS_CHOICE_WAITING_DAYS + 1
    Recommendation.objects.filter(request=request).update(created_at=days_ago(waited))

    # Beat runs the job twice (e.g. a retry): one reminder each for the worker and the officer.
    assert jobs.remind_choice_waiting.name == "notifications.remind_choice_waiting"
    assert jobs.remind_choice_waiting() == 2
    assert jobs.remind_choice_waiting() == 0
    (reminder,) = Notification.objects.filter(recipient=worker, kind=Kind.CHOICE_WAITING)
    assert Notification.objects.filter(recipient=officer, kind=Kind.CHOICE_WAITING).count() == 1

    # One e-mail each is queued (the kind is e-mailed by default), and sent once.
    emails = OutboxMessage.objects.filter(task=notifications.SEND_EMAIL_TASK)
    assert emails.count() == 2
    assert emails.filter(args=[reminder.pk]).count() == 1
    mail.outbox.clear()
    assert jobs.send_email(reminder.pk) is True
    assert jobs.send_email(reminder.pk) is False
    (message,) = mail.outbox
    assert message.to == [worker.email]
    assert request.reference in message.subject
    for secret in ("Alva", "Testsson", "20120315"):
        assert secret not in message.subject + message.body

    text = f"Rekommendationerna för {request.reference} har länge väntat på ett val."
    log_in(page, worker.username, TEST_PASSWORD)
    sees_one_reminder_and_opens_it(
        page, request, text, "Påminnelse: rekommendationer väntar på val"
    )
    assert_accessible(page)

    # A later run (the next morning): still the one reminder, read.
    assert jobs.remind_choice_waiting() == 0
    reminder.refresh_from_db()
    assert reminder.read_at is not None
    assert Notification.objects.filter(kind=Kind.CHOICE_WAITING).count() == 2
    assert emails.count() == 2
    page.reload()
    expect(page.locator(".notification-list > li", has_text=text)).to_have_count(1)
    assert badge_count(page) == 0


def test_a_draft_left_untouched_reminds_its_author_once(page, held):
    worker = social_worker(username="sekreterare")
    draft = placements.create_request(actor=worker, **request_fields())
    # The timeline is append-only (a database trigger refuses .update()), so the job's own
    # function (what the beat task notifications.remind_stale_drafts calls) runs "later".
    assert jobs.remind_stale_drafts.name == "notifications.remind_stale_drafts"
    later = timezone.now() + dt.timedelta(days=settings.NOTIFICATIONS_STALE_DRAFT_DAYS + 1)
    assert jobs.remind_stale_drafts() == 0  # today the draft is fresh
    assert notifications.remind_stale_drafts(now=later) == 1
    assert notifications.remind_stale_drafts(now=later) == 0
    assert Notification.objects.filter(recipient=worker, kind=Kind.STALE_DRAFT).count() == 1
    # In Spink only by default: no e-mail queued.
    assert not OutboxMessage.objects.filter(task=notifications.SEND_EMAIL_TASK).exists()

    log_in(page, worker.username, TEST_PASSWORD)
    sees_one_reminder_and_opens_it(
        page,
        draft,
        f"Ditt utkast {draft.reference} har inte ändrats på länge.",
        "Påminnelse: orört utkast",
    )

    assert notifications.remind_stale_drafts(now=later) == 0
    assert Notification.objects.filter(kind=Kind.STALE_DRAFT).count() == 1
    assert held == []
