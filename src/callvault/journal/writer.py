"""The write path: a call's statements, compiled once per dialect, run on the driver's cursor.

Through a SQLAlchemy ``Connection`` each statement costs 25 to 100 µs of SQLAlchemy's own
work, more than SQLite needs to run it, and its transaction another 50; the engine saves
calls the moment they end, so here SQLAlchemy compiles the SQL and prepares the values (its
bind processors) and the driver runs them on a pooled connection.

Calls not stored yet (every call of a first ingest) go in as one ``executemany`` per table for
the whole transaction; a call saved again is replaced the way a single save does it (row
updated in place, its streams and events deleted and written again).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from callvault.calls.model import Call
from callvault.journal import rows
from callvault.journal.schema import Timestamp, calls, events, streams


def _sqlite_insert(table: sa.Table) -> Any:
    from sqlalchemy.dialects.sqlite import insert

    return insert(table)


def _postgresql_insert(table: sa.Table) -> Any:
    from sqlalchemy.dialects.postgresql import insert

    return insert(table)


UPSERTS: dict[str, Callable[[sa.Table], Any]] = {
    "sqlite": _sqlite_insert,
    "postgresql": _postgresql_insert,
}
"""The backends the journal runs on, with their INSERT that knows ON CONFLICT (each
dialect imported when its journal is opened: PostgreSQL's pulls in asyncio and ssl)."""


SQLITE_TIMESTAMP_PROBES = (
    0.0,
    0.5,
    1_234_567_890.000001,
    1_700_000_000.123456,
    4_102_444_799.999999,
)
"""Moments on which ``DriverStatement.compile`` checks the fused timestamp processor against
SQLAlchemy's own before using it."""

IN_CHUNK = 512
"""Uids per ``IN (…)`` when looking calls up by uid (well under every bind limit); shorter
lists are padded to a power of two, so a handful of statements serve every length."""


def _sqlite_timestamp(value: Any) -> str | None:
    """``Timestamp``'s bind processor on SQLite and the DATETIME one after it, fused: the UTC
    moment as SQLAlchemy's text, built in one step (the chain of the two costs 4 µs a value,
    and a call has ten)."""
    if value is None:
        return None
    moment = (
        value.astimezone(UTC) if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    )
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 - SQLAlchemy's own format
        moment.year, moment.month, moment.day,
        moment.hour, moment.minute, moment.second, moment.microsecond,
    )  # fmt: skip


def _bind_processor(
    bind_type: sa.types.TypeEngine[Any], dialect: Dialect
) -> Callable[[Any], Any] | None:
    """The bind processor of a column type: the fused one for timestamps on SQLite when it
    gives SQLAlchemy's text for every probe, else SQLAlchemy's."""
    process = bind_type.dialect_impl(dialect).bind_processor(dialect)
    if (
        process is not None
        and isinstance(bind_type, Timestamp)
        and dialect.name == "sqlite"
        and all(process(v) == _sqlite_timestamp(v) for v in SQLITE_TIMESTAMP_PROBES)
    ):
        return _sqlite_timestamp
    return process


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """SQL in the driver's parameter style, with the names and bind processors of its
    parameters in order."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    _values: Callable[[Mapping[str, Any]], tuple[Any, ...]] = field(init=False, repr=False)
    _processed: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A row's values are taken in one C call; only the few columns with a processor
        # (timestamps, booleans, floats) are touched one by one.
        names = self.names
        values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        processed = tuple((i, p) for i, p in enumerate(self.processors) if p is not None)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_processed", processed)

    @classmethod
    def compile(cls, statement: sa.ClauseElement, dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup or compiled.binds)
        processors = tuple(_bind_processor(compiled.binds[name].type, dialect) for name in names)
        return cls(compiled.string, names, processors, positional)

    def params(self, row: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = list(self._values(row))
        for i, process in self._processed:
            values[i] = process(values[i])
        return values if self.positional else dict(zip(self.names, values, strict=True))


class CallWriter:
    """Writes calls (row, streams, events) in transactions of its own."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self._engine = engine
        self._dialect = dialect
        self._begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None
        self._bulk = dialect.name == "sqlite"
        """Whether new calls go in with ``executemany``: only where the transaction holds
        the write lock from its start (SQLite's BEGIN IMMEDIATE), so that calls found not
        stored stay so until the commit; elsewhere a concurrent writer could store one in
        between, and every call takes the one-by-one path that replaces what it finds."""

        def insert(table: sa.Table) -> sa.Insert:
            return table.insert().values(
                {c: sa.bindparam(c.name) for c in table.c if c.name != "id"}
            )

        self._upsert = DriverStatement.compile(_upsert(dialect.name), dialect)
        self._delete_streams = DriverStatement.compile(_delete_children(streams), dialect)
        self._delete_events = DriverStatement.compile(_delete_children(events), dialect)
        self._insert_call = DriverStatement.compile(insert(calls), dialect)
        self._insert_stream = DriverStatement.compile(insert(streams), dialect)
        self._insert_event = DriverStatement.compile(insert(events), dialect)
        self._ids_by_uid: dict[int, DriverStatement] = {}

    def write(self, calls: Sequence[Call]) -> list[int]:
        """Insert or replace calls (by uid) in one transaction; return and set their ids."""
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self._begin is not None:
                cursor.execute(self._begin)
            if self._bulk and calls and self._all_new(cursor, calls):
                ids = self._insert_new(cursor, calls)
            else:
                ids = [self._write(cursor, call, created_at=time.time()) for call in calls]
            connection.commit()
        finally:
            connection.close()  # back to the pool, which rolls back what was not committed
        for call, call_id in zip(calls, ids, strict=True):
            call.id = call_id
        return ids

    def _write(self, cursor: Any, call: Call, created_at: float) -> int:
        cursor.execute(self._upsert.sql, self._upsert.params(rows.call_row(call, created_at)))
        call_id: int = cursor.fetchone()[0]
        key = {"call_id": call_id}
        cursor.execute(self._delete_streams.sql, self._delete_streams.params(key))
        cursor.execute(self._delete_events.sql, self._delete_events.params(key))
        if call.streams:
            stream_rows = rows.stream_rows(call_id, call.streams)
            cursor.executemany(
                self._insert_stream.sql, [self._insert_stream.params(r) for r in stream_rows]
            )
        if call.events:
            event_rows = rows.event_rows(call_id, call)
            cursor.executemany(
                self._insert_event.sql, [self._insert_event.params(r) for r in event_rows]
            )
        return call_id

    def _all_new(self, cursor: Any, calls: Sequence[Call]) -> bool:
        """Whether no two calls share a uid and none is stored yet."""
        uids = [call.uid for call in calls]
        return len(set(uids)) == len(uids) and not self._ids(cursor, uids)

    def _insert_new(self, cursor: Any, calls: Sequence[Call]) -> list[int]:
        """Calls none of which is stored: the rows of each table in one ``executemany``, in
        the order (and so with the ids) that saving them one by one gives."""
        statement = self._insert_call
        cursor.executemany(
            statement.sql, [statement.params(rows.call_row(c, time.time())) for c in calls]
        )
        found = self._ids(cursor, [call.uid for call in calls])
        ids = [found[call.uid] for call in calls]
        statement = self._insert_stream
        stream_params = [
            statement.params(row)
            for call, call_id in zip(calls, ids, strict=True)
            if call.streams
            for row in rows.stream_rows(call_id, call.streams)
        ]
        if stream_params:
            cursor.executemany(statement.sql, stream_params)
        statement = self._insert_event
        event_params = [
            statement.params(row)
            for call, call_id in zip(calls, ids, strict=True)
            if call.events
            for row in rows.event_rows(call_id, call)
        ]
        if event_params:
            cursor.executemany(statement.sql, event_params)
        return ids

    def _ids(self, cursor: Any, uids: Sequence[str]) -> dict[str, int]:
        """The journal ids of those of ``uids`` that are stored."""
        found: dict[str, int] = {}
        for at in range(0, len(uids), IN_CHUNK):
            chunk = list(uids[at : at + IN_CHUNK])
            size = 1 << (len(chunk) - 1).bit_length()
            statement = self._ids_by_uid.get(size)
            if statement is None:
                statement = DriverStatement.compile(_ids_by_uid(size), self._dialect)
                self._ids_by_uid[size] = statement
            chunk += chunk[-1:] * (size - len(chunk))  # a repeated uid changes nothing
            params = dict(zip(statement.names, chunk, strict=True))
            cursor.execute(statement.sql, statement.params(params))
            found.update(cursor.fetchall())
        return found


def _upsert(dialect: str) -> sa.ClauseElement:
    """INSERT … ON CONFLICT (uid) DO UPDATE … RETURNING id: a stored uid keeps its id, its
    ``created_at`` and its annotations (comment, outcome, tags), and what it reported
    (wrap-up, CSAT) unless the new save reports it too."""
    statement = UPSERTS[dialect](calls)
    kept = {"id", "uid", "created_at", *rows.ANNOTATION_COLUMNS}
    return (
        statement.values({c: sa.bindparam(c.name) for c in calls.c if c.name != "id"})
        .on_conflict_do_update(
            index_elements=[calls.c.uid],
            set_={
                c.name: (
                    sa.func.coalesce(statement.excluded[c.name], c)
                    if c.name in rows.REPORTED_COLUMNS
                    else statement.excluded[c.name]
                )
                for c in calls.c
                if c.name not in kept
            },
        )
        .returning(calls.c.id)
    )


def _delete_children(table: sa.Table) -> sa.ClauseElement:
    return table.delete().where(table.c.call_id == sa.bindparam("call_id"))


def _ids_by_uid(size: int) -> sa.ClauseElement:
    """SELECT uid, id FROM calls WHERE uid IN (``size`` parameters)."""
    uids = [sa.bindparam(f"uid_{i}", type_=sa.Text) for i in range(size)]
    return sa.select(calls.c.uid, calls.c.id).where(calls.c.uid.in_(uids))
