"""The load test's virtual users, and the runner of one load-test stage.

`make loadtest` (devtools/loadtest.py) runs this file once per stage as a script:

    python -P devtools/locustfile.py --host URL --users N --spawn-rate R --seconds S --out FILE

It also works as an ordinary locustfile (`locust -f devtools/locustfile.py`) against a server
that devtools/loadtest.py has prepared. Either way it reads the accounts and the records to
visit from the JSON file named by LOADTEST_CONFIG, which devtools/loadtest.py writes.

It must not import Django or anything from Spink: locust patches the standard library for
gevent when it is imported, which has to happen before anything else opens sockets or
threads (hence `python -P`, which keeps spink/ and its celery.py off sys.path).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# Locust first: importing it patches the standard library for gevent.
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import RequestStats, StatsEntry

# isort: split
import gevent
import psutil

# A person reads a page for 10–60 s; a virtual user waits 1–3 s, so one virtual user stands
# for several real ones and the stage's user count is a conservative stand-in.
THINK_TIME = between(1, 3)
# Time to wait for every virtual user's login before a stage gives up.
LOGIN_TIMEOUT = 120.0

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _load_config() -> dict[str, Any]:
    path = os.environ.get("LOADTEST_CONFIG")
    if not path:
        # Imported by locust's own command line without `make loadtest`'s preparation.
        raise SystemExit("LOADTEST_CONFIG is not set: run the load test with `make loadtest`.")
    return json.loads(Path(path).read_text())


CONFIG = _load_config()

# Virtual users that have finished their login attempt (so that a stage measures only once
# every one of them is browsing), and those whose login succeeded.
ready_users = 0
logged_in_users = 0


# Virtual users of one role take the role's accounts in turn, so that each account is used.
ACCOUNTS = {role: itertools.cycle(accounts) for role, accounts in CONFIG["accounts"].items()}


class SpinkUser(FastHttpUser):
    """A signed-in user of one role: logs in once through the login form, then browses."""

    abstract = True
    wait_time = THINK_TIME
    label = ""  # for the report
    role = ""  # key of the role's accounts in the configuration

    def on_start(self) -> None:
        global ready_users, logged_in_users
        self.account: dict[str, Any] = next(ACCOUNTS[self.role])
        try:
            self._log_in(self.account["username"])
            logged_in_users += 1
        finally:
            ready_users += 1

    def _log_in(self, username: str) -> None:
        """Log in as a browser does: GET the form for its CSRF token, POST it back."""
        with self.client.get(
            "/login/", name="login: form", allow_redirects=False, catch_response=True
        ) as response:
            match = CSRF_INPUT.search(response.text or "")
            if response.status_code != 200 or not match:
                response.failure(f"HTTP {response.status_code}, no CSRF token")
        if match is None:
            raise StopUser()
        with self.client.post(
            "/login/",
            name="login: submit",
            data={
                "csrfmiddlewaretoken": match.group(1),
                "username": username,
                "password": CONFIG["password"],
                "next": "/",
            },
            headers={"Referer": f"{self.host}/login/"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Success redirects to the start page; a wrong password answers the form again
            # (200), an axes lockout with an error status.
            location = response.headers.get("Location", "") if response.headers else ""
            refused = response.status_code != 302 or "/login/" in location
            if refused:
                response.failure(f"login as {username} refused (HTTP {response.status_code})")
        if refused:
            raise StopUser()
        self.page("/", "start page (after login)")

    def page(self, url: str, name: str, headers: dict[str, str] | None = None) -> None:
        """GET a page; anything but 200 counts as an error (a redirect to the login page is
        a lost session, so redirects are not followed)."""
        with self.client.get(
            url, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class SocialWorker(SpinkUser):
    """The most numerous role: follows their administration's requests, starts new ones."""

    label = "social workers"
    weight = 10
    role = "social_worker"

    @task(4)
    def my_requests(self) -> None:
        self.page("/requests/", "social worker: my requests")

    @task(4)
    def request_detail(self) -> None:
        pk = random.choice(self.account["requests"])
        self.page(f"/requests/{pk}/", "social worker: request detail")

    @task(1)
    def new_request_form(self) -> None:
        self.page("/requests/new/", "social worker: new request form")


class PlacementOfficer(SpinkUser):
    """Works the team's queue and matches requests against the register."""

    label = "placement officers"
    weight = 5
    role = "placement_officer"

    @task(3)
    def work_queue(self) -> None:
        self.page("/requests/queue/", "placement officer: work queue")

    @task(4)
    def matching(self) -> None:
        pk = random.choice(self.account["requests"])
        self.page(f"/requests/{pk}/", "placement officer: request with matching")

    @task(1)
    def matching_all(self) -> None:
        pk = random.choice(self.account["requests"])
        self.page(f"/requests/{pk}/?matches=all", "placement officer: all matches")

    @task(1)
    def register(self) -> None:
        self.page("/register/", "placement officer: register (matchable units)")


class QualityControl(SpinkUser):
    """Runs the register: lists, searches (as the page's htmx form does) and opens units."""

    label = "quality & control"
    weight = 3
    role = "quality_control"

    @task(2)
    def register(self) -> None:
        self.page("/register/", "quality & control: register list")

    @task(3)
    def register_search(self) -> None:
        query = urlencode({"q": random.choice(CONFIG["search_terms"])})
        self.page(
            f"/register/?{query}",
            "quality & control: register search (htmx)",
            headers={"HX-Request": "true", "HX-Target": "register-results"},
        )

    @task(2)
    def unit_detail(self) -> None:
        pk = random.choice(CONFIG["units"])
        self.page(f"/register/units/{pk}/", "quality & control: unit detail")


class Manager(SpinkUser):
    """Follows the yearly statistics, now and then for an earlier year."""

    label = "managers"
    weight = 1
    role = "manager"

    @task(2)
    def statistics(self) -> None:
        self.page("/statistics/", "manager: yearly statistics")

    @task(1)
    def statistics_other_year(self) -> None:
        year = random.choice(CONFIG["statistics_years"])
        self.page(f"/statistics/?year={year}", "manager: yearly statistics")


class ApiClient(FastHttpUser):
    """Another system reading the REST API with a token (no login form)."""

    label = "API clients"
    weight = 1
    wait_time = THINK_TIME

    def on_start(self) -> None:
        global ready_users, logged_in_users
        self.headers = {
            "Authorization": f"Token {CONFIG['api_token']}",
            "Accept": "application/json",
        }
        ready_users += 1
        logged_in_users += 1  # the token is its login

    def api(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def placement_requests(self) -> None:
        self.api("/api/v1/placement-requests/", "api: placement requests")

    @task(2)
    def units(self) -> None:
        self.api("/api/v1/units/", "api: units")

    @task(1)
    def units_search(self) -> None:
        query = urlencode({"q": random.choice(CONFIG["search_terms"])})
        self.api(f"/api/v1/units/?{query}", "api: units search")


USER_CLASSES: list[type[SpinkUser] | type[ApiClient]] = [
    SocialWorker,
    PlacementOfficer,
    QualityControl,
    Manager,
    ApiClient,
]


# --- One stage, run as a script --------------------------------------------------------------


def _row(entry: StatsEntry, seconds: float) -> dict[str, Any]:
    def pct(fraction: float) -> float | None:
        return entry.get_response_time_percentile(fraction) if entry.num_requests else None

    return {
        "name": entry.name,
        "method": entry.method,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.num_requests / seconds if seconds else 0.0,
        "p50": pct(0.5),
        "p95": pct(0.95),
        "max": entry.max_response_time if entry.num_requests else None,
    }


def summary(stats: RequestStats, seconds: float) -> dict[str, Any]:
    """Overall and per-page numbers, and each distinct failure with its count."""
    return {
        "seconds": seconds,
        "total": _row(stats.total, seconds),
        "pages": [_row(entry, seconds) for _key, entry in sorted(stats.entries.items())],
        "failures": [
            {
                "method": error.method,
                "name": error.name,
                "error": str(error.error),
                "occurrences": error.occurrences,
            }
            for error in stats.errors.values()
        ],
    }


def run_stage(host: str, users: int, spawn_rate: float, seconds: float, settle: float) -> dict:
    """Spawn `users`, wait until all have logged in and `settle` more seconds (ramp-up), then
    measure for `seconds` with fresh statistics."""
    environment = Environment(user_classes=USER_CLASSES, host=host, events=events)
    runner = environment.create_local_runner()
    try:
        runner.start(users, spawn_rate=spawn_rate)
        deadline = time.monotonic() + users / spawn_rate + LOGIN_TIMEOUT
        while ready_users < users and time.monotonic() < deadline:
            gevent.sleep(0.2)
        gevent.sleep(settle)
        ramp_up = summary(environment.stats, 0.0)
        counts = runner.user_classes_count
        per_role = {user.label: counts.get(user.__name__, 0) for user in USER_CLASSES}
        print(f"[loadtest] {users} users ready {per_role}; measuring {seconds:.0f} s", flush=True)

        environment.stats.reset_all()
        psutil.cpu_percent()  # starts the machine-wide CPU measurement of the window
        started = time.monotonic()
        gevent.sleep(seconds)
        measured = summary(environment.stats, time.monotonic() - started)
        cpu_busy = psutil.cpu_percent()
        return {
            "users": users,
            "users_started": runner.user_count,
            "ready": ready_users,
            "logged_in": logged_in_users,
            "per_role": per_role,
            "spawn_rate": spawn_rate,
            "settle": settle,
            "cpu_busy": cpu_busy,
            # Locust warns when its own process is near a full core: then the numbers measure
            # the load generator as much as the server.
            "generator_saturated": runner.cpu_warning_emitted,
            "ramp_up": ramp_up,
            "measured": measured,
        }
    finally:
        runner.quit()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run one load-test stage against Spink.")
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args(argv)
    result = run_stage(
        options.host, options.users, options.spawn_rate, options.seconds, options.settle
    )
    options.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
