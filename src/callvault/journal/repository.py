"""The journal: the one writer of calls, and their readers."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from callvault.calls.model import Call
from callvault.errors import JournalError
from callvault.journal import migrate, rows
from callvault.journal.engine import (
    WRITER,
    Checkpointer,
    connect_sqlite,
    create_engine,
    is_sqlite_file,
    sqlite_file,
)
from callvault.journal.writer import UPSERTS, CallWriter, EngineConnections, SqliteConnection

if TYPE_CHECKING:  # SQLAlchemy is imported when the journal is first read (``queries``)
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection, Engine

    from callvault.directory.snapshot import Snapshot
    from callvault.journal.filters import CallFilter

DIRECTORY_REFRESH_S = 5.0
"""How old the writer's directory lookups may grow before they are read again (changes
this process makes reach them at once)."""

logger = logging.getLogger(__name__)

SavedListener = Callable[[Sequence[Call]], None]
"""Told the calls (ids set) of each commit of ``Journal.save_many``."""
AnnotatedListener = Callable[[int, tuple[str, ...]], None]
"""Told the journal id of an annotated call and the annotations set, after the commit."""

AUDIT_ACTIONS: Final = (
    "playback",
    "download",
    "export",
    "annotate",
    "recording_control",
    "evaluate",
)
"""What the audit trail records."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()
"""``Journal.annotate``'s default: leave this annotation as it is (None clears it)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: float
    username: str
    action: str
    call_id: int | None
    detail: str | None
    client: str | None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: float | None = None
    until: float | None = None
    username: str | None = None
    action: str | None = None
    limit: int | None = None
    offset: int = 0

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        from callvault.journal.queries import audit_conditions

        return audit_conditions(self)


@dataclass(frozen=True, slots=True)
class CallPage:
    """A page of the call list: its calls and the cursor that continues after them."""

    calls: list[Call]
    next_cursor: str | None


class Journal:
    """The call journal: one row per call with its media streams and events.

    ``save`` is the one write path; it is idempotent on ``Call.uid`` and thread-safe.
    Readers never block it (SQLite in WAL mode; PostgreSQL's MVCC).

    A SQLite file's calls are written on a sqlite3 connection of the journal's own, and
    its SQLAlchemy engine (for reading, annotations, and what keeps its tables beside the
    calls) is made when first used: ``callvault ingest`` never imports SQLAlchemy.
    """

    def __init__(
        self,
        url: str,
        *,
        engine: Engine | None = None,
        sqlite: tuple[Path, sqlite3.Connection] | None = None,
    ) -> None:
        """Use ``Journal.open``: the journal at ``url``, already migrated, written through
        ``engine`` or, for a SQLite file, ``sqlite`` (its path and a connection from
        ``engine.connect_sqlite``, which the journal then owns)."""
        self._url = url
        self._engine = engine
        self._engine_lock = threading.Lock()
        self._directory: Snapshot | None = None
        self._directory_loaded_at = 0.0
        self._write_lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._checkpointer: Checkpointer | None = None
        if sqlite is not None:
            path, self._sqlite = sqlite
            self._call_writer = CallWriter(SqliteConnection(self._sqlite))
            self._write_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
            self._checkpointer = Checkpointer(partial(connect_sqlite, path))
        else:
            assert engine is not None, "a journal writes through an engine or a connection"
            from sqlalchemy.exc import SQLAlchemyError

            self._call_writer = CallWriter(EngineConnections(engine))
            self._write_errors = (SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
            if is_sqlite_file(engine.url):
                self._checkpointer = Checkpointer(engine.raw_connection)
        self._saved_listeners: list[SavedListener] = []
        self._annotated_listeners: list[AnnotatedListener] = []

    @classmethod
    def open(cls, url: str) -> Journal:
        """Open (creating and migrating as needed) the journal at a SQLAlchemy URL."""
        path = sqlite_file(url)
        if path is None:
            return cls(url, engine=_migrated_engine(url))
        try:
            connection = connect_sqlite(path)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"cannot open the journal at {url}: {_reason(exc)}") from exc
        try:
            # At the head already, or new: no Alembic, no SQLAlchemy. Else Alembic migrates.
            engine = None if migrate.open_sqlite(connection) else _migrated_engine(url)
        except BaseException as exc:
            connection.close()
            if isinstance(exc, sqlite3.Error):
                raise JournalError(f"cannot open the journal at {url}: {_reason(exc)}") from exc
            raise
        return cls(url, engine=engine, sqlite=(path, connection))

    @property
    def engine(self) -> Engine:
        """The journal's engine (its own pool), for what keeps its tables beside the calls
        or reads them in bulk: webhooks, analytics. Made on first use."""
        engine = self._engine
        if engine is None:
            with self._engine_lock:
                if self._engine is None:
                    import sqlalchemy as sa

                    self._engine = create_engine(sa.make_url(self._url))
                engine = self._engine
        return engine

    @property
    def url(self) -> str:
        """The journal's URL, password hidden."""
        if self._sqlite is not None:
            return self._url
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._sqlite is not None:
            with self._write_lock:
                self._sqlite.close()
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------

    def save(self, call: Call) -> int:
        """Store ``call`` and commit; return (and set) its ``id``.

        A call whose uid is already stored replaces that row in place (same id) together
        with all its streams and events."""
        return self.save_many((call,))[0]

    def save_many(self, calls: Iterable[Call], *, batch: int = 500) -> list[int]:
        """Store calls, committing every ``batch`` calls; return (and set) their ids.

        The directory assigns each call first (agent, team, queue, tracked number:
        ``callvault.directory.snapshot``), from lookups reloaded when this process changed
        the directory and, for changes made elsewhere, every ``DIRECTORY_REFRESH_S``."""
        ids: list[int] = []
        pending = iter(calls)
        while chunk := list(islice(pending, batch)):
            snapshot = self._directory_snapshot()
            if snapshot is not None:
                for call in chunk:
                    snapshot.assign(call)
            with self._write_lock:
                try:
                    ids += self._call_writer.write(chunk)
                except self._write_errors as exc:
                    raise JournalError(f"cannot write to the journal: {_reason(exc)}") from exc
            for saved in self._saved_listeners:
                _tell(saved, chunk)
        return ids

    def plain_query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of ``sql``, a query without parameters written alike for SQLite and
        PostgreSQL, run on the driver: what saving reads (the directory, the webhooks)
        without SQLAlchemy. Raises the driver's errors."""
        if self._sqlite is not None:
            with self._write_lock:
                return self._sqlite.execute(sql).fetchall()
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def annotate(
        self,
        call_id: int,
        *,
        comment: str | _Unchanged | None = UNCHANGED,
        outcome: str | _Unchanged | None = UNCHANGED,
        tags: Sequence[str] | _Unchanged | None = UNCHANGED,
    ) -> bool:
        """Set the annotations given (None clears one; the others stay as they are) on the
        call with journal id ``call_id``; False when there is no such call."""
        from callvault.journal.schema import calls

        values: dict[str, Any] = {}
        if not isinstance(comment, _Unchanged):
            values["comment"] = comment
        if not isinstance(outcome, _Unchanged):
            values["outcome"] = outcome
        if not isinstance(tags, _Unchanged):
            values["tags"] = rows.tags_text(tags or ())
        # Nothing to set still tells whether the call exists.
        statement = calls.update().where(calls.c.id == call_id).values(values or {"id": calls.c.id})
        with self._writing() as connection:
            found = connection.execute(statement).rowcount > 0
        if found and values:
            for annotated in self._annotated_listeners:
                _tell(annotated, call_id, tuple(values))
        return found

    def on_saved(self, listener: SavedListener) -> None:
        """Call ``listener(calls)`` after each commit of saved calls (webhooks enqueue there).
        A listener's error is logged, never raised: the calls are stored by then."""
        self._saved_listeners.append(listener)

    def on_annotated(self, listener: AnnotatedListener) -> None:
        """Call ``listener(call_id, names)`` after annotations are committed on a call."""
        self._annotated_listeners.append(listener)

    def record_audit(
        self,
        username: str,
        action: str,
        *,
        call_id: int | None = None,
        detail: str | None = None,
        client: str | None = None,
        at: float | None = None,
    ) -> int:
        """Append an entry to the audit trail; return its id."""
        from callvault.journal.schema import audit

        if action not in AUDIT_ACTIONS:
            accepted = ", ".join(AUDIT_ACTIONS)
            raise ValueError(f"unknown audit action {action!r} (one of: {accepted})")
        statement = audit.insert().values(
            at=time.time() if at is None else at,
            username=username,
            action=action,
            call_id=call_id,
            detail=detail,
            client=client,
        )
        with self._writing() as connection:
            key = connection.execute(statement).inserted_primary_key
        return int(key[0]) if key else 0

    def _directory_snapshot(self) -> Snapshot | None:
        """The directory's lookups, reloaded when stale; None while the directory is empty."""
        # Imported here: the directory package builds on the journal.
        from callvault.directory.snapshot import Snapshot, generation

        now = time.monotonic()
        current = self._directory
        if (
            current is None
            or current.generation != generation()
            or now - self._directory_loaded_at >= DIRECTORY_REFRESH_S
        ):
            try:
                current = Snapshot.load(self.plain_query)
            except self._write_errors as exc:
                raise JournalError(f"cannot read the directory: {_reason(exc)}") from exc
            self._directory, self._directory_loaded_at = current, now
        return None if current.empty else current

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        from sqlalchemy.exc import SQLAlchemyError

        engine = self.engine
        with self._write_lock:
            try:
                with engine.execution_options(**{WRITER: True}).begin() as connection:
                    yield connection
            except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
                raise JournalError(f"cannot write to the journal: {_reason(exc)}") from exc

    # -- reading -------------------------------------------------------------------------

    def list_audit(self, filter: AuditFilter | None = None) -> list[AuditEntry]:
        """Audit entries, newest first."""
        from callvault.journal import queries

        with self._reading() as connection:
            found = queries.list_audit(connection, filter or AuditFilter())
            return [AuditEntry(**row) for row in found]

    def count_audit(self, filter: AuditFilter | None = None) -> int:
        from callvault.journal import queries

        with self._reading() as connection:
            return queries.count_audit(connection, filter or AuditFilter())

    def list_calls(self, filter: CallFilter | None = None) -> list[Call]:
        """The calls ``filter`` selects, with their streams and events, in its order
        (newest first by default), from its cursor on."""
        return self.page_calls(filter).calls

    def page_calls(self, filter: CallFilter | None = None) -> CallPage:
        """One page of the calls ``filter`` selects, and the cursor of the next page (None
        when this one is the last; always None without a limit)."""
        from callvault.journal import queries

        with self._reading() as connection:
            return CallPage(*queries.page_calls(connection, filter))

    def count_calls(self, filter: CallFilter | None = None, *, cap: int | None = None) -> int:
        """How many calls ``filter`` selects, its cursor, limit and offset aside; with
        ``cap``, counting stops past ``cap`` (the answer is then ``cap + 1``): a count
        that stays cheap on a journal of millions of calls."""
        from callvault.journal import queries

        with self._reading() as connection:
            return queries.count_calls(connection, filter, cap)

    def get_call(self, ref: int | str) -> Call | None:
        """The call with this journal id, uid or SIP Call-ID (tried in that order; the most
        recent of several calls with one Call-ID), with its streams and events."""
        from callvault.journal import queries

        with self._reading() as connection:
            return queries.get_call(connection, ref)

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot read the journal: {_reason(exc)}") from exc


def _migrated_engine(url: str) -> Engine:
    """An engine on the journal at ``url``, migrated to the head (Alembic, or the head
    schema for a new SQLite database)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise JournalError(f"cannot open the journal: {url!r} is not a database URL") from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in UPSERTS:
        raise JournalError(
            f"cannot open the journal at {shown}: it runs on SQLite or PostgreSQL, "
            f"not {parsed.get_backend_name()}"
        )
    try:
        engine = create_engine(parsed)
    except (SQLAlchemyError, ImportError, OSError) as exc:
        raise JournalError(f"cannot open the journal at {shown}: {_reason(exc)}") from exc
    try:
        with engine.execution_options(**{WRITER: True}).begin() as connection:
            migrate.upgrade(connection)
    except migrate.CommandError as exc:
        engine.dispose()
        raise JournalError(
            f"cannot open the journal at {shown}: {_reason(exc)} (written by a newer callvault?)"
        ) from exc
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        # The driver's own errors: a new SQLite journal's schema is made on its cursor.
        engine.dispose()
        raise JournalError(f"cannot open the journal at {shown}: {_reason(exc)}") from exc
    return engine


def _tell(listener: Callable[..., None], *args: Any) -> None:
    try:
        listener(*args)
    except Exception:
        logger.exception("journal listener %r failed", listener)


def _reason(exc: BaseException) -> str:
    """One line saying why: the driver's message, not SQLAlchemy's wrapping of it."""
    orig = getattr(exc, "orig", None)  # a DBAPIError's: the driver's own exception
    cause = orig if isinstance(orig, BaseException) else exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
