import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from spink.celery import app as celery_app

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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The API's throttles count requests in the cache: each test starts with none counted,
    so that the suite's many anonymous test requests do not add up to 429s."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    """Transactional tests end by emptying every table, taking the rows that migrations load
    (the service taxonomy) with them; put them back for each such test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from categories import taxonomy

    taxonomy.load(apps)


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
