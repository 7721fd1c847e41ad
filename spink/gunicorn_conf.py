"""gunicorn settings for every Spink web server: the Docker image, docker compose and
`make loadtest` start gunicorn with `--config python:spink.gunicorn_conf`."""

from __future__ import annotations

import gc
import os

# Sync workers, 2 × cores + 1 unless WEB_CONCURRENCY says otherwise: a sync worker serves one
# request at a time and spends part of it waiting for PostgreSQL, so a few more workers than
# cores keep the cores busy.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
accesslog = "-"
# Path without the query string (%(U)s, not %(r)s): a search for a personal identity number
# must not end up in the access log. No referer either, for the same reason.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def tune_gc() -> None:
    """A request leaves thousands of objects in reference cycles, so with CPython's default
    thresholds a full collection over Django's whole heap lands in about one request in
    twenty: +130 ms on an API list's p95 (measured by `make bench`). Freeze what start-up
    made (it lives as long as the worker) and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def post_worker_init(worker) -> None:
    tune_gc()
