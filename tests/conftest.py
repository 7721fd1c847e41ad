import os
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from spink.celery import app as celery_app
from tests import db_support

ROOT = Path(__file__).resolve().parent.parent

# Tasks sent by this test run go to a queue of its own, so that a `make run` worker sharing
# the same Redis never takes them (and the test worker never takes the dev server's).
TEST_QUEUE = f"spink-test-{uuid.uuid4().hex[:8]}"
celery_app.conf.task_default_queue = TEST_QUEUE

# Production settings assume HTTPS and hashed static files from collectstatic; the test
# client and live server speak plain HTTP and serve static files from the finders.
TEST_OVERRIDES = {
    "SECURE_SSL_REDIRECT": False,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


# Extra environment for the worker process. Test packages may add to it when their modules are
# imported (collection comes before any test starts the session's worker); empty by default.
CELERY_WORKER_ENV: dict[str, str] = {}


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    with override_settings(**TEST_OVERRIDES):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings, django_db_use_migrations, django_db_keepdb, django_db_createdb
):
    """The test database is made as a copy of the migrated template of an earlier run, when
    there is one for the migrations and models of this run (tests.db_support). A test database
    kept from an earlier run (--reuse-db) is reused only if the same migrations made it."""
    from django.db import connection

    test_database = connection.creation._get_test_db_name()
    there = db_support.database_exists(test_database)
    if (
        there
        and django_db_keepdb
        and not django_db_createdb
        and db_support.initial_rows_digest(test_database) != db_support.migration_digest()
    ):
        db_support.drop_database(test_database)
        there = False
    db_support.test_database_was_there = there
    if not (django_db_use_migrations and db_support.templates_enabled()):
        return
    template = db_support.template_name(test_database)
    if db_support.database_exists(template):
        connection.settings_dict["TEST"]["TEMPLATE"] = template


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
):
    """After migrating a new test database, keep a copy of it as the template for later runs
    (and for the scratch databases of this one), and a copy of the rows the migrations made,
    which the flush after each transactional test puts back (tests.db_support). A test database
    kept from an earlier run (--reuse-db) is put back as it was when new."""
    from django.db import connection

    reused = django_db_keepdb and not django_db_createdb and db_support.test_database_was_there
    with django_db_blocker.unblock():
        if reused:
            if not db_support.restore_initial_rows():
                _load_taxonomy()  # a database kept by an older suite: its taxonomy at least
            return
        if (
            django_db_use_migrations
            and db_support.templates_enabled()
            and not connection.settings_dict["TEST"].get("TEMPLATE")
        ):
            test_database = connection.settings_dict["NAME"]
            connection.close()
            try:
                db_support.make_template(test_database, db_support.template_name(test_database))
            except Exception as error:  # noqa: BLE001 - only an optimisation: migrate next time
                warnings.warn(f"No template of the test database: {error}", stacklevel=1)
        db_support.keep_initial_rows()


def _load_taxonomy() -> None:
    from django.apps import apps

    from categories import taxonomy

    taxonomy.load(apps)


@pytest.fixture(scope="session")
def migrated_template(django_db_setup) -> str | None:
    """The name of a migrated database without test data on this server, to copy, or None."""
    from django.db import connection

    if not db_support.templates_enabled():
        return None
    name = db_support.template_name(connection.settings_dict["NAME"])
    return name if db_support.database_exists(name) else None


@pytest.fixture(autouse=True, scope="session")
def _flush_by_delete():
    """Transactional tests end by emptying the tables they wrote to with DELETE, not by
    TRUNCATE-ing all of them (tests.db_support.flush_by_delete): seconds less per test."""
    with db_support.flush_by_delete():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The API's throttles count requests in the cache: each test starts with none counted,
    so that the suite's many anonymous test requests do not add up to 429s."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    """Transactional tests end by emptying every table, taking the rows that migrations load
    (the service taxonomy) with them. The flush puts them back (tests.db_support); where it
    cannot (Django's own flush), load the taxonomy again for each such test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    from django.db import connection

    if connection.in_atomic_block:
        pytest.fail(
            "A transactional test ran inside a module's shared, rolled-back data "
            "(tests.db_support.rolled_back): give it a module of its own."
        )
    request.getfixturevalue("transactional_db")
    if not db_support.initial_rows_come_back():
        _load_taxonomy()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_command(node: str, *extra: str, pool: str = "solo") -> list[str]:
    """`celery worker` on this run's queue, named `node` (extra options after the pool)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "spink",
        "worker",
        "-Q",
        TEST_QUEUE,
        "-n",
        node,
        "--pool",
        pool,
        *extra,
        "--without-gossip",
        "--without-mingle",
        "-l",
        "WARNING",
    ]


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the real Redis broker, using the test database.

    Tests that use it must be `django_db(transaction=True)` so the worker sees their data.
    """
    node = f"{TEST_QUEUE}@localhost"
    env = {**os.environ, "DATABASE_URL": _database_url(), **CELERY_WORKER_ENV}
    command = worker_command(node)
    worker = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[node], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start (exit code {worker.poll()}).")
        yield node
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


# Under pytest-xdist (`make test`) each process takes the next test file when it is done with
# one, in collection order. The longest files (seconds each on a quiet machine: admin privacy
# 52, monitoring faults 29, layout at 320 px 25, tools 21, outbox faults 21, follow-up browser
# journeys 18, the demo seed 12) go first, so that the processes do not end with one of them
# alone on the last.
LONGEST_FILES = (
    "tests/test_admin_privacy.py",
    "tests/followup/test_monitoring_faults.py",
    "tests/browser/test_layout.py",
    "tests/reporting/test_plan_scope.py",
    "tests/devtools/test_tools.py",
    "tests/test_outbox.py",
    "tests/browser/test_followup.py",
    "tests/devtools/test_seed_demo.py",
    "tests/devtools/test_demo_history.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not getattr(config.option, "numprocesses", None):
        return  # one process: keep pytest-django's order (plain tests before transactional)
    first = {path: rank for rank, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::", 1)[0], len(first)))
