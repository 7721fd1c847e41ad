"""The developer tools in miniature: the scale generator, `make bench`, `make loadtest` (locust
against gunicorn) and the command lines of the embedded servers and the dev server.

The bench and the load test run as `make bench` and `make loadtest` start them, as processes
of their own, on one scratch database (`<test database>_tools`, filled once by the first of
them through `manage.py generate_scale` at the tiny scale, dropped at the end), with their
reports written to the test's temporary directory: BENCHMARKS.md is never touched. What they
measure is never asserted, only that they work: a report row with numbers, load with no
errors. seed_demo has tests of its own (tests/devtools/test_seed_demo.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from devtools import bench, embedded, loadtest, rulebook
from devtools.demo import accounts as accounts_demo
from devtools.scale import placements as scale
from devtools.scale.followup import generate_followup
from devtools.scale.register import generate_register
from followup import rules as followup_rules
from followup.models import Control, Feedback
from placements.models import CLOSED_STATUSES, PlacementRequest, Recommendation, TimelineEvent
from providers.rules import matchable_offerings
from tests.conftest import TEST_QUEUE

ROOT = Path(__file__).resolve().parents[2]
NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 12, 0))
# Tasks the tools' processes send (seed_demo's e-mails) go to a queue no worker takes: never to
# a `make run` worker on the same Redis, which would look for their rows in its own database.
TOOLS_QUEUE = f"{TEST_QUEUE}-tools"
# The timeline events a workflow step writes (the messages are no step).
ACTION_FOR_EVENT = {kind: action for action, kind in scale.EVENT_FOR_ACTION.items()}


def _quiet(message: str) -> None:
    pass


# --- The scale generator (in this process, on the test database) ----------------------------


@pytest.mark.django_db
def test_scale_generator_makes_requests_that_walk_the_workflow():
    places = scale.prepare_region(2)
    generate_register(60, progress=_quiet)
    counts = scale.generate_requests(places, years=2, total=300, seed=3, progress=_quiet, now=NOW)

    requests = PlacementRequest.objects.all()
    assert abs(counts.requests - 300) <= 10
    assert requests.count() == counts.requests == sum(counts.by_status.values())
    assert Counter(requests.values_list("status", flat=True)) == counts.by_status
    assert TimelineEvent.objects.count() == counts.timeline
    assert Recommendation.objects.count() == counts.recommendations > 0
    assert set(requests.values_list("administration__municipality__name", flat=True)) == {
        "Göteborg",
        "Mölndal",
    }
    # Replayed through the product's workflow, each timeline ends in the request's status.
    users = {}
    for request in requests.select_related("administration"):
        stand_in = type("Request", (), {})()
        stand_in.__dict__.update(
            status="draft",
            social_worker_id=request.social_worker_id,
            administration_id=request.administration_id,
            administration=request.administration,
            team=request.team,
            assigned_officer_id=None,
        )
        for kind, actor_id in request.timeline.order_by("created_at", "pk").values_list(
            "kind", "actor_id"
        ):
            if kind not in ACTION_FOR_EVENT:
                continue  # created, messages
            if actor_id not in users:
                users[actor_id] = type(request.social_worker).objects.get(pk=actor_id)
            action = ACTION_FOR_EVENT[kind]
            stand_in.status = rulebook.request_step(action, stand_in, users[actor_id])
            if kind == TimelineEvent.Kind.ASSIGNED:
                stand_in.assigned_officer_id = actor_id
        assert stand_in.status == request.status, request.reference
        assert (request.closed_at is not None) == (request.status in CLOSED_STATUSES)
    matchable = set(matchable_offerings(NOW.date()).values_list("pk", flat=True))
    assert set(Recommendation.objects.values_list("offering_id", flat=True)) <= matchable


@pytest.mark.django_db
def test_followup_generator_obeys_the_followup_rules():
    accounts_demo.seed()
    generate_register(60, progress=_quiet)
    year = timezone.localdate().year
    made = generate_followup(30, 30, 80, years=(year - 2, year), seed=5, progress=_quiet)

    assert Control.objects.count() == made["controls"] == 30
    assert Feedback.objects.count() == made["feedback"] == 80
    for control in Control.objects.select_related("provider").prefetch_related("units", "checks"):
        permit_needed = followup_rules.needs_permit(list(control.units.all()))
        assert sorted(check.kind for check in control.checks.all()) == sorted(
            followup_rules.checklist(control.provider.legal_form, permit_needed)
        )
    for feedback in Feedback.objects.all():
        assert rulebook.feedback_reaches(Feedback.Status.RECEIVED, feedback.status)
        assert (feedback.communicated_at is None) == (feedback.status == Feedback.Status.RECEIVED)


# --- Bench and load test (processes of their own, on a scratch database) ----------------------


def _admin_connection():
    import psycopg

    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="module")
def tools_database(django_db_setup, django_db_blocker):
    """The URL of a scratch database beside the test database, dropped afterwards: a copy of
    the migrated test database when nothing else is connected to it (the tools' own migrate
    then has nothing to do), else an empty one."""
    import psycopg
    from django.db import connections

    settings = connection.settings_dict
    name = f"{settings['NAME']}_tools"
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    url = f"postgres://{credentials}@{settings['HOST']}:{settings['PORT'] or 5432}/{name}"
    connections.close_all()
    with django_db_blocker.unblock(), _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings["NAME"]}"')
        except psycopg.errors.ObjectInUse:  # e.g. the session's Celery worker
            admin.execute(f'CREATE DATABASE "{name}"')
    yield url
    with django_db_blocker.unblock(), _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    import redis
    from django.conf import settings as django_settings

    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete(TOOLS_QUEUE)


def _run(args: list[str], database_url: str, timeout: float) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SPINK_DEVTOOLS": "1",
        "CELERY_TASK_DEFAULT_QUEUE": TOOLS_QUEUE,
        # Never the developer's own choices for a full run.
        **{name: "" for name in os.environ if name.startswith(("BENCH_", "LOADTEST_"))},
    }
    result = subprocess.run(
        [sys.executable, *args, "--database-url", database_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{output}"
    return result


def _table_row(report: str, page: str) -> list[str]:
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith(page):
            return cells
    raise AssertionError(f"no row for {page!r} in:\n{report}")


def _benchmarks() -> bytes | None:
    path = ROOT / "BENCHMARKS.md"
    return path.read_bytes() if path.exists() else None


def test_bench_times_one_page_at_tiny_scale(tools_database, tmp_path):
    benchmarks = _benchmarks()
    out = tmp_path / "bench.md"

    result = _run(
        [
            "-m",
            "devtools.bench",
            "--scale",
            "tiny",
            "--only",
            "register list (quality",
            "--runs",
            "3",
            "--out",
            str(out),
        ],
        tools_database,
        timeout=240,
    )

    report = out.read_text()
    assert "a miniature run" in report and "tiny scale" in report
    header = _table_row(report, "page")
    row = _table_row(report, "Register list (quality & control)")
    assert float(row[header.index("p95")]) > 0
    assert int(row[header.index("queries")]) > 0
    assert len([line for line in report.splitlines() if line.startswith("| Register")]) == 1
    assert "[bench] Register list (quality & control): p50" in result.stdout
    assert _benchmarks() == benchmarks


def test_loadtest_puts_a_few_seconds_of_load_on_gunicorn(tools_database, tmp_path):
    out, raw = tmp_path / "load.md", tmp_path / "load.json"

    _run(
        [
            "-m",
            "devtools.loadtest",
            "--scale",
            "tiny",
            "--users",
            "2",
            "--seconds",
            "3",
            "--spawn-rate",
            "4",
            "--settle",
            "1",
            "--idle-seconds",
            "0.2",
            "--uncompressed-static",
            "--workers",
            "2",
            "--out",
            str(out),
            "--json",
            str(raw),
        ],
        tools_database,
        timeout=240,
    )

    (stage,) = json.loads(raw.read_text())
    assert stage["users"] == 2 and stage["logged_in"] == 2
    assert stage["measured"]["total"]["requests"] > 0
    assert stage["ramp_up"]["total"]["failures"] == stage["measured"]["total"]["failures"] == 0
    assert not stage["ramp_up"]["failures"] and not stage["measured"]["failures"]
    report = out.read_text()
    assert report.startswith(loadtest.START_MARKER) and loadtest.END_MARKER in report
    assert re.search(r"^\| 2 users \| [\d.]+ \| \d+ \| \d+ \| 0 \|", report, re.MULTILINE), report


# --- Command lines ------------------------------------------------------------------------------


def test_bench_and_loadtest_options(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCH_SCALE", "tiny")
    monkeypatch.setenv("BENCH_RUNS", "4")
    options = bench.parse_args(["--only", "register", "--out", str(tmp_path / "b.md")])
    assert (options.scale, options.only, options.out) == ("tiny", "register", tmp_path / "b.md")
    tiny = bench.scale_from(options.scale, options.runs)
    assert (tiny.runs, tiny.history, tiny.database_suffix) == (4, False, "_bench_tiny")
    assert bench.scale_from("regional").database_suffix == "_bench"

    monkeypatch.setenv("LOADTEST_SECONDS", "7")
    options, _args = loadtest.parse_args(["--users", "2,3", "--out", str(tmp_path / "l.md")])
    assert (options.stages, options.seconds, options.out) == ((2, 3), 7.0, tmp_path / "l.md")
    assert loadtest.parse_args([])[0].stages == loadtest.STAGES
    with pytest.raises(SystemExit):
        loadtest.parse_args(["--users", "none"])


def test_embedded_command_line(capsys, monkeypatch):
    assert embedded.main([]) == 2
    assert "python -m devtools.embedded run -- CMD" in capsys.readouterr().err
    assert embedded.main(["run"]) == 2
    assert "needs a command" in capsys.readouterr().err
    assert embedded.main(["run", "--", "no-such-command-for-spink"]) == 127
    assert embedded.main(["status"]) == 0
    assert re.findall(r"^(postgres|redis) (up|down) on ", capsys.readouterr().out, re.MULTILINE)

    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/db")
    monkeypatch.delenv("SPINK_DEVTOOLS", raising=False)
    environment = embedded.command_environment()
    assert environment["DATABASE_URL"] == "postgres://elsewhere/db"
    assert environment["SPINK_DEVTOOLS"] == "1"


def test_embedded_and_devserver_run_as_modules():
    # A process of its own: embedded must work before Django's settings exist.
    result = subprocess.run(
        [sys.executable, "-m", "devtools.embedded", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "Command line:" in result.stderr
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import devtools.devserver as d, sys; print(d.HOST, d.PORT); "
            "sys.exit('django' in sys.modules)",
        ],
        cwd=ROOT,
        env={**os.environ, "SPINK_HOST": "127.0.0.2", "SPINK_PORT": "8123"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "127.0.0.2 8123")
