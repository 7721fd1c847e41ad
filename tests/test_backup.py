"""`python -m ops.backup`: a backup restores into a fresh database with the same rows and files.

Everything runs for real: scratch databases on the test run's PostgreSQL server (migrated and
filled by a Spink process of their own), the real command line in subprocesses, pg_dump and
pg_restore. The Django test database is not used.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from ops.backup import _embedded_bin_dir

ROOT = Path(__file__).resolve().parent.parent

# Migrates the scratch database and writes a few records through Spink's own code: a
# submitted placement request (timeline and tally triggers), a published unit with a service
# and a permit, and a control with two evidence files stored by the FileField.
SEED = """
import os, sys
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.management import call_command
call_command("migrate", verbosity=0)
from followup.models import Control, ControlCheck
from tests import factories
worker = factories.social_worker()
factories.submitted_request(worker)
unit = factories.published_unit()
control = Control.objects.create(provider=unit.provider, created_by=worker)
for kind, name, data in [
    (ControlCheck.Kind.CREDIT, "kreditupplysning.pdf", bytes.fromhex(sys.argv[1])),
    (ControlCheck.Kind.F_TAX, "f-skatt å.pdf", b"%PDF-1.4 F-skattsedel"),
]:
    check = ControlCheck(control=control, kind=kind, note="Kontrollerad")
    check.evidence.save(name, ContentFile(data), save=True)
"""


def _server() -> dict[str, str]:
    """Connection parameters of the server the test run uses (embedded or DATABASE_URL)."""
    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or "5432"),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
    }
    return {key: value for key, value in params.items() if value}


def _url(name: str) -> str:
    server = _server()
    password = f":{server['password']}" if "password" in server else ""
    credentials = server.get("user", "") + password
    return f"postgres://{credentials}@{server.get('host', '')}:{server['port']}/{name}"


def _connect(name: str) -> psycopg.Connection:
    return psycopg.connect(dbname=name, autocommit=True, **_server())


def _database_exists(name: str) -> bool:
    with _connect("postgres") as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def _drop(name: str) -> None:
    with _connect("postgres") as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _snapshot(name: str) -> dict[str, tuple]:
    """Every table's row count and a digest of all its rows, and every sequence's position."""
    with _connect(name) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        result: dict[str, tuple] = {}
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} t"
            ).format(sql.Identifier(table))
            result[table] = tuple(conn.execute(query).fetchone())
        for sequence, last_value in conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ):
            result[f"sequence {sequence}"] = (last_value,)
    return result


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _backup_command(*args: str, database: str, media: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(database), "MEDIA_ROOT": str(media)}
    return subprocess.run(
        [sys.executable, "-m", "ops.backup", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _created_archive(result: subprocess.CompletedProcess) -> Path:
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("Backup: "))
    return Path(line.removeprefix("Backup: ").rsplit(" (", 1)[0])


@dataclass
class Source:
    database: str
    media: Path
    archive: Path
    rows: dict[str, tuple]
    files: dict[str, bytes]
    prefix: str


@pytest.fixture(scope="module")
def source(tmp_path_factory, migrated_template) -> Source:
    prefix = f"spink_backup_{uuid.uuid4().hex[:8]}"
    database = f"{prefix}_source"
    work = tmp_path_factory.mktemp("backup")
    media = work / "media"
    # A copy of the test run's migrated template, when there is one: SEED's migrate then has
    # nothing left to do (tests/db_support.py).
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
    if migrated_template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(migrated_template))
    with _connect("postgres") as conn:
        conn.execute(create)
    try:
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, os.urandom(4096).hex()],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "spink.settings",
                "DATABASE_URL": _url(database),
                "MEDIA_ROOT": str(media),
            },
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
        archive = _created_archive(
            _backup_command("create", "--output", str(work / "out"), database=database, media=media)
        )
        yield Source(database, media, archive, _snapshot(database), _files(media), prefix)
    finally:
        with _connect("postgres") as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"]
                )
            ]
        for name in names:
            _drop(name)


def test_the_seeded_source_has_rows_and_uploaded_files_to_back_up(source):
    assert source.rows["placements_placementrequest"][0] == 1
    assert source.rows["followup_controlcheck"][0] == 2
    assert source.rows["providers_unit"][0] >= 1
    assert source.rows["categories_service"][0] > 0  # loaded by a migration
    assert len(source.files) == 2
    assert source.archive.stat().st_mode & 0o077 == 0  # person data: owner only


def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_and_files(source, tmp_path):
    target = f"{source.prefix}_fresh"
    media = tmp_path / "restored-media"

    result = _backup_command(
        "restore",
        str(source.archive),
        "--target-database",
        _url(target),
        "--media-dir",
        str(media),
        database=source.database,
        media=source.media,
    )

    assert result.returncode == 0, result.stderr
    assert f"Created database {target}" in result.stdout
    assert _snapshot(target) == source.rows
    assert _files(media) == source.files


def test_a_backup_by_the_embedded_pg_dump_restores_into_the_server_of_the_test_run(
    source, tmp_path
):
    """The embedded pg_dump is PostgreSQL 18; on an older server its pg_restore would set
    transaction_timeout, which the restore must leave out."""
    created = _backup_command(
        "create",
        "--output",
        str(tmp_path / "out"),
        "--pg-bin",
        str(_embedded_bin_dir()),
        database=source.database,
        media=source.media,
    )
    archive = _created_archive(created)
    assert "pg_dump 18." in created.stdout
    target = f"{source.prefix}_embedded"

    result = _backup_command(
        "restore",
        str(archive),
        "--target-database",
        _url(target),
        "--media-dir",
        str(tmp_path / "media"),
        database=source.database,
        media=source.media,
    )

    assert result.returncode == 0, result.stderr
    assert _snapshot(target) == source.rows
    assert _files(tmp_path / "media") == source.files


def test_restore_refuses_an_archive_whose_dump_was_altered_and_changes_nothing(source, tmp_path):
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(source.archive) as original, tarfile.open(tampered, "w") as copy:
        for member in original:
            data = original.extractfile(member).read()
            if member.name == "database.dump":
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            copy.addfile(member, io.BytesIO(data))
    target = f"{source.prefix}_tampered"

    result = _backup_command(
        "restore",
        str(tampered),
        "--target-database",
        _url(target),
        "--media-dir",
        str(tmp_path / "media"),
        database=source.database,
        media=source.media,
    )

    assert result.returncode == 1
    assert "checksum mismatch: database.dump" in result.stderr
    assert not _database_exists(target)
    assert not (tmp_path / "media").exists()


def test_restore_refuses_a_database_with_tables_unless_told_yes(source):
    result = _backup_command(
        "restore", str(source.archive), database=source.database, media=source.media
    )

    assert result.returncode == 2
    assert f"database {source.database} on" in result.stderr
    assert "is not empty" in result.stderr
    assert "--yes" in result.stderr
    assert _snapshot(source.database) == source.rows


def test_restore_with_yes_puts_back_the_rows_and_files_of_the_backup(source):
    with _connect(source.database) as conn:
        conn.execute("UPDATE providers_provider SET legal_name = 'Ändrat AB'")
        conn.execute("DELETE FROM placements_requesttally")
        conn.execute(
            "INSERT INTO categories_operatingform (code, name_sv, name_en, preference_rank)"
            " VALUES ('x', 'X', 'X', 999)"
        )
    evidence = next(source.media.rglob("kreditupplysning*.pdf"))
    evidence.write_bytes(b"overwritten")

    refused = _backup_command(
        "restore", str(source.archive), database=source.database, media=source.media
    )
    result = _backup_command(
        "restore", str(source.archive), "--yes", database=source.database, media=source.media
    )

    assert refused.returncode == 2
    assert "would be overwritten" in refused.stderr
    assert result.returncode == 0, result.stderr
    assert "1 written, 1 already identical" in result.stdout
    assert _snapshot(source.database) == source.rows
    assert _files(source.media) == source.files
