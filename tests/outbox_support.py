"""For the tests where the broker fails: a redis-server of the test's own (stopped and started
again at will, never the shared one), this process's Celery pointed at it, and a real prefork
worker on it whose pool process can be killed.

Importing monitoring_support points the workers' e-mail at files in MAIL_DIR and keeps the tasks
they send themselves on the test queue.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from devtools import embedded
from spink.celery import app as celery_app
from spink.outbox import sending
from tests.conftest import CELERY_WORKER_ENV, ROOT, _database_url, worker_command
from tests.followup import monitoring_support  # noqa: F401  (the workers' mail and queue)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OwnRedis:
    """A redis-server on a free port, in a folder of the test's own (append-only file on, so a
    restart keeps the queue, as a production Redis would)."""

    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        embedded.start_redis(port=self.port, directory=self.directory)

    def stop(self) -> None:
        embedded.stop_redis(port=self.port)


@contextlib.contextmanager
def own_redis(directory: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(free_port(), directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _forget_broker_connections() -> None:
    # The app keeps its connection and producer pools for the URL it first used. They are
    # only let go, not closed: kombu hands the same pools out again for the same URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """This process publishes to `url` (the shared broker again afterwards)."""
    previous = celery_app.conf.broker_url
    _forget_broker_connections()
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        _forget_broker_connections()
        celery_app.conf.broker_url = previous
        # The outage this test made must not keep later tests' commit-time sends waiting.
        sending._broker_down_until = 0.0


@dataclass
class Worker:
    process: subprocess.Popen
    node: str

    def pool_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()


@contextlib.contextmanager
def prefork_worker(
    redis: OwnRedis, concurrency: int = 1, database_url: str | None = None
) -> Iterator[Worker]:
    """A real `celery worker` (prefork pool) on `redis` and the test database (or
    `database_url`). Call inside celery_broker(redis.url), which the readiness check needs."""
    node = f"faults-{uuid.uuid4().hex[:6]}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": database_url or _database_url(),
        **CELERY_WORKER_ENV,
        "REDIS_URL": redis.url,
    }
    command = worker_command(node, "--concurrency", str(concurrency), pool="prefork")
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start (exit code {process.poll()}).")
        yield Worker(process, node)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- A database that goes away --------------------------------------------------------------------


class DatabaseProxy:
    """A TCP relay in front of the shared PostgreSQL, which the test can take down: then every
    connection through it is cut, and new ones are closed at once (psycopg sees what it sees when
    the server restarts). The shared server itself is never touched."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.up = True
        self.refused = 0
        self._pipes: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database_url: str) -> str:
        """`database_url` through this relay."""
        credentials, rest = database_url.split("@", 1)
        return f"{credentials}@127.0.0.1:{self.port}/{rest.split('/', 1)[1]}"

    def take_down(self) -> None:
        with self._lock:
            self.up = False
            for pipe in self._pipes:
                with contextlib.suppress(OSError):
                    pipe.shutdown(socket.SHUT_RDWR)
                pipe.close()
            self._pipes.clear()

    def bring_up(self) -> None:
        self.up = True

    def close(self) -> None:
        self.take_down()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                self.refused += 1
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._pipes += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def database_proxy() -> Iterator[DatabaseProxy]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    proxy = DatabaseProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    try:
        yield proxy
    finally:
        proxy.close()
