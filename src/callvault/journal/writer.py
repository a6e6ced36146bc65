"""The write path: a call's statements, compiled once per dialect, run on the driver's cursor.

A save is five statements. Through a SQLAlchemy ``Connection`` each costs 25 to 100 µs of
SQLAlchemy's own work, more than SQLite needs to run it, and its transaction another 50;
the engine saves each call the moment it ends, so here SQLAlchemy compiles the SQL and
prepares the values (its bind processors) and the driver runs them on a pooled connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from callvault.calls.model import Call
from callvault.journal import rows
from callvault.journal.schema import calls, events, streams


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


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """SQL in the driver's parameter style, with the names and bind processors of its
    parameters in order."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    @classmethod
    def compile(cls, statement: sa.ClauseElement, dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup or compiled.binds)
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        return cls(compiled.string, names, processors, positional)

    def params(self, row: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = [
            row[name] if process is None else process(row[name])
            for name, process in zip(self.names, self.processors, strict=True)
        ]
        return values if self.positional else dict(zip(self.names, values, strict=True))


class CallWriter:
    """Writes calls (row, streams, events) in transactions of its own."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self._engine = engine
        self._begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None

        def insert(table: sa.Table) -> sa.Insert:
            return table.insert().values(
                {c: sa.bindparam(c.name) for c in table.c if c.name != "id"}
            )

        self._upsert = DriverStatement.compile(_upsert(dialect.name), dialect)
        self._delete_streams = DriverStatement.compile(_delete_children(streams), dialect)
        self._delete_events = DriverStatement.compile(_delete_children(events), dialect)
        self._insert_stream = DriverStatement.compile(insert(streams), dialect)
        self._insert_event = DriverStatement.compile(insert(events), dialect)

    def write(self, calls: Sequence[Call]) -> list[int]:
        """Insert or replace calls (by uid) in one transaction; return and set their ids."""
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self._begin is not None:
                cursor.execute(self._begin)
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
