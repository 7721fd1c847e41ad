"""`make bench`: page timings at regional scale, each against its hand-written SQL floor.

Runs against a database of its own (`<name>_bench` on the configured server), fills it once
with a regional-size register, then requests each page many times through Django's full
request/response cycle and writes BENCHMARKS.md. Not part of `make test`: numbers are
measured, never asserted inside a test.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = int(os.environ.get("BENCH_UNITS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "60"))
WARMUP = 5


def _use_bench_database() -> None:
    """Point DATABASE_URL at <name>_bench on the same server, creating it if needed."""
    import dj_database_url
    import psycopg

    from spink import embedded

    url = os.environ.get("DATABASE_URL") or embedded.postgres_url()
    config = dj_database_url.parse(url)
    bench_name = f"{config['NAME']}_bench"
    conninfo = {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**conninfo) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{bench_name}"')
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{bench_name}"


@dataclass
class Scenario:
    """A page (url, requested as username) or, when `call` is set, a function call."""

    name: str
    url: str
    username: str
    target_ms: float
    floor_sql: str | None = None
    floor_params: tuple = ()
    call: Callable[[], object] | None = None


@dataclass
class Result:
    scenario: Scenario
    p50: float
    p95: float
    queries: int
    floor_p50: float | None
    floor_p95: float | None

    @property
    def ratio(self) -> float | None:
        return self.p95 / self.floor_p95 if self.floor_p95 else None


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def timed(call: Callable[[], object], runs: int) -> list[float]:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


# The register list's floor: page 1 of units (50, by name) with provider, municipality and
# offerings aggregated, plus the total count — what the page shows, in one statement.
REGISTER_FLOOR = """
WITH page AS (
    SELECT u.id, u.name, u.status, u.places, u.recommendation_stop, u.order_stop,
           p.legal_name, p.org_number, m.name AS municipality
    FROM providers_unit u
    JOIN providers_provider p ON p.id = u.provider_id
    JOIN accounts_municipality m ON m.id = u.municipality_id
    WHERE (%s = '' OR u.name ILIKE '%%' || %s || '%%' OR p.legal_name ILIKE '%%' || %s || '%%'
           OR p.org_number LIKE '%%' || %s || '%%')
    ORDER BY u.name, u.id LIMIT 50
)
SELECT page.*, (SELECT count(*) FROM providers_unit u2
                JOIN providers_provider p2 ON p2.id = u2.provider_id
                WHERE (%s = '' OR u2.name ILIKE '%%' || %s || '%%'
                       OR p2.legal_name ILIKE '%%' || %s || '%%'
                       OR p2.org_number LIKE '%%' || %s || '%%')) AS total,
       array(SELECT s.name_sv || ' (' || f.name_sv || ')' FROM providers_unitservice o
             JOIN categories_service s ON s.id = o.service_id
             JOIN categories_operatingform f ON f.id = o.operating_form_id
             WHERE o.unit_id = page.id) AS offerings
FROM page ORDER BY page.name, page.id
"""


# Matching's floor: every offering of the service with the register's and the request's
# checks, ranked — the candidate list in one statement.
MATCHING_FLOOR = """
SELECT o.id, u.name, f.preference_rank,
       (SELECT p.daily_price FROM providers_price p WHERE p.offering_id = o.id
          AND p.valid_from <= CURRENT_DATE AND (p.valid_to IS NULL OR p.valid_to >= CURRENT_DATE)
        ORDER BY p.valid_from DESC LIMIT 1) AS price
FROM providers_unitservice o
JOIN providers_unit u ON u.id = o.unit_id
JOIN categories_operatingform f ON f.id = o.operating_form_id
JOIN categories_service s ON s.id = o.service_id
WHERE o.service_id = %s AND u.status = 'published'
  AND NOT (f.code = 'direct' AND u.recommendation_stop)
  AND NOT (f.code = 'framework' AND u.order_stop)
  AND (NOT s.requires_permit OR f.code = 'own' OR EXISTS (
        SELECT 1 FROM providers_permit pe JOIN providers_permit_services ps
          ON ps.permit_id = pe.id
        WHERE pe.unit_id = u.id AND ps.service_id = o.service_id
          AND pe.valid_from <= CURRENT_DATE
          AND (pe.valid_to IS NULL OR pe.valid_to >= CURRENT_DATE)
          AND (pe.revoked_on IS NULL OR pe.revoked_on > CURRENT_DATE)))
  AND u.age_min <= %s AND u.age_max >= %s AND u.gender IN ('any', %s)
  AND (u.available_places IS NULL OR u.available_places > 0)
ORDER BY f.preference_rank, price NULLS LAST, u.name
"""


def matching_scenarios() -> list[Scenario]:
    from placements.identity import age_on
    from placements.matching import MATCH_LIMIT, rank_candidates
    from placements.models import PlacementRequest

    request = (
        PlacementRequest.objects.filter(service__code="hvb", person_birth_date__isnull=False)
        .order_by("pk")
        .first()
    )
    age = age_on(request.person_birth_date, request.wanted_start)
    params = (request.service_id, age, age, request.person_gender)
    total = len(rank_candidates(request))
    return [
        Scenario(
            f"Matching: the {MATCH_LIMIT} best of {total} candidates (HVB, {request.reference})",
            "",
            "placering.barn",
            50,
            MATCHING_FLOOR + f" LIMIT {MATCH_LIMIT}",
            params,
            call=lambda: rank_candidates(request, limit=MATCH_LIMIT),
        ),
        Scenario(
            f"Matching: all {total} candidates ranked (HVB, {request.reference})",
            "",
            "placering.barn",
            50,
            MATCHING_FLOOR,
            params,
            call=lambda: rank_candidates(request),
        ),
    ]


def scenarios() -> list[Scenario]:
    search = "Fyren"
    return [
        *matching_scenarios(),
        Scenario(
            "Register list (quality & control)",
            "/register/",
            "kvalitet",
            100,
            REGISTER_FLOOR,
            ("",) * 8,
        ),
        Scenario(
            "Register search (quality & control)",
            f"/register/?q={search}",
            "kvalitet",
            100,
            REGISTER_FLOOR,
            (search,) * 8,
        ),
        Scenario(
            "Register list, matchable units (placement officer)",
            "/register/",
            "placering.barn",
            100,
        ),
        Scenario("API units list", "/api/v1/units/", "kvalitet", 100),
        Scenario("API units search", f"/api/v1/units/?q={search}", "kvalitet", 100),
    ]


def measure(scenario: Scenario) -> Result:
    from django.db import connection
    from django.test import Client

    from spink.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=scenario.username))

    def request() -> None:
        if scenario.call is not None:
            scenario.call()
            return
        response = client.get(scenario.url, secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.url} answered {response.status_code}")

    # Counted with an execute wrapper: the query log is reset at every request start.
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        request()
    samples = timed(request, RUNS)
    floor_p50 = floor_p95 = None
    if scenario.floor_sql:

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute(scenario.floor_sql, scenario.floor_params)
                cursor.fetchall()

        floor_samples = timed(floor, RUNS)
        floor_p50, floor_p95 = percentile(floor_samples, 50), percentile(floor_samples, 95)
    return Result(
        scenario,
        percentile(samples, 50),
        percentile(samples, 95),
        len(executed),
        floor_p50,
        floor_p95,
    )


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
        f"PostgreSQL {pg_version}"
    )


def report(results: list[Result], data: str) -> str:
    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f}"

    lines = [
        "# Benchmarks",
        "",
        f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench`.",
        f"Machine: {machine()}.",
        f"Data: {data}. Each page requested {RUNS} times after {WARMUP} warm-ups through "
        "Django's full request cycle (test client, logged-in user); times in milliseconds.",
        "The floor is the same result computed by one hand-written SQL statement.",
        "",
        "| page | p50 | p95 | target p95 | SQL queries | floor p50 | floor p95 | p95 / floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = "✓" if r.p95 < r.scenario.target_ms else "✗"
        ratio = "–" if r.ratio is None else f"{r.ratio:.1f}×"
        lines.append(
            f"| {r.scenario.name} | {fmt(r.p50)} | {fmt(r.p95)} | < {r.scenario.target_ms:.0f} "
            f"{ok} | {r.queries} | {fmt(r.floor_p50)} | {fmt(r.floor_p95)} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def prepare() -> str:
    """Point Django at the bench database, migrate it and fill it to regional scale once;
    returns a description of the data. Shared by the benchmark and the load test."""
    _use_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spink.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )

    from providers.models import Unit
    from providers.scale import generate_register

    call_command("migrate", "--no-input", verbosity=0)
    call_command("seed_demo", verbosity=0)
    missing = UNITS - Unit.objects.count()
    if missing > 0:
        print(f"[bench] generating {missing} units …", flush=True)
        generate_register(missing, progress=lambda m: print(f"[bench]   {m}", flush=True))
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return f"{Unit.objects.count()} units"


def main() -> int:
    data = prepare()
    results = []
    for scenario in scenarios():
        result = measure(scenario)
        results.append(result)
        print(
            f"[bench] {scenario.name}: p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, "
            f"{result.queries} queries",
            flush=True,
        )
    (ROOT / "BENCHMARKS.md").write_text(report(results, data))
    print("[bench] wrote BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
