"""Back up and restore Spink: the PostgreSQL database and the uploaded files, in one file.

    python -m ops.backup create [--output DIR] [--media-dir DIR] [--pg-bin DIR]
    python -m ops.backup restore FILE [--target-database URL] [--media-dir DIR] [--yes]
                                      [--pg-bin DIR]

The database is the one Spink itself uses (DATABASE_URL, else the embedded server), the
files are MEDIA_ROOT's (control evidence). A backup is one uncompressed tar file (the dump is
compressed already; evidence is mostly PDF and images), written with mode 0600:

    database.dump   pg_dump custom format (-Fc)
    media/...       every file under MEDIA_ROOT
    manifest.json   time, database, server and pg_dump versions, the applied migrations, file
                    count, and the size and sha256 of every other part (written last, so the
                    checksums are of exactly the bytes in the archive)

Restore checks every checksum before it touches anything, refuses a database that holds
tables (or uploaded files that would be overwritten with other content) unless --yes, then
runs pg_restore --clean --if-exists --no-owner --no-privileges in a single transaction and
copies the files. Exit status: 0 done, 1 error, 2 refused.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = BASE_DIR / ".data" / "backups"
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"
MANIFEST_FORMAT = 1
# transaction_timeout exists from PostgreSQL 17 on, yet pg_restore 17+ sets it on any server.
TRANSACTION_TIMEOUT_MAJOR = 17
CHUNK = 1024 * 1024

# Connection settings from Django's OPTIONS that pg_dump/pg_restore/psql must share (libpq
# environment names); the rest (work_mem, connect_timeout of the app) is Django's own.
LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """The backup or restore cannot be done; nothing was changed unless the message says so."""

    exit_status = 1


class Refused(BackupError):
    """The restore would overwrite data and --yes was not given."""

    exit_status = 2


# --- Database connection ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Database:
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    options: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> Database:
        if config.get("ENGINE") != "django.db.backends.postgresql":
            raise BackupError(f"not a PostgreSQL database: engine {config.get('ENGINE')!r}")
        if not config.get("NAME"):
            raise BackupError("the database URL names no database (…/name at the end)")
        options = config.get("OPTIONS") or {}
        return cls(
            name=str(config["NAME"]),
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            options={key: str(options[key]) for key in LIBPQ_ENV if key in options},
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        import dj_database_url

        try:
            return cls.from_settings(dj_database_url.parse(url))
        except ValueError as exc:
            raise BackupError(f"--target-database is not a database URL: {exc}") from None

    def renamed(self, name: str) -> Database:
        return dataclasses.replace(self, name=name)

    @property
    def label(self) -> str:
        """Name and server for messages; never the password."""
        return f"{self.name} on {self.host or 'the local socket'}:{self.port or 5432}"

    def env(self) -> dict[str, str]:
        """Environment for pg_dump/pg_restore/psql: the password stays off the command line
        (where `ps` shows it); what settings leave empty falls back to PG* like psycopg's."""
        env = dict(os.environ)
        for variable, value in [
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGDATABASE", self.name),
        ]:
            if value:
                env[variable] = value
        for key, value in self.options.items():
            env[LIBPQ_ENV[key]] = value
        return env

    def connect(self):
        import psycopg

        params: dict[str, Any] = {
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            **self.options,
        }
        try:
            return psycopg.connect(
                **{key: value for key, value in params.items() if value},
                autocommit=True,
                connect_timeout=10,
            )
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot connect to database {self.label}: {exc}") from None


def _server_version(db: Database) -> tuple[int, str]:
    with db.connect() as conn:
        number = int(conn.execute("SHOW server_version_num").fetchone()[0])
        text = conn.execute("SHOW server_version").fetchone()[0]
    return number // 10000, text.split()[0]


def _database_exists(db: Database) -> bool | None:
    """Whether the database exists, asked of the server's `postgres` database; None when that
    database cannot be reached (managed servers may not allow it)."""
    try:
        with db.renamed("postgres").connect() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db.name])
            return row.fetchone() is not None
    except BackupError:
        return None


def _create_database(db: Database) -> None:
    from psycopg import sql

    with db.renamed("postgres").connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))


def _relation_count(db: Database) -> int:
    """Tables, views and sequences outside PostgreSQL's own schemas."""
    with db.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
        ).fetchone()
    return int(row[0])


def _applied_migrations(db: Database) -> dict[str, list[str]]:
    with db.connect() as conn:
        if conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0] is None:
            return {}
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
        applied: dict[str, list[str]] = {}
        for app, name in rows:
            applied.setdefault(app, []).append(name)
    return applied


# --- PostgreSQL client programs -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PgTools:
    directory: Path
    major: int
    version: str

    def program(self, name: str) -> str:
        return str(self.directory / name)


def _embedded_bin_dir() -> Path | None:
    try:
        # pgserver's package import warns about XDG_RUNTIME_DIR, which is never used here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return Path(POSTGRES_BIN_PATH)


def _tools_in(directory: Path) -> PgTools | None:
    if not all((directory / name).is_file() for name in ("pg_dump", "pg_restore", "psql")):
        return None
    result = subprocess.run(
        [str(directory / "pg_dump"), "--version"], capture_output=True, text=True, check=False
    )
    match = re.search(r"(\d+)(?:\.(\d+))?", result.stdout)
    if result.returncode != 0 or match is None:
        return None
    return PgTools(directory, int(match.group(1)), match.group(0))


def available_tools(pg_bin: str | None = None) -> list[PgTools]:
    """Client program sets in order of preference: the embedded package's (PostgreSQL 18,
    which reads any older server), then PATH's, then Debian's per-version folders."""
    if pg_bin:
        tools = _tools_in(Path(pg_bin))
        if tools is None:
            raise BackupError(f"--pg-bin {pg_bin} holds no working pg_dump, pg_restore and psql")
        return [tools]
    folders = [_embedded_bin_dir()]
    on_path = shutil.which("pg_dump")
    folders.append(Path(on_path).parent if on_path else None)
    folders.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    found: list[PgTools] = []
    seen: set[Path] = set()
    for folder in folders:
        if folder is None or folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        tools = _tools_in(folder)
        if tools is not None:
            found.append(tools)
    return found


def _choose(tools: list[PgTools], server_major: int, at_least: int) -> PgTools:
    """The set of the server's own major version if it is new enough, else the newest.

    A same-version pg_dump writes an archive the server's own pg_restore can read, and a
    same-version pg_restore sets nothing the server does not know."""
    usable = [t for t in tools if t.major >= at_least]
    if not usable:
        versions = ", ".join(f"{t.version} ({t.directory})" for t in tools) or "none"
        raise BackupError(
            f"no PostgreSQL client programs of version {at_least} or newer (found: {versions});"
            " install postgresql-client or pass --pg-bin"
        )
    for t in usable:
        if t.major == server_major:
            return t
    return max(usable, key=lambda t: t.major)  # max keeps the first of equals: the preferred


# --- Files ---------------------------------------------------------------------------------


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to root in POSIX form, path) of every regular file, in sorted order;
    symbolic links are not followed (an upload is never one)."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Hashes what tarfile reads, so the manifest describes exactly the archived bytes even
    when a file changes while it is being read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as f:
        reader = _HashingReader(f)
        tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "bytes": info.size}


def _human(size: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"


# --- Create --------------------------------------------------------------------------------


def _run(command: list[str], db: Database, what: str) -> None:
    result = subprocess.run(command, env=db.env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}):\n{result.stderr.strip()}")


def create(
    db: Database, media_root: Path, output: Path, pg_bin: str | None = None
) -> tuple[Path, dict[str, Any]]:
    server_major, server_version = _server_version(db)
    tools = _choose(available_tools(pg_bin), server_major, at_least=server_major)
    output.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    archive = output / f"spink-backup-{now:%Y%m%d-%H%M%S}Z.tar"
    counter = 1
    while archive.exists():
        counter += 1
        archive = output / f"spink-backup-{now:%Y%m%d-%H%M%S}Z-{counter}.tar"
    partial = archive.with_name(archive.name + ".partial")
    migrations = _applied_migrations(db)
    parts: dict[str, dict[str, Any]] = {}
    # Working files beside the archive: same file system, and not a shared /tmp.
    with tempfile.TemporaryDirectory(prefix=".spink-backup-", dir=output) as work:
        dump = Path(work) / DUMP
        _run(
            [tools.program("pg_dump"), "--format=custom", "--no-password", f"--file={dump}"],
            db,
            f"pg_dump {tools.version} of {db.label}",
        )
        # Database first, files second: an upload is on disk before its row commits, so every
        # file that a dumped row names is there when the files are read.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                parts[DUMP] = _add_file(tar, dump, DUMP)
                media_bytes = 0
                for relative, path in _media_files(media_root):
                    name = f"{MEDIA}/{relative}"
                    parts[name] = _add_file(tar, path, name)
                    media_bytes += parts[name]["bytes"]
                manifest = {
                    "format": MANIFEST_FORMAT,
                    "created_at": now.isoformat(),
                    "database": {
                        "name": db.name,
                        "server_version": server_version,
                        "pg_dump_version": tools.version,
                        "pg_dump_major": tools.major,
                    },
                    "migrations": migrations,
                    "migration_count": sum(len(names) for names in migrations.values()),
                    "media": {
                        "root": str(media_root),
                        "file_count": len(parts) - 1,
                        "bytes": media_bytes,
                    },
                    "parts": parts,
                }
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
                tar.addfile(info, io.BytesIO(data))
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, archive)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return archive, manifest


# --- Restore -------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    if name in (MANIFEST, DUMP):
        return True
    path = PurePosixPath(name)
    return (
        len(path.parts) >= 2
        and path.parts[0] == MEDIA
        and not path.is_absolute()
        and all(part not in ("", ".", "..") for part in path.parts)
        and "\\" not in name
    )


def unpack_verified(archive: Path, work: Path) -> dict[str, Any]:
    """Unpack into work and check every part against the manifest; raise before anything is
    restored if a part is missing, extra, altered or named outside the archive's layout."""
    if not archive.is_file():
        raise BackupError(f"no such backup file: {archive}")
    found: dict[str, dict[str, Any]] = {}
    manifest_data: bytes | None = None
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                if not member.isfile() or not _safe_name(member.name):
                    raise BackupError(f"unexpected entry {member.name!r} in {archive.name}")
                if member.name in found or (member.name == MANIFEST and manifest_data):
                    raise BackupError(f"{member.name!r} appears twice in {archive.name}")
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has contents
                if member.name == MANIFEST:
                    manifest_data = source.read()
                    continue
                target = work / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                found[member.name] = {"sha256": digest.hexdigest(), "bytes": member.size}
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{archive.name} is not a readable tar archive: {exc}") from None
    if manifest_data is None:
        raise BackupError(f"{archive.name} has no {MANIFEST}: not a Spink backup")
    try:
        manifest = json.loads(manifest_data)
        expected = manifest["parts"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{archive.name}: {MANIFEST} is damaged") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{archive.name}: unknown backup format {manifest.get('format')!r}")
    problems = [f"missing: {name}" for name in sorted(set(expected) - set(found))]
    problems += [f"not in the manifest: {name}" for name in sorted(set(found) - set(expected))]
    problems += [
        f"checksum mismatch: {name}"
        for name in sorted(set(found) & set(expected))
        if (found[name]["sha256"], found[name]["bytes"])
        != (expected[name].get("sha256"), expected[name].get("bytes"))
    ]
    if DUMP not in expected:
        problems.append(f"missing: {DUMP}")
    if problems:
        raise BackupError(
            f"{archive.name} failed verification, nothing was restored:\n  " + "\n  ".join(problems)
        )
    return manifest


def _migration_notes(recorded: dict[str, list[str]]) -> list[str]:
    import django

    django.setup()
    from django.db.migrations.loader import MigrationLoader

    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {(app, name) for app, names in recorded.items() for name in names}
    notes = []
    if newer := in_backup - on_disk:
        notes.append(
            f"the backup has {len(newer)} migration(s) this code does not know (e.g."
            f" {'.'.join(sorted(newer)[0])}): it was made by a newer Spink; run that version"
        )
    if pending := on_disk - in_backup:
        notes.append(
            f"this code has {len(pending)} migration(s) the backup lacks: run"
            " `python manage.py migrate` after the restore"
        )
    return notes


def _pg_restore_direct(tools: PgTools, db: Database, dump: Path) -> None:
    _run(
        [
            tools.program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            # Grants name roles of the server the backup came from; the target's roles are
            # the deployment's business, and a missing one would fail the whole restore.
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={db.name}",
            str(dump),
        ],
        db,
        f"pg_restore {tools.version} into {db.label} (one transaction: nothing was changed)",
    )


def _pg_restore_via_psql(tools: PgTools, db: Database, dump: Path, work: Path) -> None:
    """pg_restore 17+ sets transaction_timeout, which servers before 17 reject; write the
    restore as SQL, drop that one setting from its preamble and run it with psql."""
    restore_log = (work / "pg_restore.log").open("w+")
    psql_log = (work / "psql.log").open("w+")
    with restore_log, psql_log:
        restore = subprocess.Popen(
            [
                tools.program("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--file=-",
                str(dump),
            ],
            stdout=subprocess.PIPE,
            stderr=restore_log,
            env=db.env(),
        )
        psql = subprocess.Popen(
            [
                tools.program("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--no-password",
                f"--dbname={db.name}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_log,
            env=db.env(),
        )
        assert restore.stdout is not None and psql.stdin is not None
        try:
            # pg_restore writes its session settings in the first lines, before any data;
            # the rest (the data, gigabytes perhaps) is passed on in blocks.
            for _ in range(100):
                line = restore.stdout.readline()
                if line.strip() != b"SET transaction_timeout = 0;":
                    psql.stdin.write(line)
            shutil.copyfileobj(restore.stdout, psql.stdin, CHUNK)
        except BrokenPipeError:
            pass  # psql stopped at an error; its log says which
        finally:
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            restore.stdout.close()
            restore_status, psql_status = restore.wait(), psql.wait()
        if psql_status != 0 or restore_status != 0:
            psql_log.seek(0)
            restore_log.seek(0)
            raise BackupError(
                f"restore into {db.label} failed (pg_restore {tools.version} exit"
                f" {restore_status}, psql exit {psql_status}); nothing was changed:\n"
                + (psql_log.read() + restore_log.read()).strip()
            )


def restore(
    archive: Path,
    db: Database,
    media_root: Path,
    yes: bool = False,
    pg_bin: str | None = None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="spink-restore-") as work_dir:
        work = Path(work_dir)
        manifest = unpack_verified(archive, work)
        media_parts = sorted(name for name in manifest["parts"] if name != DUMP)
        print(
            f"Verified {archive.name} (made {manifest['created_at']} from database"
            f" {manifest['database']['name']}): the dump and {len(media_parts)} file(s) match"
            " their checksums."
        )

        exists = _database_exists(db)
        relations = _relation_count(db) if exists is not False else 0
        conflicts = []
        for name in media_parts:
            target = media_root / PurePosixPath(name).relative_to(MEDIA)
            if target.exists() and _sha256(target) != manifest["parts"][name]["sha256"]:
                conflicts.append(str(target))
        if (relations or conflicts) and not yes:
            reasons = []
            if relations:
                reasons.append(
                    f"database {db.label} is not empty ({relations} tables, views or sequences)"
                )
            if conflicts:
                reasons.append(
                    f"{len(conflicts)} file(s) in {media_root} would be overwritten"
                    f" (e.g. {conflicts[0]})"
                )
            raise Refused(
                "; ".join(reasons)
                + ". Restoring replaces them with the backup's. Add --yes to go ahead"
                " (make restore FILE=... YES=1)."
            )

        for note in _migration_notes(manifest.get("migrations", {})):
            print(f"Note: {note}.")
        if exists is False:
            _create_database(db)
            print(f"Created database {db.label}.")
        server_major, server_version = _server_version(db)
        archive_major = int(manifest["database"].get("pg_dump_major", server_major))
        tools = _choose(available_tools(pg_bin), server_major, at_least=archive_major)
        dump = work / DUMP
        if tools.major >= TRANSACTION_TIMEOUT_MAJOR > server_major:
            _pg_restore_via_psql(tools, db, dump, work)
        else:
            _pg_restore_direct(tools, db, dump)
        print(
            f"Restored the database into {db.label} (PostgreSQL {server_version}, pg_restore"
            f" {tools.version}; {manifest.get('migration_count', 0)} migrations applied in the"
            " backup)."
        )

        written = unchanged = 0
        for name in media_parts:
            source = work / name
            target = media_root / PurePosixPath(name).relative_to(MEDIA)
            if target.is_file() and _sha256(target) == manifest["parts"][name]["sha256"]:
                unchanged += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(target.name + ".restoring")
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
            written += 1
        backed_up = {PurePosixPath(name).relative_to(MEDIA).as_posix() for name in media_parts}
        others = sum(1 for relative, _ in _media_files(media_root) if relative not in backed_up)
        print(
            f"Restored {len(media_parts)} file(s) into {media_root}: {written} written,"
            f" {unchanged} already identical"
            + (f"; {others} file(s) not in the backup were left in place." if others else ".")
        )


# --- Command line --------------------------------------------------------------------------


def _settings():
    """Spink's settings without loading the apps (a second per run); restore loads them only
    to read the migrations on disk."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spink.settings")
    from django.conf import settings

    return settings


def main(argv: list[str] | None = None) -> int:
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m ops.backup", description=summary)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="back up the database and the uploaded files")
    make.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"folder (default {DEFAULT_OUTPUT})"
    )
    back = commands.add_parser("restore", help="restore a backup made by `create`")
    back.add_argument("file", type=Path, help="the backup's .tar file")
    back.add_argument(
        "--target-database",
        metavar="URL",
        help="postgres://… to restore into (created if missing); default: Spink's database",
    )
    back.add_argument("--yes", action="store_true", help="overwrite a database that holds data")
    for sub in (make, back):
        sub.add_argument("--media-dir", type=Path, help="uploaded files (default MEDIA_ROOT)")
        sub.add_argument("--pg-bin", metavar="DIR", help="folder of pg_dump/pg_restore/psql")
    args = parser.parse_args(argv)

    settings = _settings()
    media_root = Path(args.media_dir or settings.MEDIA_ROOT)
    try:
        if args.command == "create":
            db = Database.from_settings(settings.DATABASES["default"])
            archive, manifest = create(db, media_root, args.output, args.pg_bin)
            media = manifest["media"]
            print(
                f"Backed up database {db.label} (PostgreSQL"
                f" {manifest['database']['server_version']}, pg_dump"
                f" {manifest['database']['pg_dump_version']},"
                f" {manifest['migration_count']} migrations) and {media['file_count']} file(s)"
                f" ({_human(media['bytes'])}) from {media_root}."
            )
            print(f"Backup: {archive} ({_human(archive.stat().st_size)})")
            print(f"sha256: {_sha256(archive)}")
        else:
            db = (
                Database.from_url(args.target_database)
                if args.target_database
                else Database.from_settings(settings.DATABASES["default"])
            )
            restore(args.file, db, media_root, yes=args.yes, pg_bin=args.pg_bin)
    except BackupError as exc:
        print(f"{'Refused' if isinstance(exc, Refused) else 'Error'}: {exc}", file=sys.stderr)
        return exc.exit_status
    return 0


if __name__ == "__main__":
    sys.exit(main())
