"""`make loadtest`: mixed-role virtual users against gunicorn, at 10 and then 50 at once.

Uses the benchmark's database (`devtools.bench.prepare()`: `<name>_bench`, filled to regional
scale), starts gunicorn on 127.0.0.1 with production settings, runs each stage of
devtools/locustfile.py in a process of its own and writes the results into BENCHMARKS.md between
the load-test markers, leaving the rest of the file alone. Not part of `make test`: load is
measured, never asserted inside a test (tests/devtools runs it in miniature only to see that it
works). Run it on a quiet machine.

Environment: LOADTEST_SECONDS (measured seconds per stage, default 60), LOADTEST_SPAWN_RATE
(new users per second during ramp-up, default 5), LOADTEST_WORKERS (gunicorn workers, default
2 × cores + 1), LOADTEST_USERS (the stages, default "10,50"), LOADTEST_SETTLE (seconds after
the last login before measuring, default 5), LOADTEST_IDLE_SECONDS (the quiet-machine check
before the load, default 5), LOADTEST_OUT (the report, default BENCHMARKS.md), LOADTEST_JSON
(also the raw results, as JSON), LOADTEST_UNCOMPRESSED_STATIC=1 (collectstatic without the
compressed copies: seconds instead of minutes; the virtual users never request static files),
and those of `make bench` (BENCH_SCALE, BENCH_DATABASE_URL,
BENCH_* sizes, DATABASE_URL, REDIS_URL). Each has a command-line option; in miniature:

    python -m devtools.loadtest --scale tiny --users 2 --seconds 3 --uncompressed-static \\
        --out /tmp/load.md
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from spink import gunicorn_conf

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
START_MARKER = "<!-- load-test:start -->"
END_MARKER = "<!-- load-test:end -->"

STAGES = (10, 50)
SECONDS = 60.0
SPAWN_RATE = 5.0
# After the last login, so that every worker has served every page once before measuring.
SETTLE_SECONDS = 5.0
# How long the machine's CPU is watched, idle, before the load.
IDLE_SECONDS = 5.0
TARGET_USERS = 50
TARGET_P95_MS = 500.0
# Records each virtual user picks from: a person's recent cases, not the whole database.
PICK = 20
# `make run`'s web server and another checkout's embedded PostgreSQL and Redis.
RESERVED_PORTS = {8000, 54329, 63799}
HOST = "127.0.0.1"
# Machine CPU busy % before the load above which the report warns that others are running.
QUIET_CPU = 20.0


def cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Options:
    stages: tuple[int, ...] = STAGES
    seconds: float = SECONDS
    spawn_rate: float = SPAWN_RATE
    settle: float = SETTLE_SECONDS
    idle_seconds: float = IDLE_SECONDS
    # The production rule (spink/gunicorn_conf.py) unless told otherwise.
    workers: int = gunicorn_conf.workers
    out: Path = BENCHMARKS
    json_out: Path | None = None
    # Without whitenoise's compressed copies: seconds instead of a minute or two, and the same
    # for what is measured (the virtual users request pages, never static files).
    compress_static: bool = True


def _stages(text: str) -> tuple[int, ...]:
    try:
        stages = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        stages = ()
    if not stages or min(stages) < 1:
        raise argparse.ArgumentTypeError(f"not a list of user counts: {text!r}")
    return stages


def parse_args(argv: list[str] | None = None) -> tuple[Options, argparse.Namespace]:
    """The load test's options (command line first, then LOADTEST_*), and the bench's."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m devtools.loadtest",
        description="Load Spink's production-shaped server with mixed-role virtual users.",
    )
    parser.add_argument(
        "--users",
        type=_stages,
        default=_stages(env("LOADTEST_USERS") or ",".join(map(str, STAGES))),
        help='concurrent users per stage, e.g. "10,50" or "2" (env LOADTEST_USERS)',
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(env("LOADTEST_SECONDS") or SECONDS),
        help="measured seconds per stage (env LOADTEST_SECONDS; default 60)",
    )
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=float(env("LOADTEST_SPAWN_RATE") or SPAWN_RATE),
        help="new users per second during ramp-up (env LOADTEST_SPAWN_RATE; default 5)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=float(env("LOADTEST_SETTLE") or SETTLE_SECONDS),
        help="seconds after the last login before measuring (env LOADTEST_SETTLE; default 5)",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=float(env("LOADTEST_IDLE_SECONDS") or IDLE_SECONDS),
        help="seconds the idle machine's CPU is watched first (env LOADTEST_IDLE_SECONDS)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(env("LOADTEST_WORKERS") or gunicorn_conf.workers),
        help="gunicorn workers (env LOADTEST_WORKERS; default 2 × cores + 1)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(env("LOADTEST_OUT") or BENCHMARKS),
        help="the file whose load-test section is written (env LOADTEST_OUT)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(env("LOADTEST_JSON")) if env("LOADTEST_JSON") else None,
        help="also write the raw results there (env LOADTEST_JSON)",
    )
    parser.add_argument(
        "--uncompressed-static",
        action="store_true",
        default=env("LOADTEST_UNCOMPRESSED_STATIC", "") not in ("", "0"),
        help="collect static files without compressed copies, much faster "
        "(env LOADTEST_UNCOMPRESSED_STATIC=1)",
    )
    parser.add_argument(
        "--scale",
        default=None,
        help="the bench database's scale: tiny, small or regional (env BENCH_SCALE)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="use exactly this database (env BENCH_DATABASE_URL; default <name>_bench…)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.spawn_rate <= 0 or args.workers < 1:
        parser.error("--seconds, --spawn-rate and --workers must be positive")
    options = Options(
        stages=args.users,
        seconds=args.seconds,
        spawn_rate=args.spawn_rate,
        settle=max(0.0, args.settle),
        idle_seconds=max(0.0, args.idle_seconds),
        workers=args.workers,
        out=args.out,
        json_out=args.json,
        compress_static=not args.uncompressed_static,
    )
    return options, args


# --- Data -------------------------------------------------------------------------------------


def load_test_config() -> dict[str, Any]:
    """Accounts per role and the records their virtual users visit, chosen by query from the
    bench database; sets the accounts' password there (the bench database is disposable)."""
    from axes.utils import reset as reset_axes
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from devtools.demo.accounts import DEMO_PASSWORD, USERS
    from placements import rules, selectors
    from placements.models import RequestStatus
    from providers.models import Unit
    from reporting.statistics.selectors import years_with_requests
    from spink.accounts.models import Role, User

    demo_users = list(
        User.objects.filter(username__in=[row[0] for row in USERS], is_active=True).order_by(
            "username"
        )
    )

    def of_role(role: str) -> list[User]:
        return [user for user in demo_users if user.role == role]

    social_workers = []
    for user in of_role(Role.SOCIAL_WORKER):
        # The newest requests, as on top of the worker's own list.
        requests = list(
            selectors.visible_requests(user)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[:PICK]
        )
        if requests:  # a worker whose administration has no requests has no detail to open
            social_workers.append({"username": user.username, "requests": requests})

    placement_officers = []
    for user in of_role(Role.PLACEMENT_OFFICER):
        open_requests = selectors.work_queue(user).filter(
            status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_MATCHING]
        )
        # HVB has the most candidates in the register: the heaviest matching there is.
        hvb = list(open_requests.filter(service__code="hvb")[:PICK])
        # Requests whose page shows this officer the matches: the product's own rule.
        matchable = [
            request.pk
            for request in hvb or list(open_requests[:PICK])
            if rules.shows_matching(user, request)
        ]
        if matchable:
            placement_officers.append({"username": user.username, "requests": matchable})

    quality_control = [{"username": user.username} for user in of_role(Role.QUALITY_CONTROL)]
    managers = of_role(Role.MANAGER)
    accounts = {
        "social_worker": social_workers,
        "placement_officer": placement_officers,
        "quality_control": quality_control,
        "manager": [{"username": user.username} for user in managers],
    }
    missing = [role for role, found in accounts.items() if not found]
    if missing:
        raise RuntimeError(f"The bench database has no usable demo account for: {missing}")
    if not any(account["username"] == "placering.barn" for account in placement_officers):
        raise RuntimeError("The bench data has no open HVB request for placering.barn to match.")

    # Units spread over the register, and the words of their names as search terms.
    units = list(Unit.objects.order_by("pk").values_list("pk", "name"))
    units = units[:: max(1, len(units) // (PICK * 10))][: PICK * 10]
    words = sorted({word for _pk, name in units for word in name.split()[:2] if word.isalpha()})

    # One hash for all the accounts: hashing is deliberately slow.
    usernames = [account["username"] for group in accounts.values() for account in group]
    User.objects.filter(username__in=usernames).update(password=make_password(DEMO_PASSWORD))
    # A lockout left by an earlier, interrupted run would refuse every login of this one.
    reset_axes()
    api_user = User.objects.get(username=placement_officers[0]["username"])
    token, _created = Token.objects.get_or_create(user=api_user)

    return {
        "password": DEMO_PASSWORD,
        "accounts": accounts,
        "units": [pk for pk, _name in units],
        "search_terms": words[:PICK],
        # The page defaults to the latest year; managers also look back.
        "statistics_years": years_with_requests(managers[0]) or [time.localtime().tm_year],
        "api_token": token.key,
        "api_user": api_user.username,
    }


# --- Server -----------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now (the kernel's pick), never one of RESERVED_PORTS."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def server_environment(static_root: Path) -> dict[str, str]:
    """Production settings (as docker-compose.yml sets them) for the bench database."""
    from django.conf import settings

    return {
        **os.environ,  # DATABASE_URL of the bench database (set by prepare()), REDIS_URL, …
        "DEBUG": "0",
        "SPINK_DEMO": "0",
        # The same keys as the data was seeded with: unique-person hashes stay comparable.
        "SECRET_KEY": settings.SECRET_KEY,
        "PERSON_KEY_SECRET": settings.PERSON_KEY_SECRET,
        "ALLOWED_HOSTS": HOST,
        # Production terminates TLS in a proxy in front of gunicorn; on plain-HTTP loopback,
        # secure-only cookies would never come back, so HTTPS redirect and secure cookies are
        # off. What is left out costs the server nothing measurable (a header and a flag).
        "SPINK_HTTPS": "0",
        "STATIC_ROOT": str(static_root),
    }


def _die_with_parent() -> None:
    """In a child before it starts: have Linux send it SIGTERM if this process dies, even by
    SIGKILL, so that no gunicorn outlives an interrupted load test."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start(command: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """A child in a session of its own, so that Ctrl-C reaches only this process, which then
    stops the child in order (gunicorn: gracefully)."""
    output = log.open("ab") if log else None
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
        start_new_session=True,
        # Not thread-safe in general; this process starts no threads.
        preexec_fn=_die_with_parent,
    )


def stop(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM, then SIGKILL to the child's process group if it has not exited in `grace` s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the group id is its pid
        process.wait()


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int, timeout: float = 60.0) -> Iterator[str]:
    """gunicorn as the Dockerfile starts it, on a free loopback port; yields its base URL once
    /healthz answers 200 and the login page renders, and always stops it afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "spink.wsgi:application",
        "--config",
        "python:spink.gunicorn_conf",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
    ]
    process = start(command, env, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
            try:
                if _get(port, "/healthz") == 200:
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"/healthz did not answer 200 in {timeout:.0f} s:\n{_tail(log)}")
            time.sleep(0.3)
        # The login page needs the static manifest: a broken collectstatic shows here.
        if (status := _get(port, "/login/")) != 200:
            raise RuntimeError(f"/login/ answered {status}:\n{_tail(log)}")
        print(f"[loadtest] gunicorn: {workers} workers on http://{HOST}:{port}", flush=True)
        yield f"http://{HOST}:{port}"
    finally:
        # Graceful: workers finish their requests (gunicorn's graceful timeout is 30 s).
        stop(process, grace=40)
        print("[loadtest] gunicorn stopped", flush=True)


# --- Stages -----------------------------------------------------------------------------------


def run_stage(
    url: str, users: int, config: Path, workdir: Path, options: Options
) -> dict[str, Any]:
    """One stage in a process of its own: locust's gevent patching must come before any other
    import, which this process (Django, psycopg) is long past."""
    out = workdir / f"stage-{users}.json"
    command = [
        sys.executable,
        "-P",  # keeps spink/ (and its celery.py, settings.py …) off the child's sys.path
        str(ROOT / "devtools" / "locustfile.py"),
        "--host",
        url,
        "--users",
        str(users),
        "--spawn-rate",
        str(options.spawn_rate),
        "--seconds",
        str(options.seconds),
        "--settle",
        str(options.settle),
        "--out",
        str(out),
    ]
    print(f"[loadtest] {users} users: ramping up at {options.spawn_rate:g}/s", flush=True)
    process = start(command, {**os.environ, "LOADTEST_CONFIG": str(config)})
    limit = users / options.spawn_rate + 120 + options.settle + options.seconds + 60
    try:
        returncode = process.wait(timeout=limit)
    finally:
        stop(process, grace=10)
    if returncode != 0:
        raise RuntimeError(f"the {users}-user stage failed (exit {returncode})")
    result = json.loads(out.read_text())
    total = result["measured"]["total"]
    print(
        f"[loadtest] {users} users: {total['rps']:.1f} req/s, p50 {total['p50']} ms, "
        f"p95 {total['p95']} ms, {total['failures']} errors "
        f"({result['ramp_up']['total']['failures']} during ramp-up)",
        flush=True,
    )
    return result


def background_cpu(seconds: float = IDLE_SECONDS) -> float:
    """Machine-wide CPU busy % with the server idle: what else runs here skews the stages."""
    import psutil  # locust's dependency

    psutil.cpu_percent()
    time.sleep(max(seconds, 0.1))
    busy = psutil.cpu_percent()
    note = " — the machine is not quiet: expect slower numbers" if busy > QUIET_CPU else ""
    print(f"[loadtest] machine CPU busy before the load: {busy:.0f} %{note}", flush=True)
    return busy


# collectstatic with the manifest but without the compressed copies (whitenoise's storage reads
# the same staticfiles.json and serves the files uncompressed).
UNCOMPRESSED_COLLECTSTATIC = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
call_command("collectstatic", "--no-input", verbosity=0)
"""


def collect_static(env: dict[str, str], compress: bool = True) -> None:
    """whitenoise's manifest storage serves only what collectstatic wrote."""
    command = (
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"]
        if compress
        else [sys.executable, "-c", UNCOMPRESSED_COLLECTSTATIC]
    )
    subprocess.run(
        command,
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "spink.settings", **env},
        check=True,
    )


# --- Report -----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _errors(result: dict[str, Any]) -> int:
    return result["ramp_up"]["total"]["failures"] + result["measured"]["total"]["failures"]


def _slowest(result: dict[str, Any]) -> dict[str, Any]:
    return max(result["measured"]["pages"], key=lambda row: row["p95"] or 0)


def _verdict(result: dict[str, Any]) -> str:
    """The target applies to the 50-user stage only."""
    if result["users"] != TARGET_USERS:
        return "–"
    p95 = result["measured"]["total"]["p95"] or 0
    errors = _errors(result)
    return (
        f"p95 < {TARGET_P95_MS:.0f} {'✓' if p95 < TARGET_P95_MS else '✗'}, "
        f"zero errors {'✓' if errors == 0 else '✗'}"
    )


def _stage_section(result: dict[str, Any]) -> list[str]:
    measured, ramp_up = result["measured"], result["ramp_up"]
    roles = ", ".join(f"{name} {count}" for name, count in result["per_role"].items())
    lines = [
        f"### {result['users']} concurrent users",
        "",
        f"Virtual users: {roles}; {result['logged_in']} of {result['users']} logged in. "
        f"Machine CPU busy during the measurement: {result['cpu_busy']:.0f} %.",
    ]
    if result["generator_saturated"]:
        lines.append(
            "**The load generator used a full core: the numbers measure it as much as Spink.**"
        )
    lines += [
        "",
        "| page | requests | req/s | p50 | p95 | max | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    # Entries with no request in the window (the logins) are left out.
    pages = [row for row in measured["pages"] if row["requests"]]
    for row in [{**measured["total"], "name": "**all pages**"}, *pages]:
        lines.append(
            f"| {row['name']} | {row['requests']} | {row['rps']:.1f} | {_ms(row['p50'])} | "
            f"{_ms(row['p95'])} | {_ms(row['max'])} | {row['failures']} |"
        )
    logins = next((r for r in ramp_up["pages"] if r["name"] == "login: submit"), None)
    if logins:
        lines += [
            "",
            f"Ramp-up: {logins['requests']} logins through the form, p50 {_ms(logins['p50'])} "
            f"ms, p95 {_ms(logins['p95'])} ms (password hashing is deliberately slow); "
            f"{ramp_up['total']['failures']} errors in all requests of the ramp-up.",
        ]
    failures = [("ramp-up", f) for f in ramp_up["failures"]] + [
        ("measured", f) for f in measured["failures"]
    ]
    if failures:
        lines += ["", "| errors: phase | page | error | count |", "|---|---|---|---|"]
        for phase, failure in failures:
            error = failure["error"][:200].replace("|", "\\|")  # a bar would end the cell
            lines.append(
                f"| {phase} | {failure['method']} {failure['name']} | {error} "
                f"| {failure['occurrences']} |"
            )
    return lines


def report(
    results: list[dict[str, Any]], data: str, idle_cpu: float, options: Options | None = None
) -> str:
    """The load-test section of BENCHMARKS.md, markers included."""
    from django.conf import settings
    from django.db import connection

    from devtools.bench import machine

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        max_connections = cursor.fetchone()[0]
    conn_max_age = settings.DATABASES["default"]["CONN_MAX_AGE"]
    options = options or Options()
    by = "`make loadtest`" if options.stages == STAGES else "`python -m devtools.loadtest`"
    lines = [
        START_MARKER,
        "## Load test",
        "",
        f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by {by}.",
        f"Machine: {machine()}; CPU {idle_cpu:.0f} % busy with other work before the load"
        + (" (**not a quiet machine**)." if idle_cpu > QUIET_CPU else "."),
        f"Server: gunicorn {version('gunicorn')}, {options.workers} sync workers "
        f"({cores()} cores), "
        "production settings (DEBUG off, whitenoise static files"
        + ("" if options.compress_static else ", without compressed copies")
        + ") over plain HTTP on loopback; "
        f"each worker keeps one database connection ({conn_max_age} s; PostgreSQL "
        f"max_connections {max_connections}). The load generator, locust {version('locust')} "
        "in one process, runs on the same machine.",
        f"Data: {data}.",
        "Virtual users: social workers, placement officers, quality & control, managers and an "
        "API client (token) in the weights 10 : 5 : 3 : 1 : 1. Each logs in once through the "
        "login form, then requests a page every 1–3 s, far more often than a person, so one "
        f"virtual user stands for several real ones. Each stage ramps up at "
        f"{options.spawn_rate:g} users/s, waits for every login and {options.settle:g} s more, "
        f"then is measured for {options.seconds:g} s. Times in milliseconds.",
        "",
        "| stage | requests/s | p50 | p95 | errors (ramp-up + measured) | slowest page (p95) "
        f"| target at {TARGET_USERS} users |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        total, slowest = result["measured"]["total"], _slowest(result)
        lines.append(
            f"| {result['users']} users | {total['rps']:.1f} | {_ms(total['p50'])} | "
            f"{_ms(total['p95'])} | {_errors(result)} | {slowest['name']} "
            f"({_ms(slowest['p95'])}) | {_verdict(result)} |"
        )
    for result in results:
        lines += ["", *_stage_section(result)]
    lines.append(END_MARKER)
    return "\n".join(lines)


def write_section(section: str, path: Path = BENCHMARKS) -> None:
    """Replace the load-test section of `path` (BENCHMARKS.md), or append it; nothing else
    changes."""
    text = path.read_text() if path.exists() else ""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start != -1 and end > start:
        text = text[:start] + section + text[end + len(END_MARKER) :]
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- Main -------------------------------------------------------------------------------------


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # `make`'s wrapper stops its child with SIGTERM: unwind, so that gunicorn is stopped too.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    options, args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    from devtools.bench import prepare, scale_from

    data = prepare(scale_from(args.scale, database_url=args.database_url))
    config = load_test_config()
    from django.db import connections

    connections.close_all()  # this process only reads again for the report
    with tempfile.TemporaryDirectory(prefix="spink-loadtest-") as tmp:
        workdir = Path(tmp)
        config_path = workdir / "config.json"
        config_path.write_text(json.dumps(config))
        env = server_environment(workdir / "static")
        collect_static(env, options.compress_static)
        log = workdir / "gunicorn.log"
        try:
            with gunicorn(env, log, options.workers) as url:
                idle_cpu = background_cpu(options.idle_seconds)
                results = [
                    run_stage(url, users, config_path, workdir, options) for users in options.stages
                ]
        except Exception:  # an interruption needs no server log
            print(f"[loadtest] gunicorn's log ends:\n{_tail(log)}", file=sys.stderr)
            raise
    write_section(report(results, data, idle_cpu, options), options.out)
    print(f"[loadtest] wrote the load-test section of {options.out}")
    if options.json_out is not None:
        options.json_out.parent.mkdir(parents=True, exist_ok=True)
        options.json_out.write_text(json.dumps(results, indent=2))
        print(f"[loadtest] wrote the results to {options.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
