"""Start-up configuration: bad values stop Spink with a message that says what to fix."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "p" * 20 + "-production-secret-for-the-deploy-check-0123456789",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "spink.example.se",
    "DATABASE_URL": "postgres://spink@127.0.0.1:5432/spink",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env_overrides: dict, data_dir: Path):
    # A clean environment: only what the test names, as on a freshly configured server.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update({"SPINK_DATA_DIR": str(data_dir), **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "at least 50 characters"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql://root@localhost/spink"}, "DATABASE_URL must point at PostgreSQL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL must start with redis://"),
        ({"DB_CONN_MAX_AGE": "sixty"}, "DB_CONN_MAX_AGE='sixty' is not a whole number"),
        ({"DB_WORK_MEM": "lots"}, "DB_WORK_MEM must look like 32MB"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_clear_error(tmp_path, overrides, message):
    result = manage("check", env_overrides={**PRODUCTION, **overrides}, data_dir=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_deploy_check_reports_nothing_with_production_settings(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "DEBUG", env_overrides=PRODUCTION, data_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_collectstatic_with_production_settings_writes_the_manifest(tmp_path):
    # The manifest storage follows every reference in CSS and JavaScript (source maps too):
    # a vendored file pointing at a missing file would break every deployment's build.
    static_root = tmp_path / "static"
    result = manage(
        "collectstatic",
        "--no-input",
        env_overrides={**PRODUCTION, "STATIC_ROOT": str(static_root)},
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    # Pages name the hashed files only: those are kept and compressed, the originals are not.
    stylesheet = static_root / manifest["css/spink.css"]
    assert stylesheet.exists()
    assert stylesheet.with_name(stylesheet.name + ".br").exists()
    assert stylesheet.with_name(stylesheet.name + ".gz").exists()
    assert not (static_root / "css" / "spink.css").exists()


def test_gunicorn_accepts_the_production_configuration(tmp_path):
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update({"SPINK_DATA_DIR": str(tmp_path), "WEB_CONCURRENCY": "7", **PRODUCTION})
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "--print-config"]
        + ["--config", "python:spink.gunicorn_conf", "spink.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^workers\s*=\s*7$", result.stdout, re.MULTILINE)  # our module was read
