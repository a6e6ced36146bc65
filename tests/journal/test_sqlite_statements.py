"""A capture goes into a SQLite journal without SQLAlchemy: the statements the writer runs
there are written out from the journal's own columns, and must be what SQLAlchemy compiles
from the schema, their values converted as its bind processors convert them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from callvault.journal import migrate, rows
from callvault.journal.engine import connect_sqlite, sqlite_file
from callvault.journal.schema import calls, events, streams
from callvault.journal.writer import (
    SQLITE_IDS_BY_UID,
    DriverStatement,
    _delete_children,
    _upsert,
    sqlite_delete_children,
    sqlite_insert,
    sqlite_upsert,
)
from callvault.synth import demo_calls, write_capture

DIALECT = SQLiteDialect_pysqlite()
TABLES = [(calls, rows.CALL_COLUMNS), (streams, rows.STREAM_COLUMNS), (events, rows.EVENT_COLUMNS)]

PROBES: list[Any] = [
    None, 0, 1, -7, 2**40, 0.0, 0.5, -1.25, 1_700_000_000.123456, 4_102_444_799.999999,
    True, False, "", "text", "2024-05-01", b"\x00\x01",
    datetime(2024, 5, 1, 14, 30, 0, 123456, tzinfo=UTC),
    datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
]  # fmt: skip


@pytest.fixture
def cursor(tmp_path: Path) -> Any:
    connection = connect_sqlite(tmp_path / "journal.sqlite3")
    assert migrate.open_sqlite(connection)
    yield connection.cursor()
    connection.close()


def _outcome(process: Any, value: Any) -> Any:
    """What a processor makes of ``value``: its result, or the type of error it raises."""
    if process is None:
        return value
    try:
        return process(value)
    except Exception as exc:
        return type(exc)


def _same(ours: DriverStatement, theirs: DriverStatement) -> None:
    assert ours.sql == theirs.sql
    assert ours.names == theirs.names
    assert ours.positional and theirs.positional
    for name, mine, sqlalchemy_s in zip(
        ours.names, ours.processors, theirs.processors, strict=True
    ):
        for value in PROBES:
            assert _outcome(mine, value) == _outcome(sqlalchemy_s, value), (name, value)


@pytest.mark.parametrize(("table", "columns"), TABLES, ids=lambda t: getattr(t, "name", ""))
def test_inserts_are_what_sqlalchemy_compiles(cursor: Any, table: sa.Table, columns: Any) -> None:
    compiled = DriverStatement.compile(table.insert(), DIALECT, column_keys=columns)
    _same(sqlite_insert(cursor, table.name, columns), compiled)


def test_the_upsert_and_the_deletes_are_what_sqlalchemy_compiles(cursor: Any) -> None:
    insert = sqlite_insert(cursor, "calls", rows.CALL_COLUMNS)
    _same(sqlite_upsert(insert), DriverStatement.compile(_upsert("sqlite"), DIALECT))
    for table in (streams, events):
        compiled = DriverStatement.compile(_delete_children(table), DIALECT)
        _same(sqlite_delete_children(table.name), compiled)


def test_the_uid_lookup_is_what_sqlalchemy_compiles() -> None:
    one = sa.select(calls.c.uid, calls.c.id).where(
        calls.c.uid.in_([sa.bindparam("uid", type_=sa.Text)])
    )
    head, _, tail = DriverStatement.compile(one, DIALECT).sql.rpartition("(?)")
    assert (head, tail) == SQLITE_IDS_BY_UID


def test_a_journal_missing_a_column_is_refused_by_name(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "old.sqlite3")
    connection.execute("CREATE TABLE events (call_id INTEGER, seq INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="table events has no column kind"):
        sqlite_insert(connection.cursor(), "events", rows.EVENT_COLUMNS)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///journal.sqlite3",
        "sqlite:///data/journal.sqlite3",
        "sqlite:////tmp/a b/journal.sqlite3",
        "sqlite:///a%20b/j%23.sqlite3",
        "sqlite:///a+b.sqlite3",
        "sqlite:///~/journal.sqlite3",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///journal.sqlite3?mode=ro",
        "sqlite+pysqlite:///journal.sqlite3",
        "postgresql://user:pw@localhost/journal",
        "not a url",
    ],
)
def test_sqlite_files_are_told_from_their_url_as_sqlalchemy_reads_it(url: str) -> None:
    path = sqlite_file(url)
    if path is None:
        return  # any URL but a plain file's opens through SQLAlchemy, as before
    parsed = sa.make_url(url)
    assert parsed.get_backend_name() == "sqlite" and parsed.drivername == "sqlite"
    assert str(path) == parsed.database


def _ingest_modules(capture: Path, data_dir: Path, *extra: str) -> str:
    """Run ``callvault ingest`` in a fresh interpreter; return whether it imported
    SQLAlchemy and Alembic, as a line."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('imported:', 'sqlalchemy' in sys.modules,"
        " 'alembic' in sys.modules, file=sys.stderr))\n"
        "from callvault.cli import main\n"
        f"sys.argv = ['callvault', 'ingest', {str(capture)!r}, '--data-dir', {str(data_dir)!r},"
        f" '--no-progress', '--format', 'json', *{list(extra)!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "CALLVAULT_DEBUG": "1"},
    )  # fmt: skip
    return [line for line in done.stderr.splitlines() if line.startswith("imported:")][-1]


def test_ingest_into_a_sqlite_journal_imports_neither_sqlalchemy_nor_alembic(
    tmp_path: Path,
) -> None:
    capture, data = tmp_path / "demo.pcap", tmp_path / "data"
    write_capture(capture, demo_calls())
    assert _ingest_modules(capture, data, "--no-audio") == "imported: False False"
    # Again: every call is stored, so each is replaced in place (the upsert).
    assert _ingest_modules(capture, data, "--no-audio") == "imported: False False"
    connection = sqlite3.connect(data / "journal.sqlite3")
    stored = connection.execute("SELECT count(*), count(DISTINCT uid) FROM calls").fetchone()
    connection.close()
    assert stored[0] > 0 and stored[0] == stored[1]
