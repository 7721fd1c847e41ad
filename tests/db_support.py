"""How the suite's database is made, shared and emptied (used by tests/conftest.py).

- rolled_back: rows that are costly to make and that the tests only read (the demo seed, the
  2023–2024 history, a module's world of records), made once for a module in a transaction
  of its own that is rolled back after the module's last test.
- flush_by_delete: the end of a transactional test empties the tables it wrote to and puts
  back the rows the migrations made, in milliseconds instead of seconds.
- make_template: the migrated, empty test database is kept as a template that later runs
  (and this run's scratch databases) copy instead of migrating again.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import django
from django.db import connection, transaction

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def rolled_back(django_db_blocker, make: Callable[[], T]) -> Iterator[T]:
    """`make()`'s rows for the tests of a module, in a transaction rolled back at the end.

    Nothing is committed, so nothing need be emptied afterwards. pytest-django runs each
    non-transactional test in a transaction (a savepoint) inside it: what a test changes is
    rolled back after that test, as always, and the shared rows stay for the next one.
    Transactional tests cannot run inside it (they, their live server and their worker see
    only committed rows, and they empty every table): tests/conftest.py refuses them while it
    is open. In a module-scoped fixture:

    @pytest.fixture(scope="module")
    def history(django_db_setup, django_db_blocker):
        with rolled_back(django_db_blocker, seed_history) as created:
            yield created
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            made = make()
            # Check the rows' deferred foreign keys now, once. Left pending, they would be
            # checked at the end of every test (Django's TestCase checks constraints before
            # its rollback), and checked again after each, as the rollback undoes the check.
            connection.check_constraints()
            yield made
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- Emptying the tables after a transactional test ------------------------------------------
#
# Django ends each transactional test by TRUNCATE-ing every table (about a hundred), which
# replaces every table's and index's files: seconds per test on a busy machine. It also takes
# the rows the migrations made (the service taxonomy, the beat schedule, content types and
# permissions) with them. Here the tables a test wrote to are emptied by DELETE instead, in
# milliseconds, and the migrations' rows are put back from a copy taken when the test database
# was new (schema spink_test_initial): each transactional test starts from the database as
# migrated, as the other tests do. Row triggers (the timeline refuses DELETE, the tallies follow
# the requests) and foreign-key checks are off for that transaction (session_replication_role =
# replica, as when a replica applies changes). Sequences are left alone, as Django's flush after
# a test leaves them. A flush that resets sequences, or a database user that may not set
# session_replication_role (not a superuser), gets Django's TRUNCATE.

INITIAL = "spink_test_initial"
# The copied tables and their columns, once the copy is there (_load_initial()).
_initial: list[tuple[str, list[str]]] | None = None


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _filled(cursor, tables: list[str]) -> list[str]:
    """The tables among `tables` that hold a row."""
    if not tables:
        return []
    cursor.execute(
        " UNION ALL ".join(
            f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {_quote(name)})"  # noqa: S608 - model tables
            for index, name in enumerate(tables)
        )
    )
    return [tables[index] for (index,) in cursor.fetchall()]


def _empty_and_refill_sql(filled: list[str]) -> list[str]:
    refill = [
        f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))}) "  # noqa: S608
        f"SELECT {', '.join(map(_quote, columns))} FROM {INITIAL}.{_quote(table)};"
        for table, columns in _initial or []
    ]
    return [
        "SET LOCAL session_replication_role = replica;",
        *(f"DELETE FROM {_quote(table)};" for table in filled),  # noqa: S608 - model tables
        *refill,
        "SET LOCAL session_replication_role = DEFAULT;",
    ]


def may_replicate() -> bool:
    if not hasattr(connection, "_spink_may_replicate"):
        with connection.cursor() as cursor:
            # Setting session_replication_role takes a superuser.
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            (allowed,) = cursor.fetchone()
        connection._spink_may_replicate = allowed
    return connection._spink_may_replicate


def keep_initial_rows() -> None:
    """Copy the rows of the new, migrated test database (before any test) to INITIAL."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {INITIAL} CASCADE")
        cursor.execute(f"CREATE SCHEMA {INITIAL}")
        for table in _filled(cursor, tables):
            cursor.execute(f"CREATE TABLE {INITIAL}.{_quote(table)} AS TABLE {_quote(table)}")
        # Which migrations made them: a kept database is reused only by the same (below).
        cursor.execute(f"COMMENT ON SCHEMA {INITIAL} IS %s", [migration_digest()])
    _load_initial()


def initial_rows_digest(database: str) -> str | None:
    """The migration digest of the initial rows kept in `database`, if any."""
    with _server(database) as server:
        row = server.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            [INITIAL],
        ).fetchone()
    return row[0] if row else None


def drop_database(name: str) -> None:
    from psycopg import sql

    with _server() as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def restore_initial_rows() -> bool:
    """Put a kept-on test database (--reuse-db) back as it was when it was new: the last run
    ended by emptying it. False when it has no copy of its initial rows (or may not)."""
    if not (may_replicate() and _load_initial()):
        return False
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in _empty_and_refill_sql(_filled(cursor, tables)):
            cursor.execute(statement)
    return True


def _load_initial() -> bool:
    global _initial
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position)"
            " FROM information_schema.columns WHERE table_schema = %s GROUP BY table_name",
            [INITIAL],
        )
        rows = cursor.fetchall()
    _initial = [(table, list(columns)) for table, columns in rows] if rows else None
    return _initial is not None


def initial_rows_come_back() -> bool:
    """Whether the flush after a transactional test puts the migrations' rows back."""
    return _initial is not None and may_replicate()


def _delete_flush_sql(original):
    """PostgreSQL's sql_flush by DELETE and refill (above), or Django's TRUNCATE."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables or not initial_rows_come_back():
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        with self.connection.cursor() as cursor:
            return _empty_and_refill_sql(_filled(cursor, list(tables)))

    return sql_flush


@contextmanager
def flush_by_delete() -> Iterator[None]:
    """Transactional tests' flush empties the tables with DELETE and puts the migrations' rows
    back (see above)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    DatabaseOperations.sql_flush = _delete_flush_sql(original)
    try:
        yield
    finally:
        DatabaseOperations.sql_flush = original


# --- A migrated database to copy -------------------------------------------------------------
#
# Migrating an empty database takes ten seconds and more (rendering the models of every
# migration state). The first run migrates the test database as always, then copies it, still
# empty of test data, to a template database on the same server, named after the test database
# and a digest of everything migrating depends on. Later runs create the test database as a copy
# of that template (CREATE DATABASE ... TEMPLATE) and migrate finds nothing to do; the scratch
# databases of tests/test_backup.py start from it too. SPINK_TEST_DB_TEMPLATE=0 turns it off.

# Whether the test database was on the server before this run made it (--reuse-db).
test_database_was_there = False


def templates_enabled() -> bool:
    return os.environ.get("SPINK_TEST_DB_TEMPLATE", "1") != "0"


@functools.cache
def migration_digest() -> str:
    """A digest of what a freshly migrated database holds: every installed app's migrations,
    the project's models (content types and permissions), the taxonomy its data migration
    loads, the installed apps, Django's version and the settings the migrations read."""
    from django.apps import apps
    from django.conf import settings

    digest = hashlib.sha256(
        f"{django.get_version()} {settings.TIME_ZONE} {settings.INSTALLED_APPS}".encode()
    )
    paths: set[Path] = {ROOT / "categories" / "taxonomy.py"}
    for app in apps.get_app_configs():
        folder = Path(app.path)
        paths.update((folder / "migrations").glob("*.py"))
        if folder.is_relative_to(ROOT):
            paths.update(folder.glob("models.py"))
            paths.update(folder.glob("models/*.py"))
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def template_name(test_database: str) -> str:
    return f"{test_database[:40]}_tpl_{migration_digest()}"


def _server(database: str = "postgres"):
    """A connection of its own to `database` on the test run's server, outside Django."""
    import psycopg

    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=database,
        autocommit=True,
    )


def database_exists(name: str) -> bool:
    with _server() as server:
        row = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def make_template(source: str, template: str) -> None:
    """Copy the freshly migrated `source` to `template`, dropping the test database's older
    templates. `source` must have no other session (the caller closes its own)."""
    from psycopg import sql

    prefix = template.rsplit("_tpl_", 1)[0] + "_tpl_"
    with _server() as server:
        stale = server.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
            [prefix, template],
        ).fetchall()
        for (name,) in stale:
            drop_database(name)
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(template), sql.Identifier(source)
            )
        )
