"""Property-based fuzzing of the whole API with schemathesis: every operation of the schema
the app publishes (generated in-process by drf-spectacular, as /api/schema/ serves it),
called through Django's WSGI application with the token of an administrator, a placement
officer and a social worker, and checked with all of schemathesis's checks: no 5xx, every
status code, content type, header and body as the schema says, schema-violating input
refused, authentication enforced.

The examples are derandomized (the same requests on every run) and few per operation, so
that the whole file takes about a minute. Deeper runs: more examples (FUZZ_EXAMPLES=100),
the coverage phase for every role (FUZZ_COVERAGE=all), other examples on every run
(FUZZ_RANDOM=1).
"""

from __future__ import annotations

import collections
import functools
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from tests.api.support import World, rolled_back_world

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# The coverage phase sends each operation its boundary and invalid values systematically
# (NUL characters, huge and negative numbers, wrong types, missing fields), ~60 requests an
# operation. The administrator may call every operation, so the administrator's run reaches
# every validation; the other roles get the random phases (FUZZ_COVERAGE=all for all).
COVERAGE_ROLES = (
    {"administrator", "placement_officer", "social_worker"}
    if os.environ.get("FUZZ_COVERAGE") == "all"
    else {"administrator"}
)
# Each role's API token, fixed for the module: schemathesis sends it as configured auth, so
# that its auth checks know the requests are authenticated and probe without it.
TOKENS = {
    role: secrets.token_hex(20) for role in ("administrator", "placement_officer", "social_worker")
}


@functools.cache
def published_schema() -> str:
    """The document /api/schema/ serves, as JSON (lazy translations rendered)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiJsonRenderer().render(document).decode()


# The world's records per collection of the API, filled in when the world is built: half of
# the generated requests for `/<collection>/{id}/…` take one of them instead of a random id,
# so that the fuzzer reads and changes real records (random ids are almost never found).
REAL_IDS: dict[str, list[int]] = {}
_turns: collections.Counter[str] = collections.Counter()


def real_ids(world: World) -> dict[str, list[int]]:
    ids = world.ids
    return {
        "agreements": [ids["agreement"]],
        "category-plans": [ids["plan"]],
        "controls": [ids["control"]],
        "deep-controls": [ids["deep_control"]],
        "feedback": [ids["feedback"]],
        "monitoring-runs": [ids["run"]],
        "org-units": [ids["org_unit"]],
        "placement-requests": [ids["draft"], ids["submitted"], ids["in_matching"]],
        "providers": [ids["provider"]],
        "services": [ids["service"]],
        "signals": [ids["signal"]],
        "site-visits": [ids["site_visit"]],
        "units": [ids["unit"], ids["direct_unit"]],
    }


def map_case(context, case):
    """Every other case of an operation on one record gets a real record's id (not where
    the id itself is the invalid part of a negative case)."""
    parameters = case.path_parameters or {}
    collection = case.operation.path.split("/")[3]
    ids = REAL_IDS.get(collection)
    if not ids or "id" not in parameters:
        return case
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return case
    turn = _turns[case.operation.label]
    _turns[case.operation.label] += 1
    if turn % 2:
        parameters["id"] = ids[(turn // 2) % len(ids)]
    return case


def schema_for(role: str) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"tokenAuth": {"api_key": f"Token {TOKENS[role]}"}}},
            "generation": {"max-examples": EXAMPLES},
            "checks": {
                # A schema cannot say which ids exist, nor which workflow step a record is
                # ready for: a schema-valid request may still be refused with a 400 (field
                # errors for records that do not exist, {detail, code} for rules). It must
                # still never be refused for its form (405, 406, 413, 415, 422).
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
                },
            },
            # Requests that make sense in sequence (create, then read) are the stateful
            # phase's business; this suite fuzzes each operation on its own.
            "phases": {
                "stateful": {"enabled": False},
                "coverage": {"enabled": role in COVERAGE_ROLES},
            },
        }
    )
    schema = schemathesis.openapi.from_dict(json.loads(published_schema()), config=config)
    schema.app = APPLICATION
    schema.hook(map_case)
    return schema


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The records the fuzzer finds, for the whole module; the fuzzer's changes are rolled
    back after each operation (tests.api.support.rolled_back_world)."""
    with (
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        rolled_back_world(django_db_blocker, tokens=TOKENS) as world,
    ):
        REAL_IDS.update(real_ids(world))
        try:
            yield world
        finally:
            REAL_IDS.clear()


class Application:
    """Django's WSGI application, as gunicorn runs it, built at the first request (after the
    test settings are in place: middleware reads some settings when it is built). Like
    Django's test client, it must not close the test's database connection after each
    request."""

    def __init__(self) -> None:
        self.handler: WSGIHandler | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.handler is None:
            self.handler = WSGIHandler()
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            return self.handler(environ, start_response)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


APPLICATION = Application()


def fuzz(case) -> None:
    # The fuzzer sends far more requests a minute than the per-user rate allows; throttling
    # is tested on its own (test_input_classes.py).
    cache.clear()
    # A savepoint per request: a database error the API swallowed would leave the test's
    # transaction aborted, and it must fail this example, not the next one.
    with transaction.atomic():
        case.call_and_validate()


def fuzz_test(role: str) -> Callable:
    schema = schema_for(role)

    @schema.parametrize()
    @settings(
        deadline=None,
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    def test(case, world: World) -> None:
        fuzz(case)

    test.__name__ = test.__qualname__ = f"test_api_as_{role}"
    test.__doc__ = f"Every operation, fuzzed with a {role.replace('_', ' ')}'s token."
    return test


test_api_as_administrator = fuzz_test("administrator")
test_api_as_placement_officer = fuzz_test("placement_officer")
test_api_as_social_worker = fuzz_test("social_worker")
