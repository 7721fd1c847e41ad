"""Basic monitoring: runs through the real worker against feeds from a real local HTTP server,
matching, IVO auto-pause, reviews of related providers, the nightly schedule and the pages."""

import datetime as dt
import importlib
import shutil

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from followup import tasks
from followup.models import (
    MonitoringFile,
    MonitoringKind,
    MonitoringRun,
    MonitoringSource,
    Severity,
    Signal,
)
from followup.monitoring import fetchers, group_review, runner
from followup.monitoring.records import SourceUnavailable
from providers import services as register
from providers.models import PublicationStatus, UnitEvent
from spink.accounts.models import Role
from tests.factories import ProviderFactory, UnitFactory, offering, user_with_role
from tests.followup import monitoring_support as support
from tests.followup.monitoring_support import BACKOFF, Reply, finished, mails_to, wait_for

RUN = MonitoringRun.Status
worker_test = pytest.mark.django_db(transaction=True)


@pytest.fixture
def feeds():
    with support.running_feed_server() as server:
        yield server


def run_source(source, timeout=60) -> MonitoringRun:
    """One run of the source through the real worker, waited for to the end."""
    result = tasks.run_monitoring_source.delay(source.pk, backoff=BACKOFF).get(timeout=timeout)
    return MonitoringRun.objects.get(pk=result["run"])


def signal_keys(**filters) -> set[str]:
    return set(Signal.objects.filter(**filters).values_list("dedup_key", flat=True))


# --- Runs through the worker ----------------------------------------------------------------------


@worker_test
def test_running_a_source_twice_gives_the_same_signals(celery_worker, feeds):
    register_ = support.credit_register()
    source = support.credit_source(feeds)

    first = run_source(source)
    signals_after_first = {
        (s.dedup_key, s.provider_id, s.severity, s.title) for s in Signal.objects.all()
    }
    second = run_source(source)

    assert first.signals_created == 3
    assert second.signals_created == 0
    assert {
        (s.dedup_key, s.provider_id, s.severity, s.title) for s in Signal.objects.all()
    } == signals_after_first
    by_key = {s.dedup_key: s for s in Signal.objects.all()}
    payment = by_key[f"{source.pk}:KB-2026-118734"]
    assert payment.provider == register_["solglantan"]
    assert payment.kind == Signal.Kind.CREDIT
    assert payment.severity == Severity.HIGH  # "hög" in the feed
    assert payment.url == "https://kreditbevakning.example.se/handelser/KB-2026-118734"
    assert payment.run == first
    assert "Kronofogden" in payment.details
    # The record without an id is matched on the normalised name and keyed by its content.
    by_name = [s for key, s in by_key.items() if "KB-" not in key]
    assert len(by_name) == 1
    assert by_name[0].provider == register_["bjorken"]
    assert by_name[0].severity == Severity.MEDIUM  # the credit kind's default


@worker_test
def test_bad_records_are_skipped_and_reported_while_the_others_are_kept(celery_worker, feeds):
    support.credit_register()
    source = support.credit_source(feeds)

    run = run_source(source)

    assert run.status == RUN.PARTIAL
    assert run.attempts == 1
    assert (run.records_seen, run.signals_created, run.records_skipped) == (5, 3, 2)
    reasons = {skip["ref"]: skip["reason"] for skip in run.skipped}
    assert len(reasons) == 2
    unmatched, bad_date = (reasons[ref] for ref in sorted(reasons))
    assert support.UNKNOWN_ORG_NUMBER in unmatched
    assert "19/11/2026" in bad_date
    assert signal_keys() >= {f"{source.pk}:KB-2026-118734", f"{source.pk}:KB-2026-118902"}
    assert f"{source.pk}:KB-2026-119015" not in signal_keys()
    assert f"{source.pk}:KB-2026-119020" not in signal_keys()


@worker_test
@pytest.mark.parametrize("outage", ["http_503", "server_stopped", "connection_cut_mid_body"])
def test_a_source_that_is_down_is_retried_then_fails_with_nothing_written(
    celery_worker, feeds, outage
):
    support.credit_register()
    source = support.credit_source(feeds)
    body = (support.FIXTURES / "credit_events.json").read_bytes()
    if outage == "http_503":
        feeds.reply("credit_events.json", Reply(503, b"Service Unavailable", "text/plain"))
    elif outage == "connection_cut_mid_body":
        feeds.reply("credit_events.json", Reply(200, body, cut_after=len(body) // 2))
    else:
        feeds.stop()

    run = run_source(source)

    assert run.status == RUN.FAILED
    assert run.attempts == 3
    assert run.finished_at is not None
    assert "3" in run.error
    if outage == "http_503":
        assert "503" in run.error
    if outage != "server_stopped":
        assert feeds.hits["/credit_events.json"] == 3
    assert not Signal.objects.exists()
    assert run.signals_created == 0


@worker_test
def test_a_source_that_comes_back_is_read_on_the_next_attempt(celery_worker, feeds):
    support.credit_register()
    source = support.credit_source(feeds)
    body = (support.FIXTURES / "credit_events.json").read_bytes()
    feeds.reply("credit_events.json", Reply(503, b"busy", "text/plain"), Reply(200, body))

    run = run_source(source)

    assert run.status == RUN.PARTIAL
    assert run.attempts == 2
    assert run.error == ""
    assert run.signals_created == 3


@worker_test
def test_a_refusal_by_the_source_fails_the_run_at_once(celery_worker, feeds):
    source = support.credit_source(feeds, path="no-such-feed.json")

    run = run_source(source)

    assert run.status == RUN.FAILED
    assert run.attempts == 1
    assert "404" in run.error
    assert feeds.hits["/no-such-feed.json"] == 1


@worker_test
def test_malformed_feeds_fail_clearly_while_the_good_source_of_the_same_night_is_read(
    celery_worker, feeds
):
    support.credit_register()
    good = support.credit_source(feeds)
    bad_json = support.credit_source(feeds, path="malformed.json", name="Trasig JSON")
    bad_rss = support.media_source(feeds, path="malformed.rss", name="Trasig RSS")
    inactive = support.media_source(feeds, name="Avstängd", is_active=False)

    run_ids = tasks.run_all_monitoring.delay(backoff=BACKOFF).get(timeout=30)
    runs = {run.source_id: run for run in (finished(run_id) for run_id in run_ids)}

    assert set(runs) == {good.pk, bad_json.pk, bad_rss.pk}
    assert inactive.pk not in runs
    assert runs[good.pk].status == RUN.PARTIAL
    assert runs[good.pk].signals_created == 3
    assert runs[bad_json.pk].status == RUN.FAILED
    assert "JSON" in runs[bad_json.pk].error
    assert runs[bad_json.pk].attempts == 1  # not retried: the same answer would come back
    assert runs[bad_rss.pk].status == RUN.FAILED
    assert "RSS/Atom" in runs[bad_rss.pk].error
    assert "not well-formed" in runs[bad_rss.pk].error
    assert set(Signal.objects.values_list("source_id", flat=True).distinct()) == {good.pk}


@worker_test
def test_ivo_revocation_pauses_the_published_unit_and_mails_the_team_once(celery_worker, feeds):
    ekbacken = support.ekbacken_register()
    unit, permit = ekbacken["unit"], ekbacken["permit"]
    team = [user_with_role(Role.QUALITY_CONTROL), user_with_role(Role.QUALITY_CONTROL)]
    former = user_with_role(Role.QUALITY_CONTROL, is_active=False)
    manager = user_with_role(Role.MANAGER)
    source = support.ivo_source(feeds)

    first = run_source(source)

    signal = Signal.objects.get(kind=Signal.Kind.IVO_REVOCATION)
    assert first.status == RUN.SUCCEEDED
    assert (signal.unit, signal.provider) == (unit, ekbacken["provider"])
    assert signal.severity == Severity.HIGH
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PAUSED
    event = UnitEvent.objects.get(unit=unit)
    assert event.actor is None
    assert event.source == f"signal:{signal.pk}"
    assert (event.from_status, event.to_status) == ("published", "paused")
    assert str(signal.pk) in event.reason
    assert signal.title in event.reason
    assert "återkallat" in event.reason  # Swedish, whatever the worker's language
    permit.refresh_from_db()
    assert permit.revoked_on == dt.date(2026, 11, 19)
    wait_for(lambda: Signal.objects.get(pk=signal.pk).notified_at, 30, "the team e-mail")
    for member in team:
        (message,) = mails_to(member.email)
        assert "IVO" in message["Subject"]
    assert mails_to(former.email) == []
    assert mails_to(manager.email) == []
    # The pause asked for a review of the sister company and of the provider sharing the chair.
    assert set(
        Signal.objects.filter(kind=Signal.Kind.GROUP_REVIEW).values_list("provider", flat=True)
    ) == {ekbacken["sister"].pk, ekbacken["board_peer"].pk}

    second = run_source(source)

    assert second.status == RUN.SUCCEEDED
    assert second.signals_created == 0
    assert UnitEvent.objects.filter(unit=unit).count() == 1
    assert Signal.objects.count() == 3
    for member in team:
        assert len(mails_to(member.email)) == 1


@worker_test
def test_file_drop_reads_each_file_once_and_again_only_when_its_content_changes(
    celery_worker, tmp_path
):
    register_ = support.credit_register()
    for fixture in (support.FIXTURES / "drop").iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    (tmp_path / "läsmig.txt").write_text("Not a data file.")
    source = support.source(
        "Kreditfiler",
        MonitoringKind.CREDIT,
        MonitoringSource.Format.FILE,
        file_path=str(tmp_path),
        field_mapping=support.FILE_MAPPING,
    )

    first = run_source(source)
    second = run_source(source)
    csv_file = tmp_path / "kreditbevakning_2026-11-20.csv"
    with csv_file.open("a", encoding="utf-8") as out:
        out.write("UC-88122;556812-3458;Solgläntan Omsorg AB;Ny revisor;låg;2026-11-21;\n")
    third = run_source(source)

    assert (first.status, first.records_seen, first.signals_created) == (RUN.PARTIAL, 4, 3)
    assert [skip["reason"] for skip in first.skipped][0].count(support.UNKNOWN_ORG_NUMBER) == 1
    assert signal_keys(provider=register_["havsbris"]) == {f"{source.pk}:UC-88200"}
    assert Signal.objects.get(dedup_key=f"{source.pk}:UC-88121").severity == Severity.LOW
    assert (second.status, second.records_seen, second.signals_created) == (RUN.SUCCEEDED, 0, 0)
    assert (third.records_seen, third.signals_created) == (3, 1)
    assert f"{source.pk}:UC-88122" in signal_keys()
    assert MonitoringFile.objects.filter(source=source).count() == 3


# --- Fetching and matching (in this process) ------------------------------------------------------


@pytest.mark.django_db
def test_media_feed_matches_providers_named_or_numbered_in_the_text(feeds):
    register_ = support.credit_register()
    source = support.media_source(feeds)

    run = runner.execute(runner.start_attempt(source.pk))

    assert run.status == RUN.PARTIAL
    signals = {(s.provider_id, s.title.split(":")[0].split(" ")[0]) for s in Signal.objects.all()}
    assert signals == {
        (register_["solglantan"].pk, "Larm"),
        (register_["havsbris"].pk, "Stiftelse"),
        (register_["solglantan"].pk, "Två"),
        (register_["bjorken"].pk, "Två"),
    }
    # One news item naming two providers is one signal for each.
    assert signal_keys(title__startswith="Två") == {
        f"{source.pk}:nyheter-2026-11-17-4312:{register_['solglantan'].pk}",
        f"{source.pk}:nyheter-2026-11-17-4312:{register_['bjorken'].pk}",
    }
    larm = Signal.objects.get(title__startswith="Larm")
    assert larm.kind == Signal.Kind.MEDIA
    assert "<p>" not in larm.details
    assert "underbemanning" in larm.details
    assert larm.url == "https://nyheter.example.se/2026/11/19/larm-om-brister"
    assert run.records_skipped == 1  # the item about the municipality's own home


@pytest.mark.django_db
def test_json_feed_is_fetched_with_the_sources_bearer_token(feeds):
    support.credit_register()
    with_token = support.credit_source(feeds, token="hemlig-nyckel-123")
    without = support.credit_source(feeds, path="ivo_revocations.json", name="Utan nyckel")

    fetchers.fetch(with_token, timeout=5)
    fetchers.fetch(without, timeout=5)

    assert feeds.authorization["/credit_events.json"] == "Bearer hemlig-nyckel-123"
    assert feeds.authorization["/ivo_revocations.json"] == ""


@pytest.mark.django_db
def test_the_token_is_not_sent_on_when_the_feed_redirects_to_another_host(feeds):
    moved = f"http://localhost:{feeds.port}/credit_events.json"
    feeds.reply("old-feed.json", Reply(301, b"", headers={"Location": moved}))
    source = support.credit_source(feeds, path="old-feed.json", token="hemlig-nyckel-123")

    fetched = fetchers.fetch(source, timeout=5)

    assert feeds.authorization["/old-feed.json"] == "Bearer hemlig-nyckel-123"
    assert feeds.hits["/credit_events.json"] == 1
    assert feeds.authorization["/credit_events.json"] == ""
    assert len(fetched.records) + len(fetched.skipped) == 5


@pytest.mark.django_db
def test_a_feed_that_does_not_answer_in_time_counts_as_down(feeds):
    feeds.reply("slow.json", Reply(200, b"[]", delay=2))

    with pytest.raises(SourceUnavailable):
        fetchers.http_get(feeds.url("slow.json"), timeout=0.3, accept="application/json")


@pytest.mark.django_db
def test_an_error_while_writing_a_run_leaves_nothing_of_it_and_fails_the_run(feeds, monkeypatch):
    ekbacken = support.ekbacken_register()
    source = support.ivo_source(feeds)

    def broken(signal, draft):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner, "act_on_revocation", broken)

    result = tasks.run_monitoring_source.apply(args=[source.pk])

    assert result.failed()
    run = MonitoringRun.objects.get(source=source)
    assert run.status == RUN.FAILED
    assert "disk full" not in run.error  # details go to the log, not to the page
    assert not Signal.objects.exists()
    ekbacken["unit"].refresh_from_db()
    assert ekbacken["unit"].status == PublicationStatus.PUBLISHED


@pytest.mark.django_db
def test_a_finished_run_is_never_run_again(feeds):
    source = support.credit_source(feeds)
    run = MonitoringRun.objects.create(source=source, status=RUN.SUCCEEDED, attempts=1)

    result = tasks.run_monitoring_source.apply(args=[source.pk, run.pk]).get()

    assert result is None
    run.refresh_from_db()
    assert run.attempts == 1
    assert feeds.hits["/credit_events.json"] == 0


@pytest.mark.django_db
def test_nightly_job_queues_one_run_per_active_source_not_under_way(
    django_capture_on_commit_callbacks,
):
    def make(name, **fields):
        return support.source(
            name,
            MonitoringKind.MEDIA,
            MonitoringSource.Format.RSS,
            url="http://x.invalid/",
            **fields,
        )

    idle, busy, stale, inactive = make("A"), make("B"), make("C"), make("D", is_active=False)
    MonitoringRun.objects.create(source=busy)
    stuck = MonitoringRun.objects.create(source=stale)
    MonitoringRun.objects.filter(pk=stuck.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=2)
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_ids = runner.queue_all(backoff=BACKOFF)

    queued = MonitoringRun.objects.filter(pk__in=run_ids)
    assert set(queued.values_list("source_id", flat=True)) == {idle.pk, stale.pk}
    assert len(callbacks) == 2
    stuck.refresh_from_db()
    assert stuck.status == RUN.FAILED
    assert not MonitoringRun.objects.filter(source=inactive).exists()


@pytest.mark.django_db
def test_nightly_schedule_runs_all_monitoring_at_half_past_two_stockholm_time():
    migration = importlib.import_module("followup.migrations.0002_monitoring_schedule")
    PeriodicTask.objects.filter(name=migration.TASK_NAME).delete()

    migration.create_schedule(django_apps, None)
    migration.create_schedule(django_apps, None)  # a re-run adds nothing

    (task,) = PeriodicTask.objects.filter(name="Basic monitoring, nightly")
    assert task.task == "followup.run_all_monitoring"
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("30", "2")
    assert (task.crontab.day_of_week, task.crontab.day_of_month) == ("*", "*")
    assert str(task.crontab.timezone) == "Europe/Stockholm"
    assert tasks.run_all_monitoring.name == task.task


# --- The team's e-mail ---------------------------------------------------------------------


@pytest.mark.django_db
def test_revocation_mail_goes_once_to_the_active_quality_team():
    ekbacken = support.ekbacken_register()
    team = user_with_role(Role.QUALITY_CONTROL)
    user_with_role(Role.QUALITY_CONTROL, is_active=False)
    user_with_role(Role.PROCUREMENT)
    signal = Signal.objects.create(
        kind=Signal.Kind.IVO_REVOCATION,
        severity=Severity.HIGH,
        unit=ekbacken["unit"],
        provider=ekbacken["provider"],
        title="IVO återkallar tillståndet för HVB Ekbacken",
        dedup_key="test:1",
    )

    assert tasks.notify_quality_team(signal.pk) is True
    assert tasks.notify_quality_team(signal.pk) is False

    (message,) = mail.outbox
    assert message.to == [team.email]
    assert "HVB Ekbacken" in message.subject
    assert reverse("monitoring:signal-detail", args=[signal.pk]) in message.body


# --- Reviews of related providers -----------------------------------------------------------------


def review_providers() -> set[int]:
    return set(
        Signal.objects.filter(kind=Signal.Kind.GROUP_REVIEW).values_list("provider_id", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["paused", "removed", "recommendation_stop", "order_stop"])
def test_a_stopped_unit_raises_a_review_of_its_group_and_of_providers_sharing_its_board(change):
    ekbacken = support.ekbacken_register()
    unit = ekbacken["unit"]
    former_peer = ProviderFactory(legal_name="Tidigare Styrelse AB")
    former_peer.people.create(
        name="Karin Ek",
        birth_date=dt.date(1968, 4, 2),
        role="board_member",
        valid_from=dt.date(2015, 1, 1),
        valid_to=dt.date(2019, 12, 31),
    )
    ProviderFactory(legal_name="Helt Fristående AB")
    team = user_with_role(Role.QUALITY_CONTROL)

    if change in ("paused", "removed"):
        register.change_status(actor=team, unit=unit.pk, to_status=change, reason="Tillsyn")
    elif change == "recommendation_stop":
        register.set_recommendation_stop(actor=team, unit=unit.pk, stop=True, reason="Brister")
    else:
        offering(unit, "hvb", "framework")
        procurement = user_with_role(Role.PROCUREMENT)
        register.set_order_stop(actor=procurement, unit=unit.pk, stop=True, reason="Avtalsbrott")

    assert review_providers() == {ekbacken["sister"].pk, ekbacken["board_peer"].pk}
    review = Signal.objects.get(provider=ekbacken["sister"])
    assert review.status == Signal.Status.NEW
    assert "Ekbacken Behandling AB" in review.title
    assert "Ekbacken Gruppen" in review.details
    # The shared person is not named in the inbox.
    assert "Karin" not in Signal.objects.get(provider=ekbacken["board_peer"]).details


@pytest.mark.django_db
def test_changes_that_do_not_stop_a_unit_raise_no_review():
    ekbacken = support.ekbacken_register()
    team = user_with_role(Role.QUALITY_CONTROL)
    draft = UnitFactory(provider=ekbacken["provider"], name="Ekbacken Nya")
    register.set_recommendation_stop(
        actor=team, unit=ekbacken["unit"].pk, stop=True, reason="Brister"
    )
    Signal.objects.filter(kind=Signal.Kind.GROUP_REVIEW).delete()

    register.set_recommendation_stop(
        actor=team, unit=ekbacken["unit"].pk, stop=False, reason="Åtgärdat"
    )
    register.change_status(
        actor=team, unit=draft.pk, to_status="under_control", reason="Ny kontroll"
    )

    assert review_providers() == set()


@pytest.mark.django_db
def test_reviews_are_made_once_per_change_and_related_provider():
    ekbacken = support.ekbacken_register()
    team = user_with_role(Role.QUALITY_CONTROL)
    event = register.change_status(
        actor=team, unit=ekbacken["unit"].pk, to_status="paused", reason="Tillsyn"
    )

    group_review.create_reviews(ekbacken["unit"], event)

    assert Signal.objects.filter(kind=Signal.Kind.GROUP_REVIEW).count() == 2


# --- Pages ----------------------------------------------------------------------------------------

OUTSIDERS = [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT, Role.MANAGER]


@pytest.fixture
def inbox():
    provider = ProviderFactory(legal_name="Solgläntan Omsorg AB")
    unit = UnitFactory(provider=provider, name="Solgläntan Hisingen")
    source = support.source(
        "Kreditbevakning", MonitoringKind.CREDIT, MonitoringSource.Format.JSON, url="http://x/"
    )
    run = MonitoringRun.objects.create(
        source=source,
        status=RUN.PARTIAL,
        attempts=1,
        records_seen=3,
        signals_created=2,
        records_skipped=1,
        skipped=[{"ref": "post 3", "reason": "Inget i registret matchar posten."}],
        finished_at=timezone.now(),
    )

    def make(title, **fields):
        fields.setdefault("kind", Signal.Kind.CREDIT)
        return Signal.objects.create(
            title=title, dedup_key=f"t:{title}", provider=provider, source=source, **fields
        )

    return {
        "provider": provider,
        "unit": unit,
        "source": source,
        "run": run,
        "old": make("Sänkt kreditbetyg", severity=Severity.MEDIUM, run=run),
        "new": make("Betalningsanmärkning", severity=Severity.HIGH, unit=unit, run=run),
        "media": make("Larm om brister", kind=Signal.Kind.MEDIA, severity=Severity.LOW),
        "closed": make("Gammal sak", status=Signal.Status.CLOSED, severity=Severity.HIGH),
    }


def page_urls(inbox) -> list[str]:
    return [
        reverse("monitoring:signal-list"),
        reverse("monitoring:signal-detail", args=[inbox["new"].pk]),
        reverse("monitoring:source-list"),
        reverse("monitoring:run-list"),
        reverse("monitoring:run-detail", args=[inbox["run"].pk]),
    ]


def titles_listed(response) -> list[str]:
    import re

    return re.findall(r'<a href="/monitoring/signals/\d+/">([^<]+)</a>', response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("role", OUTSIDERS)
def test_monitoring_pages_and_actions_are_for_the_quality_team_only(client, inbox, role):
    client.force_login(user_with_role(role))
    signal = inbox["new"]

    for url in page_urls(inbox):
        assert client.get(url).status_code == 403, url
    posts = [
        (reverse("monitoring:signal-take", args=[signal.pk]), {}),
        (reverse("monitoring:signal-close", args=[signal.pk]), {"note": "Klart"}),
        (reverse("monitoring:source-run", args=[inbox["source"].pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    signal.refresh_from_db()
    assert signal.status == Signal.Status.NEW
    assert MonitoringRun.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.ADMINISTRATOR])
def test_the_team_and_administrators_open_every_monitoring_page(client, inbox, role):
    client.force_login(user_with_role(role))

    for url in page_urls(inbox):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_signals_menu_entry_is_shown_to_the_team_only(client):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))
    assert f'href="{reverse("monitoring:signal-list")}"' in client.get("/").content.decode()
    client.force_login(user_with_role(Role.PLACEMENT_OFFICER))
    assert f'href="{reverse("monitoring:signal-list")}"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_inbox_lists_open_signals_newest_first_in_swedish(client, inbox):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))

    response = client.get(reverse("monitoring:signal-list"))

    assert titles_listed(response) == [
        "Larm om brister",
        "Betalningsanmärkning",
        "Sänkt kreditbetyg",
    ]
    assert "Signalinkorg" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "media"}, ["Larm om brister"]),
        ({"severity": "high"}, ["Betalningsanmärkning"]),
        ({"status": "closed"}, ["Gammal sak"]),
        ({"status": "all", "severity": "high"}, ["Gammal sak", "Betalningsanmärkning"]),
    ],
)
def test_inbox_filters_by_kind_severity_and_status(client, inbox, filters, expected):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))

    response = client.get(reverse("monitoring:signal-list"), filters)

    assert sorted(titles_listed(response)) == sorted(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 30])
def test_inbox_runs_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    team = user_with_role(Role.QUALITY_CONTROL)
    for index in range(count):
        unit = UnitFactory()
        Signal.objects.create(
            kind=Signal.Kind.CREDIT,
            title=f"Signal {index}",
            dedup_key=f"q:{index}",
            provider=unit.provider,
            unit=unit,
            handled_by=team,
            status=Signal.Status.IN_PROGRESS,
        )
    client.force_login(team)

    # Session, user, count, page (with provider, unit and handler joined).
    with django_assert_num_queries(6):  # and the unread notifications and saved filters
        response = client.get(reverse("monitoring:signal-list"))

    assert len(titles_listed(response)) == count


@pytest.mark.django_db
def test_signal_page_links_to_the_unit_and_the_provider(client, inbox):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))

    body = client.get(reverse("monitoring:signal-detail", args=[inbox["new"].pk])).content.decode()

    assert f'href="{reverse("providers:unit-detail", args=[inbox["unit"].pk])}"' in body
    assert f'href="{reverse("providers:provider-detail", args=[inbox["provider"].pk])}"' in body


@pytest.mark.django_db
def test_a_team_member_takes_then_closes_a_signal_with_a_note(client, inbox):
    team = user_with_role(Role.QUALITY_CONTROL)
    client.force_login(team)
    signal = inbox["new"]

    taken = client.post(reverse("monitoring:signal-take", args=[signal.pk]))
    signal.refresh_from_db()
    assert taken.status_code == 302
    assert (signal.status, signal.handled_by) == (Signal.Status.IN_PROGRESS, team)

    closed = client.post(
        reverse("monitoring:signal-close", args=[signal.pk]),
        {"note": "Kontrollerat med Kronofogden; skulden är betald."},
    )
    signal.refresh_from_db()
    assert closed.status_code == 302
    assert signal.status == Signal.Status.CLOSED
    assert signal.closing_note == "Kontrollerat med Kronofogden; skulden är betald."
    assert signal.closed_at is not None


@pytest.mark.django_db
def test_who_took_and_who_closed_a_signal_are_both_kept_with_its_history(client, inbox):
    taker, closer = user_with_role(Role.QUALITY_CONTROL), user_with_role(Role.QUALITY_CONTROL)
    signal = inbox["new"]
    client.force_login(taker)
    client.post(reverse("monitoring:signal-take", args=[signal.pk]))
    client.force_login(closer)
    client.post(reverse("monitoring:signal-close", args=[signal.pk]), {"note": "Åtgärdat."})
    signal.refresh_from_db()
    assert (signal.taken_by, signal.closed_by, signal.handled_by) == (taker, closer, closer)
    assert signal.taken_at is not None
    versions = signal.history.order_by("history_date")
    assert [v.status for v in versions][-2:] == [Signal.Status.IN_PROGRESS, Signal.Status.CLOSED]
    assert [v.history_user for v in versions][-2:] == [taker, closer]
    page = client.get(reverse("monitoring:signal-detail", args=[signal.pk])).content.decode()
    assert taker.get_full_name() in page and closer.get_full_name() in page


@pytest.mark.django_db
def test_closing_a_signal_without_a_note_is_refused_on_its_page(client, inbox):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))
    signal = inbox["new"]

    response = client.post(reverse("monitoring:signal-close", args=[signal.pk]), {"note": "  "})

    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    signal.refresh_from_db()
    assert signal.status == Signal.Status.NEW


@pytest.mark.django_db
def test_taking_a_closed_signal_is_refused(client, inbox):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))
    signal = inbox["closed"]

    response = client.post(reverse("monitoring:signal-take", args=[signal.pk]))

    assert response.status_code == 400
    assert "redan stängd" in response.content.decode()
    signal.refresh_from_db()
    assert signal.status == Signal.Status.CLOSED


@pytest.mark.django_db
def test_run_now_queues_one_run_of_the_source(client, inbox, django_capture_on_commit_callbacks):
    team = user_with_role(Role.QUALITY_CONTROL)
    client.force_login(team)
    source = inbox["source"]
    url = reverse("monitoring:source-run", args=[source.pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url)
    run = MonitoringRun.objects.filter(source=source, status=RUN.RUNNING).get()
    again = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:run-detail", args=[run.pk])
    assert run.triggered_by == team
    assert len(callbacks) == 1
    assert again.status_code == 400  # refused while the first run is under way
    assert MonitoringRun.objects.filter(source=source, status=RUN.RUNNING).count() == 1


@pytest.mark.django_db
def test_sources_page_shows_each_sources_last_run(client, inbox):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))
    support.source(
        "Aldrig körd", MonitoringKind.MEDIA, MonitoringSource.Format.RSS, url="http://y/"
    )

    body = client.get(reverse("monitoring:source-list")).content.decode()

    assert reverse("monitoring:run-detail", args=[inbox["run"].pk]) in body
    assert "Aldrig körd" in body
    assert "Aldrig körts" in body


@pytest.mark.django_db
def test_run_page_lists_the_skipped_records_with_their_reasons(client, inbox):
    client.force_login(user_with_role(Role.QUALITY_CONTROL))

    body = client.get(reverse("monitoring:run-detail", args=[inbox["run"].pk])).content.decode()

    assert "post 3" in body
    assert "Inget i registret matchar posten." in body
    assert "Betalningsanmärkning" in body  # a signal the run created


# --- Admin ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_keeps_a_sources_token_secret_and_unchanged_when_left_empty(client):
    client.force_login(user_with_role(Role.ADMINISTRATOR))
    data = {
        "name": "Kreditbevakning",
        "kind": "credit",
        "format": "json",
        "url": "https://kreditbevakning.example.se/feed",
        "token": "hemlig-nyckel-123",
        "file_path": "",
        "field_mapping": '{"items": "events", "org_number": "company.orgNo"}',
        "is_active": "on",
    }

    added = client.post(reverse("admin:followup_monitoringsource_add"), data)
    source = MonitoringSource.objects.get()
    change_url = reverse("admin:followup_monitoringsource_change", args=[source.pk])
    shown = client.get(change_url).content.decode()
    client.post(change_url, {**data, "token": "", "name": "Kreditbevakning UC"})
    source.refresh_from_db()
    kept = source.token
    client.post(change_url, {**data, "token": "", "clear_token": "on"})
    source.refresh_from_db()

    assert added.status_code == 302
    assert source.field_mapping == {"items": "events", "org_number": "company.orgNo"}
    assert "hemlig-nyckel-123" not in shown
    assert kept == "hemlig-nyckel-123"
    assert source.token == ""


@pytest.mark.django_db
def test_admin_shows_runs_and_signals_but_does_not_edit_them(client, inbox):
    client.force_login(user_with_role(Role.ADMINISTRATOR))

    for model in ("monitoringrun", "signal", "monitoringfile"):
        assert client.get(reverse(f"admin:followup_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:followup_{model}_add")).status_code == 403
    response = client.post(
        reverse("admin:followup_signal_change", args=[inbox["new"].pk]),
        {"status": "closed", "title": "Ändrad"},
    )
    assert response.status_code == 403
    assert Signal.objects.get(pk=inbox["new"].pk).title == "Betalningsanmärkning"
