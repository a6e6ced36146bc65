"""The write path: a call's statements, prepared once, run on the driver's cursor.

Through a SQLAlchemy ``Connection`` each statement costs 25 to 100 µs of SQLAlchemy's own
work, more than SQLite needs to run it, and its transaction another 50; the engine saves
calls the moment they end, so here the statements and their values are prepared once and
the driver runs them. On SQLite they are written out here from the journal's own columns
(``PRAGMA table_info``: each column's declared type gives its value conversion), so a
capture goes into a SQLite journal without importing SQLAlchemy (≈ 0.3 CPU-s of start-up);
``tests/journal/test_sqlite_statements.py`` holds them to what SQLAlchemy compiles. On
PostgreSQL SQLAlchemy compiles them and prepares the values (its bind processors).

Calls not stored yet (every call of a first ingest) go in together for the whole transaction
(``calls`` rows 16 to an INSERT, streams and events in one ``executemany`` each); a call saved
again is replaced the way a single save does it (row updated in place, its streams and events
deleted and written again).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from callvault.calls.model import Call
from callvault.journal import rows

if TYPE_CHECKING:  # SQLAlchemy is imported where a statement is compiled
    import sqlalchemy as sa
    from sqlalchemy.engine import Dialect, Engine


class Connections(Protocol):
    """Where ``CallWriter`` gets the driver's connection for a transaction."""

    name: str
    """The dialect: "sqlite" or "postgresql"."""

    def acquire(self) -> Any: ...

    def release(self, connection: Any) -> None: ...


class EngineConnections:
    """The pooled connections of a SQLAlchemy engine; its dialect compiles the statements."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.dialect.name

    def acquire(self) -> Any:
        return self.engine.raw_connection()

    def release(self, connection: Any) -> None:
        connection.close()  # back to the pool


class SqliteConnection:
    """One sqlite3 connection (``engine.connect_sqlite``), kept open; its owner serialises
    the transactions on it."""

    name = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def acquire(self) -> sqlite3.Connection:
        return self.connection

    def release(self, connection: Any) -> None:
        pass


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

MAX_PARAMETERS = 999
"""Parameters one statement may bind on every SQLite (the limit before SQLite 3.32)."""

CALLS_PER_INSERT = 1 << (MAX_PARAMETERS // len(rows.CALL_COLUMNS)).bit_length() - 1
"""Most ``calls`` rows in one INSERT of the bulk path (a power of two): SQLite keeps a
statement journal for every statement on ``calls`` (its trigger), and a multi-row INSERT
copies each page it changes there once rather than once per row (≈ 15 µs a call)."""

_NULL_ADAPTER = {}.get
"""The sqlite3 module's adapter for None: None again, bound as NULL (``CallWriter``)."""

IN_CHUNK = 512
"""Uids per ``IN (…)`` when looking calls up by uid (well under every bind limit); shorter
lists are padded to a power of two, so a handful of statements serve every length."""


_SECOND_TEXT: dict[float, str] = {}
"""A UTC second's text up to its fraction ("2026-11-23 01:22:05."): a capture's calls share
a few hundred seconds, and building the text is most of a timestamp's cost."""
_SECOND_TEXT_MAX = 4096


def _sqlite_timestamp(value: Any) -> str | None:
    """``Timestamp``'s bind processor on SQLite and the DATETIME one after it, fused: the UTC
    moment as SQLAlchemy's text (the chain of the two costs 4 µs a value, and a call has
    ten). The microseconds are rounded as ``datetime.fromtimestamp`` rounds them."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        return _second_text(moment) + "%06d" % moment.microsecond  # noqa: UP031
    fraction, second = math.modf(value)
    micro = round(fraction * 1e6)  # half to even, as fromtimestamp does
    if not 0 <= micro < 1_000_000:
        carry = micro // 1_000_000
        second += carry
        micro -= carry * 1_000_000
    text = _SECOND_TEXT.get(second)
    if text is None:
        if len(_SECOND_TEXT) >= _SECOND_TEXT_MAX:
            _SECOND_TEXT.clear()
        text = _second_text(datetime.fromtimestamp(second, UTC))
        _SECOND_TEXT[second] = text
    return text + "%06d" % micro  # noqa: UP031 - the fastest of the spellings


def _second_text(moment: datetime) -> str:
    """SQLAlchemy's DATETIME text of ``moment`` up to its fraction."""
    return "%04d-%02d-%02d %02d:%02d:%02d." % (  # noqa: UP031 - SQLAlchemy's own format
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
    )  # fmt: skip


_BOOLEANS = (None, True, False)


def _sqlite_boolean(value: Any) -> int | None:
    """SQLAlchemy's Boolean bind processor on SQLite: 1, 0 or None, anything else refused."""
    if value not in _BOOLEANS:
        if isinstance(value, int):
            raise ValueError(f"Value {value!r} is not None, True, or False")
        raise TypeError(f"Not a boolean value: {value!r}")
    return None if value is None else int(value)


def _sqlite_float(value: Any) -> float | None:
    """SQLAlchemy's Float bind processor on SQLite."""
    return None if value is None else float(value)


SQLITE_PROCESSORS: dict[str, Callable[[Any], Any]] = {
    "DATETIME": _sqlite_timestamp,
    "BOOLEAN": _sqlite_boolean,
    "FLOAT": _sqlite_float,
}
"""The value conversion of a SQLite column by its declared type, as SQLAlchemy's bind
processors for the journal's column types do it; other types bind as they are."""


def sqlite_insert(cursor: Any, table: str, columns: Sequence[str]) -> DriverStatement:
    """INSERT INTO ``table`` of ``columns`` (parameters in their order) on SQLite, as
    SQLAlchemy compiles it, each value converted as the column's declared type says."""
    declared = {row[1]: row[2].upper() for row in cursor.execute(f"PRAGMA table_info({table})")}
    missing = [name for name in columns if name not in declared]
    if missing:
        raise sqlite3.OperationalError(f"table {table} has no column {missing[0]}")
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    processors = tuple(SQLITE_PROCESSORS.get(declared[name]) for name in columns)
    return DriverStatement(sql, tuple(columns), processors, positional=True)


def sqlite_upsert(insert: DriverStatement) -> DriverStatement:
    """``_upsert`` on SQLite, as SQLAlchemy compiles it, from the INSERT of a ``calls`` row
    (``sqlite_insert``)."""
    kept = {"uid", "created_at", *rows.ANNOTATION_COLUMNS}
    updates = ", ".join(
        f"{name} = coalesce(excluded.{name}, calls.{name})"
        if name in rows.REPORTED_COLUMNS
        else f"{name} = excluded.{name}"
        for name in insert.names
        if name not in kept
    )
    sql = f"{insert.sql} ON CONFLICT (uid) DO UPDATE SET {updates} RETURNING id"
    return DriverStatement(sql, insert.names, insert.processors, positional=True)


def sqlite_delete_children(table: str) -> DriverStatement:
    """DELETE of a call's rows in ``table`` on SQLite, as SQLAlchemy compiles it."""
    sql = f"DELETE FROM {table} WHERE {table}.call_id = ?"
    return DriverStatement(sql, ("call_id",), (None,), positional=True)


SQLITE_IDS_BY_UID = ("SELECT calls.uid, calls.id \nFROM calls \nWHERE calls.uid IN ", "")
"""``_ids_sql``'s SQL before and after its list of parameters on SQLite."""


def _bind_processor(
    bind_type: sa.types.TypeEngine[Any], dialect: Dialect
) -> Callable[[Any], Any] | None:
    """The bind processor of a column type: the fused one for timestamps on SQLite when it
    gives SQLAlchemy's text for every probe, else SQLAlchemy's."""
    from callvault.journal.schema import Timestamp

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
    _processed: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Only the few columns with a processor (timestamps, booleans, floats) are touched
        # one by one.
        processed = tuple((i, p) for i, p in enumerate(self.processors) if p is not None)
        object.__setattr__(self, "_processed", processed)

    @classmethod
    def compile(
        cls,
        statement: sa.ClauseElement,
        dialect: Dialect,
        column_keys: Sequence[str] | None = None,
    ) -> DriverStatement:
        """``statement`` compiled for ``dialect``; an INSERT's ``column_keys`` are the columns
        it gives values for, a parameter each."""
        from sqlalchemy.sql.compiler import SQLCompiler

        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        assert isinstance(compiled, SQLCompiler)
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup or compiled.binds)
        processors = tuple(_bind_processor(compiled.binds[name].type, dialect) for name in names)
        return cls(compiled.string, names, processors, positional)

    def params(self, row: Sequence[Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for ``row``, the values of ``names`` in their order."""
        values = list(row)
        for i, process in self._processed:
            values[i] = process(values[i])
        return values if self.positional else dict(zip(self.names, values, strict=True))


class CallWriter:
    """Writes calls (row, streams, events) in transactions of its own."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self._sqlite = connections.name == "sqlite"
        if self._sqlite:
            # The sqlite3 module looks for an adapter for every parameter that is not exactly
            # an int, float, str or bytearray, None included, and a miss costs ≈ 3,300
            # instructions (it formats two AttributeErrors); a call's row has ≈ 25 None. With
            # one registered for None the lookup finds it at once, and None is still bound
            # as NULL: the same for every connection in the process.
            sqlite3.register_adapter(type(None), _NULL_ADAPTER)
        self._begin = "BEGIN IMMEDIATE" if self._sqlite else None
        self._bulk = self._sqlite
        """Whether new calls go in together (``_insert_new``): only where the transaction
        holds the write lock from its start (SQLite's BEGIN IMMEDIATE), so that calls found
        not stored stay so until the commit; elsewhere a concurrent writer could store one
        in between, and every call takes the one-by-one path that replaces what it finds."""
        self._inserts: tuple[DriverStatement, DriverStatement, DriverStatement] | None = None
        """The INSERTs of a call, a stream and an event: prepared at the first write."""
        self._insert_calls: dict[int, str] = {}
        """SQLite's INSERTs of ``calls`` rows by their number of rows."""
        self._ids_by_uid: dict[int, str] = {}
        """SQLite's SELECTs of stored uids and their ids by the number of uids."""

    # The one-by-one path's statements are compiled when first used (≈ 9 ms): a first
    # ingest never takes it.

    @cached_property
    def _dialect(self) -> Dialect:
        """SQLAlchemy's dialect, for the statements it compiles (not on SQLite's own
        connection: its statements are written out, ``sqlite_insert``)."""
        assert isinstance(self._connections, EngineConnections), "SQLite's are written out"
        return self._connections.engine.dialect

    @cached_property
    def _upsert(self) -> DriverStatement:
        if self._sqlite:
            return sqlite_upsert(self._insert_call)
        return self._compile(_upsert(self._connections.name), rows.CALL_COLUMNS)

    @cached_property
    def _delete_streams(self) -> DriverStatement:
        if self._sqlite:
            return sqlite_delete_children("streams")
        from callvault.journal.schema import streams

        return self._compile(_delete_children(streams), ("call_id",))

    @cached_property
    def _delete_events(self) -> DriverStatement:
        if self._sqlite:
            return sqlite_delete_children("events")
        from callvault.journal.schema import events

        return self._compile(_delete_children(events), ("call_id",))

    def _compile(self, statement: sa.ClauseElement, names: Sequence[str]) -> DriverStatement:
        compiled = DriverStatement.compile(statement, self._dialect)
        assert compiled.names == tuple(names), "parameters out of the rows' order"
        return compiled

    def _prepare_inserts(
        self, cursor: Any
    ) -> tuple[DriverStatement, DriverStatement, DriverStatement]:
        if self._inserts is None:
            tables = (("calls", rows.CALL_COLUMNS), ("streams", rows.STREAM_COLUMNS),
                      ("events", rows.EVENT_COLUMNS))  # fmt: skip
            if self._sqlite:
                made = [sqlite_insert(cursor, table, columns) for table, columns in tables]
            else:
                from callvault.journal import schema

                made = [self._compile_insert(getattr(schema, table), columns)
                        for table, columns in tables]  # fmt: skip
            self._inserts = (made[0], made[1], made[2])
        return self._inserts

    @property
    def _insert_call(self) -> DriverStatement:
        assert self._inserts is not None, "prepared by write"
        return self._inserts[0]

    @property
    def _insert_stream(self) -> DriverStatement:
        assert self._inserts is not None, "prepared by write"
        return self._inserts[1]

    @property
    def _insert_event(self) -> DriverStatement:
        assert self._inserts is not None, "prepared by write"
        return self._inserts[2]

    def _compile_insert(self, table: sa.Table, columns: Sequence[str]) -> DriverStatement:
        """INSERT INTO ``table`` of ``columns``, their parameters in that order. Compiled from
        the column keys: VALUES of as many bind parameters took SQLAlchemy twice as long
        (≈ 4 ms for the three tables when a journal is opened)."""
        compiled = DriverStatement.compile(table.insert(), self._dialect, column_keys=columns)
        assert compiled.names == tuple(columns), "parameters out of the rows' order"
        return compiled

    def write(self, calls: Sequence[Call]) -> list[int]:
        """Insert or replace calls (by uid) in one transaction; return and set their ids."""
        connection = self._connections.acquire()
        try:
            cursor = connection.cursor()
            if self._sqlite:
                # A statement on ``calls`` runs its trigger, so SQLite keeps a statement
                # journal of the pages it changes; a row's pages (17 indexes) pass the 64 KiB
                # that SQLite holds in memory, and each row then wrote ≈ 45 pages to a temp
                # file (≈ 60 µs a call). In memory only while this connection writes: its
                # readers' sorts and temporary tables may be large.
                temp_store = cursor.execute("PRAGMA temp_store").fetchone()[0]
                cursor.execute("PRAGMA temp_store=MEMORY")
            try:
                if self._begin is not None:
                    cursor.execute(self._begin)
                self._prepare_inserts(cursor)
                if self._bulk and calls and self._all_new(cursor, calls):
                    ids = self._insert_new(cursor, calls)
                else:
                    ids = [self._write(cursor, call, created_at=time.time()) for call in calls]
                connection.commit()
            except BaseException:
                connection.rollback()  # before temp_store changes back: not in a transaction
                raise
            finally:
                if self._sqlite:
                    cursor.execute(f"PRAGMA temp_store={int(temp_store)}")
            cursor.close()
        finally:
            self._connections.release(connection)
        for call, call_id in zip(calls, ids, strict=True):
            call.id = call_id
        return ids

    def _write(self, cursor: Any, call: Call, created_at: float) -> int:
        cursor.execute(self._upsert.sql, self._upsert.params(rows.call_values(call, created_at)))
        call_id: int = cursor.fetchone()[0]
        key = (call_id,)
        cursor.execute(self._delete_streams.sql, self._delete_streams.params(key))
        cursor.execute(self._delete_events.sql, self._delete_events.params(key))
        if call.streams:
            stream_rows = rows.stream_values(call_id, call.streams)
            cursor.executemany(
                self._insert_stream.sql, [self._insert_stream.params(r) for r in stream_rows]
            )
        if call.events:
            event_rows = rows.event_values(call_id, call)
            cursor.executemany(
                self._insert_event.sql, [self._insert_event.params(r) for r in event_rows]
            )
        return call_id

    def _all_new(self, cursor: Any, calls: Sequence[Call]) -> bool:
        """Whether no two calls share a uid and none is stored yet."""
        uids = [call.uid for call in calls]
        return len(set(uids)) == len(uids) and not self._ids(cursor, uids)

    def _insert_new(self, cursor: Any, calls: Sequence[Call]) -> list[int]:
        """Calls none of which is stored: the rows of each table in as few statements as
        SQLite takes, in the order (and so with the ids) that saving them one by one gives."""
        statement = self._insert_call
        call_params = [statement.params(rows.call_values(c, time.time())) for c in calls]
        at = 0
        while at < len(call_params):
            count = min(CALLS_PER_INSERT, 1 << (len(call_params) - at).bit_length() - 1)
            values = [value for row in call_params[at : at + count] for value in row]
            cursor.execute(self._insert_calls_sql(count), values)
            at += count
        found = self._ids(cursor, [call.uid for call in calls])
        ids = [found[call.uid] for call in calls]
        statement = self._insert_stream
        stream_params = [
            statement.params(row)
            for call, call_id in zip(calls, ids, strict=True)
            if call.streams
            for row in rows.stream_values(call_id, call.streams)
        ]
        if stream_params:
            cursor.executemany(statement.sql, stream_params)
        statement = self._insert_event
        event_params = [
            statement.params(row)
            for call, call_id in zip(calls, ids, strict=True)
            if call.events
            for row in rows.event_values(call_id, call)
        ]
        if event_params:
            cursor.executemany(statement.sql, event_params)
        return ids

    def _insert_calls_sql(self, count: int) -> str:
        """The INSERT of ``count`` ``calls`` rows, parameters row after row: the one-row
        INSERT's VALUES repeated (SQLAlchemy takes ≈ 45 ms to compile 16 rows of them)."""
        sql = self._insert_calls.get(count)
        if sql is None:
            head, values, row = self._insert_call.sql.rpartition(" VALUES ")
            assert row == f"({', '.join('?' * len(rows.CALL_COLUMNS))})", "not one row of ?"
            sql = self._insert_calls[count] = head + values + ", ".join([row] * count)
        return sql

    def _ids(self, cursor: Any, uids: Sequence[str]) -> dict[str, int]:
        """The journal ids of those of ``uids`` that are stored (SQLite)."""
        found: dict[str, int] = {}
        for at in range(0, len(uids), IN_CHUNK):
            chunk = list(uids[at : at + IN_CHUNK])
            size = 1 << (len(chunk) - 1).bit_length()
            chunk += chunk[-1:] * (size - len(chunk))  # a repeated uid changes nothing
            cursor.execute(self._ids_sql(size), chunk)
            found.update(cursor.fetchall())
        return found

    def _ids_sql(self, size: int) -> str:
        """SQLite's SELECT uid, id FROM calls WHERE uid IN (``size`` parameters): the
        one-uid SELECT's list lengthened (SQLAlchemy takes ≈ 3 ms to compile 64 of them)."""
        sql = self._ids_by_uid.get(size)
        if sql is None:
            head, tail = SQLITE_IDS_BY_UID
            sql = self._ids_by_uid[size] = f"{head}({', '.join('?' * size)}){tail}"
        return sql


def _upsert(dialect: str) -> sa.ClauseElement:
    """INSERT … ON CONFLICT (uid) DO UPDATE … RETURNING id: a stored uid keeps its id, its
    ``created_at`` and its annotations (comment, outcome, tags), and what it reported
    (wrap-up, CSAT) unless the new save reports it too."""
    import sqlalchemy as sa

    from callvault.journal.schema import calls

    statement = UPSERTS[dialect](calls)
    kept = {"id", "uid", "created_at", *rows.ANNOTATION_COLUMNS}
    return (
        _insert_values(statement, rows.CALL_COLUMNS)
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


def _insert_values(statement: Any, columns: Sequence[str]) -> Any:
    """``statement`` (an INSERT) with one parameter per column, in the order of ``columns``."""
    import sqlalchemy as sa

    table = statement.table
    return statement.values({table.c[name]: sa.bindparam(name) for name in columns})


def _delete_children(table: sa.Table) -> sa.ClauseElement:
    import sqlalchemy as sa

    return table.delete().where(table.c.call_id == sa.bindparam("call_id"))
