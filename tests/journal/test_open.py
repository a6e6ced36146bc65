"""Opening the journal: where it lives, how SQLite is set up, and one-line reasons when it
cannot be opened."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from callvault.calls.model import Call
from callvault.errors import JournalError
from callvault.journal import Journal


def test_opening_creates_the_directory_of_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "journal.sqlite3"
    Journal.open(f"sqlite:///{path}").close()
    assert path.is_file()


def test_sqlite_runs_in_wal_mode_with_normal_sync_and_a_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    with Journal.open(url) as journal, journal.engine.connect() as connection:
        # The engine's connections (reading, annotations) and the journal's own, that
        # writes calls, are set up alike.
        for pragma in (
            lambda sql: connection.exec_driver_sql(sql).scalar(),
            lambda sql: journal.plain_query(sql)[0][0],
        ):
            assert pragma("PRAGMA journal_mode") == "wal"
            assert pragma("PRAGMA synchronous") == 1  # NORMAL
            assert pragma("PRAGMA busy_timeout") >= 5000
            assert pragma("PRAGMA foreign_keys") == 1


def test_a_reader_does_not_block_the_writer(tmp_path: Path, make_call: Callable[..., Call]) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(f"sqlite:///{path}") as journal:
        journal.save(make_call("before"))
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM calls").fetchone() == (1,)  # holds a snapshot
        started = time.monotonic()
        journal.save(make_call("during"))
        assert time.monotonic() - started < 1.0
        assert reader.execute("SELECT count(*) FROM calls").fetchone() == (1,)
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM calls").fetchone() == (2,)
        reader.close()


def test_an_in_memory_journal_works(make_call: Callable[..., Call]) -> None:
    with Journal.open("sqlite://") as journal:
        journal.save(make_call())
        assert journal.count_calls() == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "cannot open the journal: 'not a url' is not a database URL"),
        (
            "mysql://u:secret@db/journal",
            "cannot open the journal at mysql://u:***@db/journal: "
            "it runs on SQLite or PostgreSQL, not mysql",
        ),
        (
            "postgresql+nosuchdriver://db/journal",
            "cannot open the journal at postgresql+nosuchdriver://db/journal: ",
        ),
    ],
)
def test_a_url_that_cannot_be_a_journal(url: str, reason: str) -> None:
    with pytest.raises(JournalError) as raised:
        Journal.open(url)
    assert str(raised.value).startswith(reason)
    assert "\n" not in str(raised.value)


def test_a_directory_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(JournalError, match=r"^cannot open the journal at sqlite:///.*/file/j"):
        Journal.open(f"sqlite:///{blocker / 'j.sqlite3'}")


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the calls you are looking for\n" * 100)
    with pytest.raises(JournalError) as raised:
        Journal.open(f"sqlite:///{path}")
    assert str(raised.value) == (
        f"cannot open the journal at sqlite:///{path}: file is not a database"
    )


def test_a_journal_from_a_newer_callvault(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    with pytest.raises(JournalError, match=r"'9999'.*\(written by a newer callvault\?\)$"):
        Journal.open(f"sqlite:///{path}")


def test_an_unreachable_server(unused_tcp_port: int) -> None:
    pytest.importorskip("psycopg", reason="needs psycopg: pip install 'psycopg[binary]'")
    url = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{unused_tcp_port}/journal"
    with pytest.raises(JournalError) as raised:
        Journal.open(url)
    message = str(raised.value)
    assert message.startswith(
        f"cannot open the journal at postgresql+psycopg://postgres:***@127.0.0.1:{unused_tcp_port}"
    )
    assert "hunter2" not in message and "\n" not in message


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
