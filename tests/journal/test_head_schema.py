"""A new SQLite journal is made from head_schema.sql, not by running every migration: the file
must be exactly what the migrations make, and a journal made from it must be the same
database as one they made."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from callvault.errors import JournalError
from callvault.journal import Journal, migrate
from callvault.journal.engine import WRITER
from callvault.journal.engine import create_engine as journal_engine


def _migrated(path: Path, revision: str = "head") -> None:
    """A SQLite journal at ``path`` brought to ``revision`` by Alembic alone."""
    engine = journal_engine(sa.make_url(f"sqlite:///{path}"))
    with engine.execution_options(**{WRITER: True}).begin() as connection:
        command.upgrade(migrate.alembic_config(connection), revision)
    engine.dispose()


def _description(path: Path) -> dict[str, object]:
    """Everything a journal's schema is: its ``sqlite_master`` (whatever order it was made
    in), the PRAGMA lists of every table and index, the header's versions, every row."""
    with sqlite3.connect(path) as connection:
        master = sorted(
            connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(),
            key=lambda row: (row[0], row[1]),
        )
        tables = [name for kind, name, _, _ in master if kind == "table"]
        indexes = [name for kind, name, _, _ in master if kind == "index"]
        found: dict[str, object] = {"master": master}
        for pragma in ("user_version", "application_id", "auto_vacuum", "encoding"):
            found[pragma] = connection.execute(f"PRAGMA {pragma}").fetchall()
        for table in tables:
            for pragma in ("table_xinfo", "index_list", "foreign_key_list"):
                found[f"{pragma} {table}"] = connection.execute(
                    f'PRAGMA {pragma}("{table}")'
                ).fetchall()
            found[f"rows {table}"] = connection.execute(f'SELECT * FROM "{table}"').fetchall()
        for index in indexes:
            found[f"index_xinfo {index}"] = connection.execute(
                f'PRAGMA index_xinfo("{index}")'
            ).fetchall()
    return found


def test_the_head_schema_file_is_what_the_migrations_make() -> None:
    assert migrate.migrated_snapshot() == migrate.HEAD_SCHEMA.read_text(encoding="utf-8"), (
        f"{migrate.HEAD_SCHEMA.name} is behind the migrations: run {migrate.SNAPSHOT_COMMAND}"
    )


def test_a_new_journal_is_the_database_the_migrations_make(tmp_path: Path) -> None:
    _migrated(tmp_path / "migrated.sqlite3")
    Journal.open(f"sqlite:///{tmp_path / 'new.sqlite3'}").close()
    migrated = _description(tmp_path / "migrated.sqlite3")
    new = _description(tmp_path / "new.sqlite3")
    assert new.keys() == migrated.keys()
    for key, value in migrated.items():
        assert new[key] == value, key
    assert new["rows alembic_version"] == [(migrate.script_head(),)]


def test_a_new_journal_is_made_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    code = (
        "import sys; from callvault.journal import Journal, migrate; "
        f"journal = Journal.open({url!r}); "
        "connection = journal.engine.connect(); print(migrate.at_head(connection)); "
        "connection.close(); journal.close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True", "[]"]


def test_a_schema_file_behind_the_migrations_is_finished_by_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = tmp_path / "older.sqlite3"
    previous = sorted((migrate.MIGRATIONS_DIR / "versions").glob("*.py"))[-2].name[:4]
    _migrated(older, previous)
    with sa.create_engine(f"sqlite:///{older}").connect() as connection:
        behind = migrate.schema_snapshot(connection)
    assert f"VALUES('{previous}')" in behind
    monkeypatch.setattr(migrate, "HEAD_SCHEMA", tmp_path / "head_schema.sql")
    migrate.HEAD_SCHEMA.write_text(behind, encoding="utf-8")
    Journal.open(f"sqlite:///{tmp_path / 'new.sqlite3'}").close()
    _migrated(tmp_path / "migrated.sqlite3")
    new = _description(tmp_path / "new.sqlite3")
    assert new["rows alembic_version"] == [(migrate.script_head(),)]
    assert new["master"] == _description(tmp_path / "migrated.sqlite3")["master"]


def test_statements_are_split_with_trigger_bodies_whole() -> None:
    script = (
        "-- a comment\n\nCREATE TABLE t (a INTEGER);\n\n"
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN\n  DELETE FROM t;\n  SELECT 1;\nEND;\n"
    )
    assert migrate.schema_statements(script) == [
        "CREATE TABLE t (a INTEGER);",
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN\n  DELETE FROM t;\n  SELECT 1;\nEND;",
    ]
    with pytest.raises(ValueError, match="unfinished"):
        migrate.schema_statements("CREATE TABLE t (a INTEGER)")


def test_only_an_empty_database_counts_as_empty(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.begin() as connection:
        assert migrate.is_empty(connection)
        connection.exec_driver_sql("CREATE TABLE notes (text TEXT)")
        assert not migrate.is_empty(connection)
    engine.dispose()


def test_a_schema_file_that_fails_leaves_no_half_made_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrate, "HEAD_SCHEMA", tmp_path / "head_schema.sql")
    migrate.HEAD_SCHEMA.write_text("CREATE TABLE t (a);\n\nCREATE TABLE t (a);\n", "utf-8")
    path = tmp_path / "journal.sqlite3"
    with pytest.raises(JournalError, match=r"cannot open the journal .*: table t already exists"):
        Journal.open(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
