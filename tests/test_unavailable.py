"""503, not 500, while PostgreSQL or Redis is down (spink/unavailable.py).

The outage tests run Spink as it runs in production, gunicorn with production settings,
against a PostgreSQL and a Redis of their own (the shared servers are never stopped), and
stop and start those servers under the running web server.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import kombu
import kombu.exceptions
import pytest
import redis
import requests
from django import db
from django.db import connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client, RequestFactory, override_settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from devtools import embedded
from spink.unavailable import ServiceUnavailableMiddleware, server_error, unavailable_service

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
USERNAME = "outage.administrator"
PASSWORD = "outage-password-2026"
# A test personal identity number (Skatteverket's test series) sent in a query string: it
# must not reach the application's log.
PERSON_NUMBER = "191212121212"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound a moment ago, released)."""
    return free_port()


# --- Own servers ---------------------------------------------------------------------------


def postgres(action: str, directory: Path, port: int) -> None:
    """devtools.embedded's own start/stop, pointed at this module's data directory and port."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded, "PG_DIR", directory)
        patch.setattr(embedded, "PG_PORT", port)
        if action == "start":
            embedded.start_postgres()
        else:
            embedded.stop_postgres()


@dataclass
class Site:
    url: str
    log: Path
    pg_dir: Path
    pg_port: int
    redis_dir: Path
    redis_port: int
    session: requests.Session = field(default_factory=requests.Session)

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.url + path, timeout=20, allow_redirects=False, **kwargs)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _log_in(site: Site) -> None:
    page = site.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = site.session.post(
        site.url + "/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        timeout=20,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    assert "sessionid" in site.session.cookies


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Own PostgreSQL + Redis, migrated, one user, gunicorn on a free port, logged in."""
    work = tmp_path_factory.mktemp("unavailable")
    pg_dir, redis_dir = work / "postgres", work / "redis"
    pg_port, redis_port, web_port = free_port(), free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        # The suite's own database and queue names are not this server's.
        if key not in {"SPINK_TEST_DB_NAME", "CELERY_TASK_DEFAULT_QUEUE"}
    }
    env.update(
        DATABASE_URL=f"postgres://postgres@{HOST}:{pg_port}/{embedded.PG_DATABASE}",
        REDIS_URL=f"redis://{HOST}:{redis_port}/0",
        DEBUG="0",
        SPINK_DEMO="0",
        SPINK_HTTPS="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        STATIC_ROOT=str(work / "static"),
        LOG_LEVEL="INFO",
        # A stopped server refuses at once; keep an unreachable one from holding the test.
        DB_CONNECT_TIMEOUT="2",
        WEB_CONCURRENCY="1",
    )
    log = work / "gunicorn.log"
    process: subprocess.Popen | None = None
    postgres("start", pg_dir, pg_port)
    try:
        embedded.start_redis(port=redis_port, directory=redis_dir)
        setup = (
            "from django.core.management import call_command;"
            "call_command('migrate', verbosity=0);"
            # The pages fetched here need only Spink's own files in the manifest; compressing
            # the API docs' and the admin's (~40 MB) would take most of the test's time.
            "call_command('collectstatic', interactive=False, verbosity=0,"
            " ignore_patterns=['admin', 'rest_framework', 'drf_spectacular_sidecar',"
            " 'django_htmx']);"
            "from spink.accounts.models import User;"
            f"User.objects.create_user({USERNAME!r}, password={PASSWORD!r}, role='administrator')"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True
        )
        with log.open("ab") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "spink.wsgi:application",
                    "--config",
                    "python:spink.gunicorn_conf",
                    "--bind",
                    f"{HOST}:{web_port}",
                    # Access lines go apart, so the log checked here is the application's own
                    # (the access log is checked on its own).
                    "--access-logfile",
                    str(work / "access.log"),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://{HOST}:{web_port}"
        _wait_until_up(url, process, log)
        site = Site(url, log, pg_dir, pg_port, redis_dir, redis_port)
        _log_in(site)
        yield site
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        embedded.stop_redis(port=redis_port)
        postgres("stop", pg_dir, pg_port)


@dataclass
class Outage:
    home: requests.Response
    home_en: requests.Response
    login: requests.Response
    search: requests.Response
    api: requests.Response
    healthz: requests.Response
    log: str


@pytest.fixture(scope="module")
def database_outage(site: Site) -> Outage:
    """What the running server answered while its PostgreSQL was stopped, and what it logged;
    PostgreSQL is started again afterwards."""
    assert site.get("/").status_code == 200  # the worker holds a live connection
    offset = site.log_size()
    postgres("stop", site.pg_dir, site.pg_port)
    try:
        outage = Outage(
            home=site.get("/"),
            home_en=site.get("/", cookies={"django_language": "en"}),
            login=site.get("/login/"),
            search=site.get(f"/requests/?q={PERSON_NUMBER}"),
            api=site.get("/api/v1/me/"),
            healthz=site.get("/healthz"),
            log="",
        )
        time.sleep(0.3)  # the log line is written after the answer
        outage.log = site.log_since(offset)
    finally:
        postgres("start", site.pg_dir, site.pg_port)
    return outage


def test_pages_answer_503_page_in_swedish_with_retry_after_while_postgresql_is_down(
    database_outage: Outage,
):
    for response in (database_outage.home, database_outage.login, database_outage.search):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert response.headers["Content-Type"].startswith("text/html")
        assert '<html lang="sv">' in response.text
        assert 'data-page="service-unavailable"' in response.text
        assert "<h1>" in response.text
        # The try-again link is the page itself, without the query string.
        assert f"{PERSON_NUMBER}" not in response.text
    assert 'href="/"' in database_outage.home.text


def test_page_follows_the_chosen_language_while_postgresql_is_down(database_outage: Outage):
    response = database_outage.home_en
    assert response.status_code == 503
    assert '<html lang="en">' in response.text
    assert "<title>Temporarily unavailable – Spink</title>" in response.text
    assert ">Try again</a>" in response.text


def test_api_answers_503_json_with_retry_after_while_postgresql_is_down(database_outage: Outage):
    response = database_outage.api
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json()["code"] == "service_unavailable"
    assert response.json()["detail"]


def test_healthz_answers_503_with_retry_after_while_postgresql_is_down(database_outage: Outage):
    assert database_outage.healthz.status_code == 503
    assert database_outage.healthz.headers["Retry-After"] == "30"
    assert database_outage.healthz.json()["checks"]["database"] == "down"


def test_outage_is_logged_as_one_warning_per_request_without_traceback_or_personal_data(
    database_outage: Outage,
):
    log = database_outage.log
    assert "Traceback" not in log
    assert " ERROR " not in log
    assert PERSON_NUMBER not in log
    assert USERNAME not in log
    warnings = [line for line in log.splitlines() if "answered 503" in line]
    assert len(warnings) == 5, log  # home (twice), login, search, API; healthz logs its own
    assert all(" WARNING spink.unavailable database unavailable" in line for line in warnings)
    assert any("GET placements:request-list" in line for line in warnings), log


def test_access_log_has_paths_without_query_strings(site: Site, database_outage: Outage):
    access_log = (site.log.parent / "access.log").read_text()
    assert "GET /requests/ HTTP" in access_log
    assert PERSON_NUMBER not in access_log


def test_site_answers_200_again_once_postgresql_is_back_without_a_restart(
    site: Site, database_outage: Outage
):
    assert database_outage.home.status_code == 503  # the outage happened
    assert site.get("/").status_code == 200
    assert site.get("/login/").status_code == 302  # logged in: on to the start page
    assert site.get("/api/v1/me/").json()["username"] == USERNAME
    assert site.get("/healthz").status_code == 200


def test_healthz_answers_503_while_redis_is_down_and_pages_without_broker_work_still_answer(
    site: Site, database_outage: Outage
):
    embedded.stop_redis(port=site.redis_port)
    try:
        healthz = site.get("/healthz")
        assert healthz.status_code == 503
        assert healthz.headers["Retry-After"] == "30"
        assert healthz.json()["checks"] == {"database": "ok", "broker": "down"}
        assert site.get("/").status_code == 200
    finally:
        embedded.start_redis(port=site.redis_port, directory=site.redis_dir)
    assert site.get("/healthz").status_code == 200


# --- The middleware and handler500 on their own, with real connection errors ---------------


def refusing_redis() -> redis.Redis:
    """A client of a closed port that gives up at once (redis-py retries for ~3 s by default)."""
    return redis.Redis(host=HOST, port=closed_port(), retry=Retry(NoBackoff(), 0))


def redis_connection_error() -> redis.exceptions.ConnectionError:
    try:
        refusing_redis().ping()
    except redis.exceptions.ConnectionError as exc:
        return exc
    raise AssertionError("a closed port answered")


def kombu_operational_error() -> kombu.exceptions.OperationalError:
    try:
        with kombu.Connection(f"redis://{HOST}:{closed_port()}/0") as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=1)
    except kombu.exceptions.OperationalError as exc:
        return exc
    raise AssertionError("a closed port answered")


def database_connection_error(settings_dict: dict) -> db.Error:
    wrapper = DatabaseWrapper({**settings_dict, "PORT": str(closed_port())}, alias="refused")
    try:
        wrapper.ensure_connection()
    except db.Error as exc:
        return exc
    raise AssertionError("a closed port answered")


def test_refused_database_and_broker_connections_count_as_unavailable(settings, django_db_blocker):
    # A connection of its own to a closed port: pytest-django's guard would refuse it first.
    with django_db_blocker.unblock():
        refused = database_connection_error(settings.DATABASES["default"])
    assert unavailable_service(refused) == "database"
    assert unavailable_service(redis_connection_error()) == "broker"
    assert unavailable_service(kombu_operational_error()) == "broker"
    assert unavailable_service(ValueError("not an outage")) is None


@pytest.mark.django_db
def test_statement_timeout_is_an_error_of_the_request_not_an_outage():
    # psycopg's QueryCanceled (57014) is an OperationalError too, like a lost connection.
    with (
        pytest.raises(db.OperationalError) as raised,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")
    assert raised.value.__cause__.sqlstate == "57014"
    assert unavailable_service(raised.value) is None


def test_view_that_meets_a_broker_connection_error_answers_503_json_under_the_api(caplog):
    request = RequestFactory().post("/api/v1/placement-requests/12/submit/")
    middleware = ServiceUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(request, kombu_operational_error())
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert json.loads(response.content)["code"] == "service_unavailable"
    assert caplog.messages == [
        "broker unavailable (OperationalError): "
        "POST api:placement-request-submit pk=12 answered 503"
    ]


def test_view_that_meets_a_redis_connection_error_answers_503_page():
    request = RequestFactory().get("/requests/12/")
    response = ServiceUnavailableMiddleware(lambda request: None).process_exception(
        request, redis_connection_error()
    )
    assert response is not None
    assert response.status_code == 503
    assert 'data-page="service-unavailable"' in response.content.decode()


def test_other_view_errors_are_left_to_django():
    request = RequestFactory().get("/requests/12/")
    middleware = ServiceUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(request, ValueError("a bug")) is None


class RedisDownMiddleware:
    """Test-only: a middleware that needs the broker before the view runs, as a middleware
    that meets an outage would, outside the reach of process_exception."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusing_redis().ping()
        return self.get_response(request)


def test_outage_met_in_middleware_answers_503_through_handler500(settings, caplog):
    middleware = [*settings.MIDDLEWARE, f"{__name__}.RedisDownMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        response = Client(raise_request_exception=False).get(f"/requests/?q={PERSON_NUMBER}")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'data-page="service-unavailable"' in response.content.decode()
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert PERSON_NUMBER not in caplog.text


def test_other_errors_still_get_the_500_page():
    request = RequestFactory().get("/requests/12/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
