"""The outbox: a task exists exactly when its change was committed, a web request never waits
on a broker that is down, and what is pending goes out once the broker is back, delivered
once as far as the user can tell. Against a redis-server of the test's own that is really
stopped, a real prefork worker, and a database connection that is really cut."""

from __future__ import annotations

import importlib
import time
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from placements import services
from placements.models import Recommendation
from spink.accounts.models import PlacementTeam
from spink.outbox import sending
from spink.outbox.models import OutboxMessage
from tests.conftest import _database_url
from tests.factories import placement_officer, published_unit, social_worker, submitted_request
from tests.followup.monitoring_support import mails_to, wait_for
from tests.outbox_support import celery_broker, database_proxy, own_redis, prefork_worker

NOTIFY = services.NOTIFY_RECOMMENDATION_SET_TASK
# What "at once" means for a request while the broker is down (it took ~20 s before the outbox).
QUICK = 2.0

pytestmark = pytest.mark.django_db(transaction=True)


def request_in_matching():
    worker = social_worker()
    officer = placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)
    unit = published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200"))
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    return worker, officer, unit, request


def send_shortlisted(client, officer, request, unit):
    """The officer shortlists the unit and sends the shortlist as a set (the page's way)."""
    offering = unit.offerings.get().pk
    services.shortlist_add(actor=officer, request=request.pk, offering=offering)
    url = reverse("placements:request-recommendations-send", args=[request.pk])
    return client.post(url, {f"include_{offering}": "on"})


def notified_at(recommendation_id: int):
    return Recommendation.objects.get(pk=recommendation_id).recommendation_set.notified_at


def test_a_recommendation_sent_while_the_broker_is_down_is_saved_at_once_and_mailed_once_it_is_back(
    client, tmp_path
):
    worker, officer, unit, request = request_in_matching()
    client.force_login(officer)

    with own_redis(tmp_path) as redis, celery_broker(redis.url):
        redis.stop()
        started = time.monotonic()
        response = send_shortlisted(client, officer, request, unit)
        took = time.monotonic() - started

        assert response.status_code == 302
        assert response["Location"] == (
            reverse("placements:request-detail", args=[request.pk]) + "#recommendations-heading"
        )
        assert took < QUICK
        recommendation = request.recommendations.get()
        (message,) = OutboxMessage.objects.filter(task=NOTIFY)
        expected = ([recommendation.recommendation_set_id], None, 1)
        assert (message.args, message.sent_at, message.attempts) == expected
        assert "Error" in message.last_error  # the broker's refusal, kept for the admin
        # The dispatcher, while the broker is still down, keeps the message and says why.
        assert sending.dispatch() == 0
        message.refresh_from_db()
        assert (message.sent_at, message.attempts) == (None, 2)

        redis.start()
        with prefork_worker(redis):
            assert sending.dispatch() == 1
            wait_for(lambda: notified_at(recommendation.pk), 30, "the e-mail")
            # Published again (as after a dispatcher that died before marking it sent): the
            # task runs a second time and sends nothing.
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=None)
            assert sending.dispatch() == 1
            wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), 10)
            time.sleep(2)  # time enough for the second delivery to run in the worker

    assert sending.dispatch() == 0
    (mail,) = mails_to(worker.email)
    assert request.reference in mail["Subject"]


def test_a_change_that_is_rolled_back_leaves_no_task():
    _worker, officer, unit, request = request_in_matching()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.send_recommendation(
            actor=officer, request=request.pk, offering=unit.offerings.get().pk, daily_price=None
        )
        raise RuntimeError("the rest of the change failed")

    assert not Recommendation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_task_is_only_recorded_inside_the_callers_transaction():
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        sending.enqueue("spink.ping", "x")
    assert not OutboxMessage.objects.exists()


def test_a_task_sent_at_commit_is_not_sent_again_by_the_dispatcher(celery_worker):
    with transaction.atomic():
        message = sending.enqueue("spink.ping", "outbox")

    message.refresh_from_db()
    assert message.sent_at is not None
    assert (message.attempts, message.last_error) == (1, "")
    assert sending.dispatch() == 0


def test_a_notification_that_runs_while_the_database_is_down_is_sent_once_it_is_back(tmp_path):
    worker, officer, unit, request = request_in_matching()

    with (
        own_redis(tmp_path) as redis,
        celery_broker(redis.url),
        database_proxy() as database,
        prefork_worker(redis, database_url=database.url(_database_url())),
    ):
        database.take_down()
        # Sent at commit: the worker takes it at once and finds no database.
        recommendation = services.send_recommendation(
            actor=officer, request=request.pk, offering=unit.offerings.get().pk, daily_price=None
        )
        wait_for(lambda: database.refused >= 2, 30, "the task to be tried twice")
        assert notified_at(recommendation.pk) is None
        database.bring_up()
        wait_for(lambda: notified_at(recommendation.pk), 60, "the e-mail")

    assert len(mails_to(worker.email)) == 1


def test_the_dispatcher_is_in_the_beat_schedule_every_minute():
    from django.apps import apps as django_apps
    from django_celery_beat.models import PeriodicTask

    from spink.outbox import tasks

    migration = importlib.import_module("spink.outbox.migrations.0002_dispatch_schedule")
    PeriodicTask.objects.filter(name=migration.TASK_NAME).delete()

    migration.create_schedule(django_apps, None)
    migration.create_schedule(django_apps, None)  # a re-run adds nothing

    (task,) = PeriodicTask.objects.filter(task=tasks.dispatch.name)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")
