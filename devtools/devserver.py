"""`make run`: migrate, load demo data, then run web, worker and beat until Ctrl-C.

Run inside `python -m devtools.embedded run --`, which provides PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

HOST = os.environ.get("SPINK_HOST", "127.0.0.1")
PORT = os.environ.get("SPINK_PORT", "8000")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def main() -> int:
    manage("migrate", "--no-input")
    manage("seed_demo")
    processes = {
        "web": [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}"],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "spink",
            "worker",
            "-l",
            "INFO",
            "--concurrency",
            "2",
        ],
        "beat": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "spink",
            "beat",
            "-l",
            "INFO",
            "--schedule",
            "/dev/null",
        ],
    }
    stop_requested = False

    def request_stop(signum, frame):
        nonlocal stop_requested
        stop_requested = True

    # Ctrl-C reaches every process of the terminal's group at once; children exiting on it
    # is a clean stop, not a crash.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    children = {name: subprocess.Popen(cmd) for name, cmd in processes.items()}
    print(
        f"\n[spink] Spink is running at http://{HOST}:{PORT}/  (Ctrl-C stops everything)\n",
        flush=True,
    )
    exit_code = 0
    while not stop_requested:
        crashed = [name for name, child in children.items() if child.poll() is not None]
        if crashed:
            time.sleep(0.5)  # a Ctrl-C may be on its way; let the handler run first
            if not stop_requested:
                print(f"[spink] {', '.join(crashed)} stopped unexpectedly; shutting down.")
                exit_code = 1
            break
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    print("[spink] stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
