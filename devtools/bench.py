"""`make bench`: page timings at regional scale, each against its hand-written SQL floor.

Runs against a database of its own (`<name>_bench` on the configured server), fills it once
with a regional-size register, then requests each page many times through Django's full
request/response cycle and writes BENCHMARKS.md. Not part of `make test`: numbers are
measured, never asserted inside a test (tests/devtools runs it in miniature only to see that it
works).

In miniature (a smoke run, e.g. from the tests), on a database of its own per scale
(`<name>_bench_tiny`) and a report elsewhere:

    python -m devtools.bench --scale tiny --only register --runs 3 --out /tmp/bench.md

Options and their environment variables: --scale / BENCH_SCALE (tiny, small or regional, the
default), --only / BENCH_ONLY (benchmarks whose group or name contains the text: placements,
matching, register, statistics, or e.g. "register search"), --runs / BENCH_RUNS, --out /
BENCH_OUT (default BENCHMARKS.md), --database-url / BENCH_DATABASE_URL (exactly this
database instead of `<name>_bench…`). BENCH_UNITS, BENCH_REQUESTS, BENCH_MUNICIPALITIES and
BENCH_YEARS change the sizes of the chosen scale.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
WARMUP = 5


@dataclass(frozen=True)
class Scale:
    """How much data the bench database gets, and how often each page is requested."""

    name: str
    units: int
    requests: int
    municipalities: int
    years: int
    followup: int  # controls, signals and feedback, each
    runs: int
    history: bool  # the demo's 2023–2024 history of Gothenburg (seed_demo)
    database_url: str | None = None  # None: `<name>_bench` (+ `_<scale>`) beside DATABASE_URL

    @property
    def database_suffix(self) -> str:
        return "_bench" if self.name == "regional" else f"_bench_{self.name}"


SCALES = {
    "regional": Scale("regional", 10_000, 750_000, 10, 10, 5_000, 60, history=True),
    "small": Scale("small", 1_000, 20_000, 3, 3, 500, 20, history=True),
    # The demo register (320 units) and a few hundred generated requests: seconds, not minutes.
    "tiny": Scale("tiny", 400, 300, 2, 2, 30, 5, history=False),
}


def scale_from(
    name: str | None = None, runs: int | None = None, database_url: str | None = None
) -> Scale:
    """The named scale (default BENCH_SCALE, else regional) with the BENCH_* sizes applied."""
    name = name or os.environ.get("BENCH_SCALE") or "regional"
    if name not in SCALES:
        raise SystemExit(f"Unknown bench scale {name!r}: choose one of {', '.join(SCALES)}.")
    scale = SCALES[name]
    env = os.environ.get
    return replace(
        scale,
        units=int(env("BENCH_UNITS") or scale.units),
        requests=int(env("BENCH_REQUESTS") or scale.requests),
        municipalities=int(env("BENCH_MUNICIPALITIES") or scale.municipalities),
        years=int(env("BENCH_YEARS") or scale.years),
        runs=runs or int(env("BENCH_RUNS") or scale.runs),
        database_url=database_url or env("BENCH_DATABASE_URL") or None,
    )


def _use_bench_database(scale: Scale) -> None:
    """Point DATABASE_URL at the scale's bench database (<name>_bench for the regional one,
    <name>_bench_<scale> for the others, or exactly scale.database_url), creating it if
    needed: a miniature run never fills the regional database with miniature data."""
    import dj_database_url
    import psycopg

    from devtools import embedded

    if scale.database_url:
        url = scale.database_url
        bench_name = dj_database_url.parse(url)["NAME"]
    else:
        url = os.environ.get("DATABASE_URL") or embedded.postgres_url()
        bench_name = f"{dj_database_url.parse(url)['NAME']}{scale.database_suffix}"
    config = dj_database_url.parse(url)
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
    os.environ["DATABASE_URL"] = (
        url if scale.database_url else url.rsplit("/", 1)[0] + f"/{bench_name}"
    )


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
    sql_p50: float
    sql_p95: float
    floor_p50: float | None
    floor_p95: float | None

    @property
    def ratio(self) -> float | None:
        return self.p95 / self.floor_p95 if self.floor_p95 else None

    @property
    def sql_ratio(self) -> float | None:
        return self.sql_p95 / self.floor_p95 if self.floor_p95 else None


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def timed(call: Callable[[], object], runs: int, warmup: int = WARMUP) -> list[float]:
    for _ in range(warmup):
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
# The register's matchability rule for an offering `o` of unit `u` (operating form `f`,
# service `s`): published, no stop on its operating form, a valid permit where required.
MATCHABLE_OFFERING = """
u.status = 'published'
  AND NOT (f.code = 'direct' AND u.recommendation_stop)
  AND NOT (f.code = 'framework' AND u.order_stop)
  AND (NOT s.requires_permit OR f.code = 'own' OR EXISTS (
        SELECT 1 FROM providers_permit pe JOIN providers_permit_services ps
          ON ps.permit_id = pe.id
        WHERE pe.unit_id = u.id AND ps.service_id = o.service_id
          AND pe.valid_from <= CURRENT_DATE
          AND (pe.valid_to IS NULL OR pe.valid_to >= CURRENT_DATE)
          AND (pe.revoked_on IS NULL OR pe.revoked_on > CURRENT_DATE)))
"""

MATCHING_FLOOR = f"""
SELECT o.id, u.name, f.preference_rank,
       (SELECT p.daily_price FROM providers_price p WHERE p.offering_id = o.id
          AND p.valid_from <= CURRENT_DATE AND (p.valid_to IS NULL OR p.valid_to >= CURRENT_DATE)
        ORDER BY p.valid_from DESC LIMIT 1) AS price
FROM providers_unitservice o
JOIN providers_unit u ON u.id = o.unit_id
JOIN categories_operatingform f ON f.id = o.operating_form_id
JOIN categories_service s ON s.id = o.service_id
WHERE o.service_id = %s AND {MATCHABLE_OFFERING}
  AND u.age_min <= %s AND u.age_max >= %s AND u.gender IN ('any', %s)
  AND (u.available_places IS NULL OR u.available_places > 0)
ORDER BY f.preference_rank, price NULLS LAST, u.name
"""  # noqa: S608 - constants only

# The officer's register: page 1 of the units with at least one matchable offering, with the
# total.
MATCHABLE_REGISTER_FLOOR = f"""
WITH matchable AS (
    SELECT u.id, u.name, u.status, u.places, p.legal_name, m.name AS municipality
    FROM providers_unit u
    JOIN providers_provider p ON p.id = u.provider_id
    JOIN accounts_municipality m ON m.id = u.municipality_id
    WHERE EXISTS (
        SELECT 1 FROM providers_unitservice o
        JOIN categories_operatingform f ON f.id = o.operating_form_id
        JOIN categories_service s ON s.id = o.service_id
        WHERE o.unit_id = u.id AND {MATCHABLE_OFFERING})
), page AS (SELECT * FROM matchable ORDER BY name, id LIMIT 50)
SELECT page.*, (SELECT count(*) FROM matchable) AS total,
       array(SELECT s.name_sv || ' (' || f.name_sv || ')' FROM providers_unitservice o
             JOIN categories_service s ON s.id = o.service_id
             JOIN categories_operatingform f ON f.id = o.operating_form_id
             WHERE o.unit_id = page.id) AS offerings
FROM page ORDER BY page.name, page.id
"""  # noqa: S608 - constants only


def _matching_params(request) -> tuple:
    from placements.identity import age_on

    age = age_on(request.person_birth_date, request.wanted_start)
    return (request.service_id, age, age, request.person_gender)


def matching_scenarios() -> list[Scenario]:
    from placements.matching import MATCH_LIMIT, rank_candidates
    from placements.models import PlacementRequest

    request = (
        PlacementRequest.objects.filter(service__code="hvb", person_birth_date__isnull=False)
        .order_by("pk")
        .first()
    )
    if request is None:
        raise RuntimeError("No HVB request with a birth date to match: regenerate the data.")
    params = _matching_params(request)
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


def _request_list_floor(scope: str, rows: int, join: str = "", cap: int = 10_000) -> str:
    """A list of requests newest first (`rows` a page) with what its rows show, the requests
    in `scope` (drafts only the user's own), and the total counted up to the lists' cap
    (spink.pagination.COUNT_CAP) as the pages do."""
    return f"""
WITH visible AS NOT MATERIALIZED (
    SELECT r.* FROM placements_placementrequest r {join}
    WHERE {scope} AND (r.status <> 'draft' OR r.social_worker_id = %s)
), page AS (
    SELECT r.id, r.reference, r.kind, r.status, r.urgency, r.team, r.wanted_start,
           r.created_at, r.submitted_at, r.protected_identity, r.person_first_name,
           r.person_last_name, r.person_birth_date, s.code AS service,
           s.name_sv AS service_name, sc.name_sv AS subcategory, a.name AS administration,
           o.name AS org_unit, w.first_name, w.last_name, ao.first_name AS officer_first,
           ao.last_name AS officer_last
    FROM visible r
    JOIN categories_service s ON s.id = r.service_id
    LEFT JOIN categories_subcategory sc ON sc.id = r.subcategory_id
    JOIN accounts_administration a ON a.id = r.administration_id
    JOIN accounts_orgunit o ON o.id = r.org_unit_id
    JOIN accounts_user w ON w.id = r.social_worker_id
    LEFT JOIN accounts_user ao ON ao.id = r.assigned_officer_id
    ORDER BY r.created_at DESC, r.id DESC LIMIT {rows}
)
SELECT page.*, (SELECT count(*) FROM (SELECT 1 FROM visible LIMIT {cap + 1}) capped) AS total
FROM page ORDER BY page.created_at DESC, page.id DESC
"""  # noqa: S608 - constants only


# The social worker's list: the own administration, 25 a page.
REQUEST_LIST_FLOOR = _request_list_floor("r.administration_id = %s", 25)
# The API list for a placement officer: the officer's municipality, 50 a page.
API_REQUEST_LIST_FLOOR = _request_list_floor(
    "a.municipality_id = %s",
    50,
    join="JOIN accounts_administration a ON a.id = r.administration_id",
)

# The officer's queue: open requests of the team in the officer's municipality, acute first,
# oldest first, 25 a page, with the total.
QUEUE_FLOOR = """
WITH queue AS NOT MATERIALIZED (
    SELECT r.* FROM placements_placementrequest r
    JOIN accounts_administration a ON a.id = r.administration_id
    WHERE a.municipality_id = %s AND r.team = %s
      AND r.status IN ('submitted', 'in_matching', 'recommended')
), page AS (
    SELECT q.id, q.reference, q.status, q.urgency, q.submitted_at, q.protected_identity,
           q.person_first_name, q.person_last_name, s.name_sv AS service,
           a.name AS administration, ao.first_name, ao.last_name
    FROM queue q
    JOIN categories_service s ON s.id = q.service_id
    JOIN accounts_administration a ON a.id = q.administration_id
    LEFT JOIN accounts_user ao ON ao.id = q.assigned_officer_id
    ORDER BY q.urgency, q.submitted_at, q.id LIMIT 25
)
SELECT page.*, (SELECT count(*) FROM (SELECT 1 FROM queue LIMIT 10001) capped) AS total
FROM page ORDER BY page.urgency, page.submitted_at, page.id
"""

# A year's statistics: every table of the page (per service and subcategory, per month, per
# administration with unique persons, outcomes and lead times of the year, operating forms
# of the chosen providers) as one pass with grouping sets. %(scope)s narrows to the
# municipality for a manager and is empty for an administrator.
STATISTICS_FLOOR = """
SELECT r.service_id, r.subcategory_id,
       EXTRACT(MONTH FROM r.submitted_at AT TIME ZONE 'Europe/Stockholm') AS month,
       r.administration_id, o.operating_form_id,
       count(*) FILTER (WHERE r.submitted_at >= %(year_start)s) AS current,
       count(*) FILTER (WHERE r.submitted_at < %(year_start)s) AS previous,
       count(DISTINCT r.person_key) FILTER (WHERE r.submitted_at >= %(year_start)s) AS persons,
       count(*) FILTER (WHERE r.submitted_at >= %(year_start)s AND r.status = 'placed') AS placed,
       count(*) FILTER (WHERE r.submitted_at >= %(year_start)s AND r.status = 'not_placed')
           AS not_placed,
       count(*) FILTER (WHERE r.submitted_at >= %(year_start)s AND r.status = 'withdrawn')
           AS withdrawn,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
           ORDER BY EXTRACT(EPOCH FROM r.first_recommended_at - r.submitted_at) / 3600)
           FILTER (WHERE r.submitted_at >= %(year_start)s) AS lead_hours
FROM placements_placementrequest r
JOIN accounts_administration a ON a.id = r.administration_id
LEFT JOIN placements_recommendation c ON c.id = r.chosen_recommendation_id
LEFT JOIN providers_unitservice o ON o.id = c.offering_id
WHERE r.kind = 'placement' AND r.status <> 'draft'
  AND r.submitted_at >= %(previous_start)s AND r.submitted_at < %(next_start)s
  AND (%(municipality)s::bigint IS NULL OR a.municipality_id = %(municipality)s::bigint)
GROUP BY GROUPING SETS ((r.service_id, r.subcategory_id), (month), (r.administration_id),
                        (o.operating_form_id), ())
"""


def _statistics_params(year: int, municipality_id: int | None) -> dict:
    import datetime as dt

    from django.utils import timezone

    tz = timezone.get_default_timezone()
    return {
        "year_start": dt.datetime(year, 1, 1, tzinfo=tz),
        "previous_start": dt.datetime(year - 1, 1, 1, tzinfo=tz),
        "next_start": dt.datetime(year + 1, 1, 1, tzinfo=tz),
        "municipality": municipality_id,
    }


def _user(username: str):
    from spink.accounts.models import User

    return User.objects.get(username=username)


def placement_scenarios() -> list[Scenario]:
    from placements.matching import MATCH_LIMIT
    from placements.models import PlacementRequest, RequestStatus

    worker = _user("socialsekreterare")
    officer = _user("placering.barn")
    being_matched = (
        PlacementRequest.objects.filter(
            service__code="hvb",
            assigned_officer=officer,
            status__in=[RequestStatus.IN_MATCHING, RequestStatus.RECOMMENDED],
            protected_identity=False,
        )
        .order_by("-submitted_at")
        .first()
    )
    if being_matched is None:
        raise RuntimeError("No HVB request being matched by placering.barn: regenerate the data.")
    return [
        Scenario(
            "Request list (social worker, own administration)",
            "/requests/",
            worker.username,
            100,
            REQUEST_LIST_FLOOR,
            (worker.administration_id, worker.pk),
        ),
        Scenario(
            "Work queue (placement officer, children & youth)",
            "/requests/queue/",
            officer.username,
            100,
            QUEUE_FLOOR,
            (officer.municipality_id, officer.placement_team),
        ),
        Scenario(
            f"Matching page: request with the {MATCH_LIMIT} best units ({being_matched.reference})",
            f"/requests/{being_matched.pk}/",
            officer.username,
            100,
            MATCHING_FLOOR + f" LIMIT {MATCH_LIMIT}",
            _matching_params(being_matched),
        ),
        Scenario(
            "API placement requests list (placement officer)",
            "/api/v1/placement-requests/",
            officer.username,
            100,
            API_REQUEST_LIST_FLOOR,
            (officer.municipality_id, officer.pk),
        ),
    ]


def statistics_scenarios() -> list[Scenario]:
    from django.utils import timezone

    year = timezone.localdate().year - 1
    manager = _user("chef")
    return [
        Scenario(
            f"Statistics, year {year} (manager, Göteborg)",
            f"/statistics/?year={year}",
            manager.username,
            300,
            STATISTICS_FLOOR,
            _statistics_params(year, manager.municipality_id),
        ),
        Scenario(
            f"Statistics, year {year} (administrator, whole region)",
            f"/statistics/?year={year}",
            "admin",
            300,
            STATISTICS_FLOOR,
            _statistics_params(year, None),
        ),
        Scenario(
            f"API statistics per service, {year} (manager)",
            f"/api/v1/statistics/requests/?year={year}",
            manager.username,
            300,
        ),
    ]


def register_scenarios() -> list[Scenario]:
    search = "Fyren"
    return [
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
            MATCHABLE_REGISTER_FLOOR,
        ),
        # The API rows carry more (permits, agreements), so the register's floor is a lower
        # bound for them.
        Scenario("API units list", "/api/v1/units/", "kvalitet", 100, REGISTER_FLOOR, ("",) * 8),
        Scenario(
            "API units search",
            f"/api/v1/units/?q={search}",
            "kvalitet",
            100,
            REGISTER_FLOOR,
            (search,) * 8,
        ),
    ]


# The social worker's home page: their requests awaiting a choice, their drafts, and those
# with someone else's message in the last week, counted in one pass over their own requests.
HOME_WORKER_FLOOR = """
SELECT count(*) FILTER (WHERE r.status = 'recommended') AS awaiting_choice,
       count(*) FILTER (WHERE r.status = 'draft') AS drafts,
       count(*) FILTER (WHERE r.status <> 'draft' AND EXISTS (
           SELECT 1 FROM placements_timelineevent e
           WHERE e.request_id = r.id AND e.kind = 'message'
             AND e.created_at >= now() - interval '7 days' AND e.actor_id IS DISTINCT FROM %s
       )) AS officer_wrote
FROM placements_placementrequest r
WHERE r.administration_id = %s AND r.social_worker_id = %s
"""

# The officer's home page: the team's open requests in the municipality, counted per worklist
# (unassigned, acute among them, assigned to the officer, recommended and waiting, overdue).
HOME_OFFICER_FLOOR = """
SELECT count(*) FILTER (WHERE r.assigned_officer_id IS NULL) AS unassigned,
       count(*) FILTER (WHERE r.assigned_officer_id IS NULL AND r.urgency = 'acute') AS acute,
       count(*) FILTER (WHERE r.assigned_officer_id = %(officer)s) AS mine,
       count(*) FILTER (WHERE r.assigned_officer_id = %(officer)s AND r.status = 'recommended')
           AS waiting,
       count(*) FILTER (WHERE r.wanted_start < current_date
           OR (r.wanted_start <= current_date + 2 AND r.status IN ('submitted', 'in_matching')))
           AS overdue
FROM placements_placementrequest r
JOIN accounts_administration a ON a.id = r.administration_id
WHERE a.municipality_id = %(municipality)s AND r.team = %(team)s
  AND r.status IN ('submitted', 'in_matching', 'recommended')
"""


def home_scenarios() -> list[Scenario]:
    worker = _user("socialsekreterare")
    officer = _user("placering.barn")
    return [
        Scenario(
            "Home page (social worker)",
            "/",
            worker.username,
            100,
            HOME_WORKER_FLOOR,
            (worker.pk, worker.administration_id, worker.pk),
        ),
        Scenario(
            "Home page (placement officer, children & youth)",
            "/",
            officer.username,
            100,
            HOME_OFFICER_FLOOR,
            {
                "officer": officer.pk,
                "municipality": officer.municipality_id,
                "team": officer.placement_team,
            },
        ),
    ]


# Searching by person: a name or a number among the requests of the officer's municipality
# whose person the officer may see (access.person_visible_filter), newest first.
_SEARCH_JOIN = "JOIN accounts_administration a ON a.id = r.administration_id"
_PERSON_VISIBLE = (
    "(r.social_worker_id = %s OR r.assigned_officer_id = %s"
    " OR (NOT r.protected_identity AND r.team = %s))"
)
_SEARCH_CAP = 100  # placements.search.PERSON_SEARCH_COUNT_CAP
# One word anywhere in either name; a first and a last name as the names' beginnings, in
# either order (placements.search._name_filter).
_ONE_NAME = "(upper(r.person_first_name) LIKE %s OR upper(r.person_last_name) LIKE %s)"
# A beginning as a range of the pattern operators, which only the B-tree prefix indexes serve
# (placements.search.BeginsWith): the trigram indexes a LIKE would also take are slower.
_BEGINS = "(upper(r.person_{0}_name) ~>=~ %s AND upper(r.person_{0}_name) ~<~ %s)"
_FULL_NAME = (
    f"(({_BEGINS.format('first')} AND {_BEGINS.format('last')})"
    f" OR ({_BEGINS.format('last')} AND {_BEGINS.format('first')}))"
)


def _name_search_floor(words: int) -> str:
    names = _ONE_NAME if words == 1 else _FULL_NAME
    return _request_list_floor(
        f"a.municipality_id = %s AND {names} AND {_PERSON_VISIBLE}",
        25,
        join=_SEARCH_JOIN,
        cap=_SEARCH_CAP,
    )


NUMBER_SEARCH_FLOOR = _request_list_floor(
    f"a.municipality_id = %s AND r.person_key = %s AND {_PERSON_VISIBLE}",
    25,
    join=_SEARCH_JOIN,
    cap=_SEARCH_CAP,
)
REFERENCE_SEARCH_FLOOR = _request_list_floor("r.social_worker_id = %s AND r.reference = %s", 25)


def search_scenarios() -> list[Scenario]:
    from urllib.parse import urlencode

    from placements.models import PlacementRequest

    worker = _user("socialsekreterare")
    officer = _user("placering.barn")
    person = (
        PlacementRequest.objects.filter(
            administration__municipality_id=officer.municipality_id,
            team=officer.placement_team,
            protected_identity=False,
            person_is_reserve_number=False,
        )
        .order_by("-submitted_at")
        .first()
    )
    own = PlacementRequest.objects.filter(social_worker_id=worker.pk).order_by("-pk").first()
    if person is None or own is None:
        raise RuntimeError("No request to search for: regenerate the data.")
    first, last = person.person_first_name, person.person_last_name
    visible = (officer.pk, officer.pk, officer.placement_team, officer.pk)

    def anywhere(name: str) -> tuple[str, ...]:
        return (f"%{name.upper()}%",) * 2

    def beginning(first: str, last: str) -> tuple[str, ...]:
        def span(word: str) -> tuple[str, str]:
            word = word.upper()
            return word, word[:-1] + chr(ord(word[-1]) + 1)

        return (*span(first), *span(last)) * 2

    return [
        Scenario(
            f"Search by first and last name (placement officer, “{first} {last}”)",
            "/requests/search/?" + urlencode({"q": f"{first} {last}"}),
            officer.username,
            100,
            _name_search_floor(2),
            (officer.municipality_id, *beginning(first, last), *visible),
        ),
        Scenario(
            f"Search by a common last name alone (placement officer, “{last}”)",
            "/requests/search/?" + urlencode({"q": last}),
            officer.username,
            100,
            _name_search_floor(1),
            (officer.municipality_id, *anywhere(last), *visible),
        ),
        Scenario(
            "Search by personal identity number (placement officer)",
            "/requests/search/?" + urlencode({"q": person.person_identity_number}),
            officer.username,
            100,
            NUMBER_SEARCH_FLOOR,
            (officer.municipality_id, person.person_key, *visible),
        ),
        Scenario(
            "Search by reference in the request list (social worker)",
            "/requests/?" + urlencode({"q": own.reference}),
            worker.username,
            100,
            REFERENCE_SEARCH_FLOOR,
            (worker.pk, own.reference, worker.pk),
        ),
    ]


SCENARIO_GROUPS: dict[str, Callable[[], list[Scenario]]] = {
    "placements": placement_scenarios,
    "matching": matching_scenarios,
    "register": register_scenarios,
    "statistics": statistics_scenarios,
    "home": home_scenarios,
    "search": search_scenarios,
}


def scenarios(only: str | None = None, complete: bool = True) -> list[Scenario]:
    """Every benchmark, or those whose group or name contains `only` (any case).

    A group named by `only` is built alone; otherwise every group is built and the names are
    filtered. A group the data cannot serve (a miniature database may lack, say, a request
    being matched) fails the run when it was named or the run is to be `complete`, and is
    skipped with a note otherwise."""
    needle = (only or "").strip().lower()
    named = [key for key in SCENARIO_GROUPS if needle and needle in key]
    chosen = []
    for key, build in SCENARIO_GROUPS.items():
        if named and key not in named:
            continue
        try:
            group = build()
        except RuntimeError as error:
            if named or (complete and not needle):
                raise
            print(f"[bench] {key}: skipped ({error})", flush=True)
            continue
        chosen += [
            scenario for scenario in group if named or needle in f"{key}: {scenario.name}".lower()
        ]
    if not chosen:
        raise SystemExit(
            f"No benchmark matches {only!r}: give a group ({', '.join(SCENARIO_GROUPS)}) or "
            "part of a benchmark's name."
        )
    return chosen


def measure(scenario: Scenario, runs: int) -> Result:
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

    # Queries are counted and timed with an execute wrapper (the query log is reset at every
    # request start): the page's own SQL time, beside the whole request's.
    executed: list[float] = []

    def clock(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            executed.append((time.perf_counter() - start) * 1000)

    sql_samples: list[float] = []

    def request_timing_sql() -> None:
        executed.clear()
        request()
        sql_samples.append(sum(executed))

    warmup = min(WARMUP, runs)
    with connection.execute_wrapper(clock):
        request()
        queries = len(executed)
        samples = timed(request_timing_sql, runs, warmup)
    sql_samples = sql_samples[warmup:]
    floor_p50 = floor_p95 = None
    if scenario.floor_sql:

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute(scenario.floor_sql, scenario.floor_params)
                cursor.fetchall()

        floor_samples = timed(floor, runs, warmup)
        floor_p50, floor_p95 = percentile(floor_samples, 50), percentile(floor_samples, 95)
    return Result(
        scenario,
        percentile(samples, 50),
        percentile(samples, 95),
        queries,
        percentile(sql_samples, 50),
        percentile(sql_samples, 95),
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


def report(results: list[Result], data: str, scale: Scale) -> str:
    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f}"

    def times(ratio: float | None) -> str:
        return "–" if ratio is None else f"{ratio:.1f}×"

    lines = [
        "# Benchmarks",
        "",
        f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        + (
            "`make bench`."
            if scale.name == "regional"
            else f"`python -m devtools.bench --scale {scale.name}` (a miniature run)."
        ),
        f"Machine: {machine()}.",
        f"Data: {data}. Each page requested {scale.runs} times after "
        f"{min(WARMUP, scale.runs)} warm-ups through "
        "Django's full request cycle (test client, logged-in user); times in milliseconds.",
        "The floor is the same result computed by one hand-written SQL statement; *page SQL* "
        "is the time the page spent in its own queries (summed per request), so the two "
        "ratios separate query shape (page SQL / floor) from Python and template work "
        "(page / floor).",
        "",
        "| page | p50 | p95 | target p95 | queries | page SQL p50 | page SQL p95 "
        "| floor p50 | floor p95 | page / floor (p95) | page SQL / floor (p95) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = "✓" if r.p95 < r.scenario.target_ms else "✗"
        lines.append(
            f"| {r.scenario.name} | {fmt(r.p50)} | {fmt(r.p95)} | < {r.scenario.target_ms:.0f} "
            f"{ok} | {r.queries} | {fmt(r.sql_p50)} | {fmt(r.sql_p95)} | {fmt(r.floor_p50)} "
            f"| {fmt(r.floor_p95)} | {times(r.ratio)} | {times(r.sql_ratio)} |"
        )
    return "\n".join(lines) + "\n"


def prepare(scale: Scale | None = None) -> str:
    """Point Django at the scale's bench database, migrate it and fill it once; returns a
    description of the data. Shared by the benchmark and the load test."""
    scale = scale or scale_from()
    _use_bench_database(scale)
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

    from placements.models import PlacementRequest
    from providers.models import Unit

    call_command("migrate", "--no-input", verbosity=0)
    if not PlacementRequest.objects.filter(social_worker__username__startswith="scale.").exists():
        print(
            f"[bench] generating {scale.requests} requests, {scale.municipalities} "
            f"municipalities, {scale.years} years, {scale.units} units ({scale.name} scale, "
            "once per bench database) …",
            flush=True,
        )
        call_command(
            "generate_scale",
            municipalities=scale.municipalities,
            years=scale.years,
            requests=scale.requests,
            units=scale.units,
            controls=scale.followup,
            signals=scale.followup,
            feedback=scale.followup,
            history=scale.history,
        )
    return (
        f"{_n(PlacementRequest.objects.count())} placement requests in {scale.municipalities} "
        f"municipalities over {scale.years} years, {_n(Unit.objects.count())} units "
        f"(`manage.py generate_scale`, {scale.name} scale)"
    )


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


# Sections of the file others keep (`<!-- name:start -->` … `<!-- name:end -->`): the load
# test's, written by `make loadtest`, and the test suite's timings, kept by hand.
KEPT_SECTION = re.compile(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", re.DOTALL)


def write_report(text: str, path: Path) -> None:
    """Write the report to `path`, keeping the sections others keep in the file there."""
    kept = ""
    if path.exists():
        kept = "".join(f"\n{m.group(0)}\n" for m in KEPT_SECTION.finditer(path.read_text()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + kept)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.bench",
        description="Time Spink's pages against their SQL floors on a bench database.",
    )
    parser.add_argument(
        "--scale",
        choices=list(SCALES),
        default=os.environ.get("BENCH_SCALE") or "regional",
        help="how much data the bench database gets (env BENCH_SCALE; default regional)",
    )
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY") or None,
        help="only benchmarks whose group or name contains this text (env BENCH_ONLY)",
    )
    parser.add_argument("--runs", type=int, default=None, help="requests per page (env BENCH_RUNS)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("BENCH_OUT") or BENCHMARKS),
        help="the report to write (env BENCH_OUT; default BENCHMARKS.md)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="use exactly this database (env BENCH_DATABASE_URL; default <name>_bench…)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    scale = scale_from(options.scale, options.runs, options.database_url)
    data = prepare(scale)
    from spink.gunicorn_conf import tune_gc

    tune_gc()  # as in every gunicorn worker, so pages are timed as they are served
    results = []
    # The regional benchmark is complete or fails; a miniature one measures what its data has.
    for scenario in scenarios(options.only, complete=scale.name == "regional"):
        result = measure(scenario, scale.runs)
        results.append(result)
        print(
            f"[bench] {scenario.name}: p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, "
            f"{result.queries} queries",
            flush=True,
        )
    write_report(report(results, data, scale), options.out)
    print(f"[bench] wrote {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
