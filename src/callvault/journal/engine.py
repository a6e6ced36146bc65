"""Database engines as the journal wants them.

SQLite: WAL (readers never block the writer), ``synchronous=NORMAL`` (a commit does not
wait for the disk; a power cut can lose the last commits, never corrupt), a busy timeout,
writers that begin IMMEDIATE, and WAL checkpoints (the only fsyncs left) moved off the
write path into a background thread. PostgreSQL: connections checked before use.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:  # SQLAlchemy is imported when an engine is made (``create_engine``)
    from sqlalchemy.engine import URL, Connection, Engine

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for a lock before giving up."""

WAL_AUTOCHECKPOINT_PAGES = 10_000
"""A writer checkpoints itself past this WAL size (about 40 MB), should the background
checkpoints fall behind."""

CHECKPOINT_INTERVAL_S = 0.5

WRITER = "callvault_writer"
"""Execution option of SQLAlchemy connections that write (migrations): on SQLite their
transactions begin IMMEDIATE, taking the write lock before they read and waiting for it
(busy timeout) instead of failing on a stale snapshot later."""


def create_engine(url: URL) -> Engine:
    """An engine for the journal at ``url``; creates a SQLite file's directory."""
    import sqlalchemy as sa

    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if is_sqlite_file(url):
        assert url.database is not None
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite journal URL as SQLAlchemy reads it (``sqlite:///relative`` or
    ``sqlite:////absolute``, percent-escapes decoded), without importing SQLAlchemy; None
    for any other URL (another backend or driver, memory, query options)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    database = unquote(url[len(prefix) :])
    if database in ("", ":memory:"):
        return None
    return Path(database)


def is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:")


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection to the SQLite journal at ``path`` as the journal's engine makes them
    (``configure_sqlite``), usable from any thread (its user serialises the use); creates
    the file's directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False)
    try:
        configure_sqlite(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _on_sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    configure_sqlite(dbapi_connection)


def configure_sqlite(dbapi_connection: sqlite3.Connection) -> None:
    """WAL, NORMAL sync, the busy timeout, foreign keys, and transactions begun by callvault."""
    # The sqlite3 module's own transaction handling leaves DDL outside transactions (a
    # migration must be atomic) and cannot begin IMMEDIATE: _on_sqlite_begin begins instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    writer = connection.get_execution_options().get(WRITER, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


class Checkpointer:
    """Copies SQLite's WAL into the database file every ``interval_s``, from a thread of its
    own: the fsyncs of a checkpoint would otherwise stall every few dozen saves."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], interval_s: float = CHECKPOINT_INTERVAL_S
    ) -> None:
        """``connect``: a new connection to the journal, for the thread's own use."""
        self._connect = connect
        self._interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            connection = self._connect()
        except sqlite3.Error as exc:
            logger.warning("journal checkpoints off: %s", exc)
            return
        try:
            while not self._stopped.wait(self._interval_s):
                try:
                    # PASSIVE: copy what no reader still needs, never wait for anyone.
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:
                    # Not fatal: the writer's automatic checkpoints are the backstop.
                    logger.warning("journal checkpoint failed: %s", exc)
        finally:
            connection.close()
