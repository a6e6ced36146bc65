"""Alembic, driven from code: the journal migrates itself when it is opened.

For developers (no alembic.ini needed)::

    python -m callvault.journal revision "add agent columns"   # autogenerate the next one
    python -m callvault.journal sql postgresql://              # the DDL, for review

Opening a journal that is already at the head costs one query and no Alembic import
(:func:`at_head`): importing Alembic and loading its scripts would add about 0.2 s to every
command that opens the journal. An empty SQLite database gets the head schema from
``head_schema.sql`` (:func:`create_head_schema`) rather than from fifteen migrations
(≈ 0.35 s, like Django's squashed migrations); the file is the ``sqlite_master`` of a
database the migrations made, and a test fails when it falls behind them::

    python -m callvault.journal snapshot    # rewrite head_schema.sql after a new migration
"""

from __future__ import annotations

import ast
import re
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy and Alembic are imported where a migration needs them
    from alembic.config import Config
    from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HEAD_SCHEMA = Path(__file__).with_name("head_schema.sql")
"""The SQLite schema (and rows: the version table's) the migrations leave at their head."""
SNAPSHOT_COMMAND = "python -m callvault.journal snapshot"
VERSION_TABLE = "alembic_version"
"""Where Alembic keeps the revision a database is at."""

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


class CommandError(Exception):
    """A migration Alembic refused (e.g. the journal is at a revision this code does not know)."""


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for the journal's migrations, bound to a connection (online)
    or to a URL (offline SQL)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision the code expects the journal to be at."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the journal has no migrations"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the journal behind ``connection`` is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the journal behind ``connection`` to the head revision (a no-op when it is).

    Raises CommandError when Alembic refuses (a revision it does not know, say)."""
    head = script_head()
    if _at(connection, head):
        return
    if connection.dialect.name == "sqlite" and is_empty(connection):
        create_head_schema(connection)
        if _at(connection, head):
            return  # else the snapshot is behind the scripts: Alembic takes it from there
    _alembic_upgrade(connection)


def open_sqlite(connection: sqlite3.Connection) -> bool:
    """Whether the SQLite journal behind ``connection`` (one made by
    ``engine.connect_sqlite``) is at the head revision, giving an empty database the head
    schema first, in one IMMEDIATE transaction: ``upgrade`` without SQLAlchemy or Alembic.
    False (nothing changed) when only Alembic can bring it there: an older journal, or a
    snapshot behind the scripts."""
    head = script_head()
    if head is None:
        return False
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            if _sqlite_at(cursor, head):
                connection.commit()
                return True
            if cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                run_head_schema(cursor)
                if _sqlite_at(cursor, head):
                    connection.commit()
                    return True
            connection.rollback()
            return False
        except BaseException:
            connection.rollback()
            raise
    finally:
        cursor.close()


def _sqlite_at(cursor: sqlite3.Cursor, head: str) -> bool:
    found = cursor.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
    ).fetchone()[0]
    if not found:
        return False
    stored = cursor.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    return [row[0] for row in stored] == [head]


def _alembic_upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.util.exc import CommandError as AlembicCommandError

    try:
        command.upgrade(alembic_config(connection), "head")
    except AlembicCommandError as exc:
        raise CommandError(str(exc)) from exc


def script_head() -> str | None:
    """The head revision read from the migration scripts' ``revision`` and ``down_revision``
    lines, without Alembic; None unless there is exactly one head and every script says both."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        if set(found) != {"revision", "down_revision"}:
            return None
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(connection: Connection) -> bool:
    """Whether the journal behind ``connection`` is at the scripts' head revision, by one
    query of the version table (False whenever that cannot be told without Alembic)."""
    return _at(connection, script_head())


def _at(connection: Connection, head: str | None) -> bool:
    """``at_head`` with the scripts' head read already (reading them takes ≈ 1.5 ms)."""
    import sqlalchemy as sa

    if head is None or not sa.inspect(connection).has_table(VERSION_TABLE):
        return False
    stored = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return [row[0] for row in stored] == [head]


def is_empty(connection: Connection) -> bool:
    """Whether the SQLite database behind ``connection`` has no table, index or trigger."""
    return connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0


def create_head_schema(connection: Connection) -> None:
    """Run ``HEAD_SCHEMA``'s statements, one by one in the connection's transaction (the
    sqlite3 module's ``executescript`` would commit first and run them outside it), on the
    driver's cursor: SQLAlchemy's ``exec_driver_sql`` adds ≈ 40 µs to each of the ≈ 85, as
    much as SQLite takes to run them."""
    cursor = connection.connection.cursor()
    try:
        run_head_schema(cursor)
    finally:
        cursor.close()


def run_head_schema(cursor: sqlite3.Cursor) -> None:
    """Run ``HEAD_SCHEMA``'s statements on a sqlite3 cursor, in its transaction."""
    for statement in schema_statements(HEAD_SCHEMA.read_text(encoding="utf-8")):
        cursor.execute(statement)


def schema_statements(script: str) -> list[str]:
    """The SQL statements of ``script``, a trigger's body (its own ``;``s) kept whole."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"unfinished SQL statement at the end: {pending.strip()[:60]!r}")
    return statements


def schema_snapshot(connection: Connection) -> str:
    """The SQLite database behind ``connection`` as the statements that make it again:
    tables, each with its rows, then indexes, views and triggers (so no trigger fires for
    the rows), each kind in the order it was created."""
    lines = [f"-- The journal's SQLite schema at the head of its migrations: {SNAPSHOT_COMMAND}"]
    for kind in ("table", "index", "view", "trigger"):
        made = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL"
            " AND name NOT LIKE 'sqlite^_%' ESCAPE '^' ORDER BY rowid",
            (kind,),
        ).all()
        for name, sql in made:
            lines.append(f"{sql};")
            if kind == "table":
                lines.extend(_rows_as_inserts(connection, name))
    return "\n\n".join(lines) + "\n"


def _rows_as_inserts(connection: Connection, table: str) -> list[str]:
    columns = [row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({_name(table)})")]
    values = " || ',' || ".join(f"quote({_name(column)})" for column in columns)
    found = connection.exec_driver_sql(f"SELECT {values} FROM {_name(table)} ORDER BY rowid")
    return [f"INSERT INTO {_name(table)} VALUES({row[0]});" for row in found]


def _name(identifier: str) -> str:
    """``identifier`` quoted for SQLite."""
    return '"' + identifier.replace('"', '""') + '"'


def migrated_snapshot() -> str:
    """``schema_snapshot`` of a scratch SQLite journal brought to the head by the migrations
    themselves (never by ``HEAD_SCHEMA``), opened as the journal opens its own."""
    import sqlalchemy as sa

    from callvault.journal.engine import WRITER
    from callvault.journal.engine import create_engine as journal_engine

    with tempfile.TemporaryDirectory() as scratch:
        engine = journal_engine(sa.make_url(f"sqlite:///{scratch}/head.sqlite3"))
        try:
            with engine.execution_options(**{WRITER: True}).begin() as connection:
                _alembic_upgrade(connection)
            with engine.connect() as connection:
                return schema_snapshot(connection)
        finally:
            engine.dispose()


def _revision(message: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/head.sqlite3")
        with engine.begin() as connection:
            upgrade(connection)
            config = alembic_config(connection)
            next_id = f"{int(head_revision()) + 1:04d}"
            command.revision(config, message, autogenerate=True, rev_id=next_id)
        engine.dispose()


def main(argv: list[str]) -> None:
    match argv:
        case ["revision", message]:
            _revision(message)
        case ["snapshot"]:
            HEAD_SCHEMA.write_text(migrated_snapshot(), encoding="utf-8")
            print(f"wrote {HEAD_SCHEMA}")
        case ["sql", url]:
            from alembic import command

            command.upgrade(alembic_config(url=url), "head", sql=True)
        case _:
            sys.exit(__doc__)
