"""`make run`: migrate, load demo data, then run web, worker and beat until Ctrl-C.

Run inside `python -m spink.embedded run --`, which provides PostgreSQL and Redis.
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
    children = {name: subprocess.Popen(cmd) for name, cmd in processes.items()}
    print(
        f"\n[spink] Spink is running at http://{HOST}:{PORT}/  (Ctrl-C stops everything)\n",
        flush=True,
    )
    exit_code = 0
    try:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"[spink] {name} stopped (exit {child.returncode}); shutting down.")
                    exit_code = child.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
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
