"""Basic monitoring when things break: the broker down at "run now", a worker's pool process
killed mid-run (as the OOM killer does), the database away during a run, and runs a stopped
worker left behind. Real redis-servers, real prefork workers, a real feed server."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import signal
import time

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from followup import tasks
from followup.models import MonitoringRun, Signal
from followup.monitoring import runner
from spink.accounts.models import Role
from spink.outbox import sending
from spink.outbox.models import OutboxMessage
from tests.conftest import _database_url
from tests.factories import user_with_role
from tests.followup import monitoring_support as support
from tests.followup.monitoring_support import BACKOFF, Reply, finished, mails_to, wait_for
from tests.outbox_support import celery_broker, database_proxy, own_redis, prefork_worker

RUN = MonitoringRun.Status
RUN_TASK = "followup.run_monitoring_source"
QUICK = 2.0  # seconds: "at once" for a request while the broker is down
LONG_AGO = runner.STALE_AFTER + dt.timedelta(minutes=1)


@pytest.fixture
def feeds():
    with support.running_feed_server() as server:
        yield server


def run_now_url(source) -> str:
    return reverse("monitoring:source-run", args=[source.pk])


@pytest.mark.django_db(transaction=True)
def test_run_now_while_the_broker_is_down_answers_at_once_and_the_run_starts_when_it_is_back(
    client, feeds, tmp_path
):
    support.credit_register()
    source = support.credit_source(feeds)
    client.force_login(user_with_role(Role.QUALITY_CONTROL))

    with own_redis(tmp_path) as redis, celery_broker(redis.url):
        redis.stop()
        started = time.monotonic()
        response = client.post(run_now_url(source))
        took = time.monotonic() - started

        assert response.status_code == 302
        assert took < QUICK
        run = MonitoringRun.objects.get(source=source)
        assert (run.status, run.attempts, run.heartbeat_at) == (RUN.RUNNING, 0, None)
        assert OutboxMessage.objects.get(task=RUN_TASK, sent_at__isnull=True).args == [
            source.pk,
            run.pk,
        ]
        # A second click while the run is queued makes no second run.
        assert client.post(run_now_url(source)).status_code == 400

        # The broker stays away: a run with no sign of life for minutes no longer blocks
        # "run now", and is over, so that its task, when it comes, runs nothing twice.
        MonitoringRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - LONG_AGO)
        assert client.post(run_now_url(source)).status_code == 302
        newer = MonitoringRun.objects.exclude(pk=run.pk).get(source=source)
        run.refresh_from_db()
        assert run.status == RUN.FAILED

        redis.start()
        with prefork_worker(redis):
            assert sending.dispatch() == 2
            newer = finished(newer.pk)

    assert newer.status == RUN.PARTIAL
    assert newer.signals_created == 3
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RUN.FAILED, 0)  # its late task did nothing
    assert feeds.hits["/credit_events.json"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_pool_process_is_killed_mid_fetch_is_run_again_without_duplicates(
    feeds, tmp_path
):
    ekbacken = support.ekbacken_register()
    team = user_with_role(Role.QUALITY_CONTROL)
    source = support.ivo_source(feeds)
    body = (support.FIXTURES / "ivo_revocations.json").read_bytes()
    # The first read hangs (well within MONITORING_HTTP_TIMEOUT) until the process is killed.
    feeds.reply("ivo_revocations.json", Reply(200, body, delay=20), Reply(200, body))

    with (
        own_redis(tmp_path) as redis,
        celery_broker(redis.url),
        prefork_worker(redis, concurrency=1) as worker,
    ):
        (pool_process,) = worker.pool_processes()
        with transaction.atomic():
            run = runner.queue_run(source.pk, backoff=BACKOFF)
        wait_for(lambda: feeds.hits["/ivo_revocations.json"] == 1, 30, "the slow read")
        assert MonitoringRun.objects.get(pk=run.pk).attempts == 1

        os.kill(pool_process.pid, signal.SIGKILL)  # what the OOM killer does

        run = finished(run.pk, timeout=60)
        revocation = Signal.objects.get(kind=Signal.Kind.IVO_REVOCATION)
        wait_for(lambda: Signal.objects.get(pk=revocation.pk).notified_at, 30, "the e-mail")
        assert pool_process.pid not in [p.pid for p in worker.pool_processes()]

        # The same task delivered once more (as when a worker dies after the run was written
        # but before the message was acknowledged) changes nothing.
        OutboxMessage.objects.filter(task=RUN_TASK).update(sent_at=None)
        assert sending.dispatch() == 1
        wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), 10)
        time.sleep(2)  # time enough for that delivery to run

    assert run.status == RUN.SUCCEEDED
    assert run.attempts == 2  # the killed attempt counts
    assert MonitoringRun.objects.get(pk=run.pk).attempts == 2
    assert feeds.hits["/ivo_revocations.json"] == 2
    assert Signal.objects.filter(kind=Signal.Kind.IVO_REVOCATION).count() == 1
    assert ekbacken["unit"].events.count() == 1
    assert len(mails_to(team.email)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_that_meets_a_database_that_is_away_is_tried_again_and_finishes(feeds, tmp_path):
    support.credit_register()
    source = support.credit_source(feeds)

    with (
        own_redis(tmp_path) as redis,
        celery_broker(redis.url),
        database_proxy() as database,
        prefork_worker(redis, database_url=database.url(_database_url())),
    ):
        database.take_down()
        with transaction.atomic():
            run = runner.queue_run(source.pk, backoff=BACKOFF)
        wait_for(lambda: database.refused >= 2, 30, "the run to be tried twice")
        assert MonitoringRun.objects.get(pk=run.pk).attempts == 0
        database.bring_up()
        run = finished(run.pk, timeout=60)

    assert run.status == RUN.PARTIAL
    assert run.attempts == 1  # the tries without a database were not attempts at the source
    assert run.signals_created == 3


@pytest.mark.django_db(transaction=True)
def test_a_run_a_stopped_worker_left_is_failed_and_run_again_by_the_beat_job(celery_worker, feeds):
    support.credit_register()
    source = support.credit_source(feeds)
    alive_source = support.credit_source(feeds, name="Lever")
    waiting_source = support.credit_source(feeds, name="Väntar")
    dead = MonitoringRun.objects.create(
        source=source, attempts=1, heartbeat_at=timezone.now() - LONG_AGO
    )
    alive = MonitoringRun.objects.create(
        source=alive_source, attempts=1, heartbeat_at=timezone.now()
    )
    # Never started, but its task is still waiting in the outbox for the broker: not lost.
    waiting = MonitoringRun.objects.create(source=waiting_source)
    MonitoringRun.objects.filter(pk=waiting.pk).update(started_at=timezone.now() - LONG_AGO)
    OutboxMessage.objects.create(task=RUN_TASK, args=[waiting_source.pk, waiting.pk])

    restarted = tasks.restart_stopped_monitoring_runs.delay().get(timeout=30)

    (again_id,) = restarted
    dead.refresh_from_db()
    assert dead.status == RUN.FAILED
    assert dead.finished_at is not None
    assert str(again_id) in dead.error
    again = finished(again_id)
    assert (again.source, again.status, again.signals_created) == (source, RUN.PARTIAL, 3)
    assert again.attempts == 2  # the lost attempt counts: a source cannot kill workers for ever
    for run in (alive, waiting):
        run.refresh_from_db()
        assert run.status == RUN.RUNNING
    assert tasks.restart_stopped_monitoring_runs.delay().get(timeout=30) == []


@pytest.mark.django_db
def test_a_run_left_after_its_last_attempt_is_failed_and_not_run_again(feeds):
    source = support.credit_source(feeds)
    dead = MonitoringRun.objects.create(
        source=source, attempts=runner.MAX_ATTEMPTS, heartbeat_at=timezone.now() - LONG_AGO
    )

    assert runner.restart_stopped_runs() == []

    dead.refresh_from_db()
    assert dead.status == RUN.FAILED
    assert MonitoringRun.objects.filter(source=source).count() == 1


@pytest.mark.django_db
def test_a_task_delivered_again_after_the_last_attempt_fails_the_run_without_reading(feeds):
    source = support.credit_source(feeds)
    run = MonitoringRun.objects.create(source=source, attempts=runner.MAX_ATTEMPTS)

    assert tasks.run_monitoring_source.apply(args=[source.pk, run.pk]).get() is None

    run.refresh_from_db()
    assert (run.status, run.attempts) == (RUN.FAILED, runner.MAX_ATTEMPTS)
    assert feeds.hits["/credit_events.json"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("heartbeat", "under_way"),
    [
        (dt.timedelta(0), True),  # beating now
        (-LONG_AGO, False),  # no sign of life for minutes: its worker is gone
        (dt.timedelta(minutes=2), True),  # waiting for a retry due in two minutes
    ],
)
def test_run_now_is_refused_only_while_a_run_shows_signs_of_life(feeds, heartbeat, under_way):
    source = support.credit_source(feeds)
    MonitoringRun.objects.create(source=source, attempts=1, heartbeat_at=timezone.now() + heartbeat)

    assert runner.run_under_way(source.pk) is under_way


@pytest.mark.django_db(transaction=True)
def test_a_run_beats_while_it_reads_a_slow_source(feeds):
    source = support.credit_source(feeds)
    run = MonitoringRun.objects.create(source=source, attempts=1)

    with runner.heartbeat(run.pk, every=0.1):
        wait_for(lambda: MonitoringRun.objects.get(pk=run.pk).heartbeat_at, 5, "a heartbeat")

    first = MonitoringRun.objects.get(pk=run.pk).heartbeat_at
    time.sleep(0.3)
    assert MonitoringRun.objects.get(pk=run.pk).heartbeat_at == first  # stopped with the run


@pytest.mark.django_db
def test_the_stopped_run_job_is_in_the_beat_schedule_every_minute():
    from django.apps import apps as django_apps
    from django_celery_beat.models import PeriodicTask

    migration = importlib.import_module("followup.migrations.0003_monitoringrun_heartbeat")
    PeriodicTask.objects.filter(name=migration.TASK_NAME).delete()

    migration.create_schedule(django_apps, None)
    migration.create_schedule(django_apps, None)  # a re-run adds nothing

    (task,) = PeriodicTask.objects.filter(task=tasks.restart_stopped_monitoring_runs.name)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")
