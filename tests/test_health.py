import socket

import pytest

from devtools import embedded

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_reports_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_healthz_is_503_when_redis_is_stopped(client, settings, tmp_path):
    port = free_port()
    embedded.start_redis(port=port, directory=tmp_path)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    try:
        assert client.get("/healthz").status_code == 200
    finally:
        embedded.stop_redis(port=port)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "down"}


def test_healthz_is_503_when_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    # The database server itself keeps running for the rest of the suite; the check sees
    # exactly what a dropped connection looks like to psycopg.
    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"
