"""Re-applying the directory to calls already in the journal, in SQL.

The snapshot's lookups go into temporary tables (extension → agent, queue number → queue,
tracked-number form → tracked number); one UPDATE … FROM per range of call ids then sets
the six directory columns from a verdict that joins each party number to each lookup and
follows the rules of ``snapshot`` exactly, touching only the rows whose verdict differs (so
its row count is "calls changed").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from callvault.calls.model import Direction
from callvault.directory.snapshot import Snapshot
from callvault.journal.schema import calls

CHUNK_IDS = 50_000
"""Call ids per UPDATE (and transaction): the journal's writer waits at most one chunk."""

_lookups = sa.MetaData()
_agent_lookup = sa.Table(
    "callvault_reapply_agents",
    _lookups,
    sa.Column("number", sa.Text, primary_key=True),
    sa.Column("agent_id", sa.Integer, nullable=False),
    sa.Column("team_id", sa.Integer),
    prefixes=["TEMPORARY"],
)
_queue_lookup = sa.Table(
    "callvault_reapply_queues",
    _lookups,
    sa.Column("number", sa.Text, primary_key=True),
    sa.Column("queue_id", sa.Integer, nullable=False),
    sa.Column("team_id", sa.Integer),
    prefixes=["TEMPORARY"],
)
_tracked_lookup = sa.Table(
    "callvault_reapply_tracked",
    _lookups,
    sa.Column("number", sa.Text, primary_key=True),
    sa.Column("tracked_number_id", sa.Integer, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("campaign", sa.Text),
    prefixes=["TEMPORARY"],
)

_CALLER = ("caller_number", "caller_e164")
_CALLEE = ("callee_number", "callee_e164")
_PARTIES = (*_CALLER, *_CALLEE)

COLUMNS = ("agent_id", "team_id", "queue_id", "tracked_number_id", "channel", "campaign")
"""The directory's columns of ``calls``."""


def reapply(
    writer: Engine,
    snapshot: Snapshot,
    since: datetime | float | None,
    until: datetime | float | None,
    chunk: int = CHUNK_IDS,
) -> int:
    """Set the directory columns of the calls that started in [since, until) to
    ``snapshot``'s verdict; return how many calls changed."""
    if chunk < 1:
        raise ValueError(f"chunk must be 1 or more, not {chunk}")
    window = []
    if since is not None:
        window.append(calls.c.started_at >= _epoch(since))
    if until is not None:
        window.append(calls.c.started_at < _epoch(until))
    changed = 0
    with writer.connect() as connection:
        with connection.begin():
            low, high = connection.execute(
                sa.select(sa.func.min(calls.c.id), sa.func.max(calls.c.id)).where(*window)
            ).one()
        if low is None:
            return 0
        with connection.begin():
            _fill(connection, snapshot)
        try:
            for start in range(low, high + 1, chunk):
                verdict = _verdict(window, start, start + chunk)
                differs = sa.or_(
                    *(calls.c[name].is_distinct_from(verdict.c[name]) for name in COLUMNS)
                )
                statement = (
                    calls.update()
                    .where(calls.c.id == verdict.c.call_id, differs)
                    .values({name: verdict.c[name] for name in COLUMNS})
                )
                with connection.begin():
                    changed += connection.execute(statement).rowcount
        finally:
            with connection.begin():
                for table in (_agent_lookup, _queue_lookup, _tracked_lookup):
                    table.drop(connection, checkfirst=False)
    return changed


def _fill(connection: Connection, snapshot: Snapshot) -> None:
    for table in (_agent_lookup, _queue_lookup, _tracked_lookup):
        table.create(connection)
    rows: list[tuple[sa.Table, list[dict[str, Any]]]] = [
        (
            _agent_lookup,
            [
                {"number": number, "agent_id": entry.id, "team_id": entry.team_id}
                for number, entry in snapshot.agents.items()
            ],
        ),
        (
            _queue_lookup,
            [
                {"number": number, "queue_id": entry.id, "team_id": entry.team_id}
                for number, entry in snapshot.queues.items()
            ],
        ),
        (
            _tracked_lookup,
            [
                {
                    "number": number,
                    "tracked_number_id": entry.id,
                    "channel": entry.channel,
                    "campaign": entry.campaign,
                }
                for number, entry in snapshot.tracked.items()
            ],
        ),
    ]
    for table, values in rows:
        if values:
            connection.execute(table.insert(), values)
        # Statistics, so that PostgreSQL's planner probes the lookups by their keys.
        connection.exec_driver_sql(f"ANALYZE {table.name}")


def _verdict(window: list[sa.ColumnElement[bool]], start: int, stop: int) -> sa.Subquery:
    """(call id, the six directory columns) for the calls with ids in [start, stop) in the
    window, by the rules of ``Snapshot.verdict``: every party number is joined once to each
    lookup table, and the first number of the rule's order that found a row decides."""
    source = calls.alias("source")
    joined: sa.FromClause = source
    found: dict[tuple[str, str], sa.FromClause] = {}
    for lookup in (_agent_lookup, _queue_lookup, _tracked_lookup):
        for party in _PARTIES:
            hit = lookup.alias(f"{lookup.name}_{party}")
            joined = joined.outerjoin(hit, hit.c.number == source.c[party])
            found[(lookup.name, party)] = hit

    def first(lookup: sa.Table, column: str, parties: tuple[str, ...]) -> sa.ColumnElement[Any]:
        hits = [found[(lookup.name, party)] for party in parties]
        return sa.case(*((hit.c.number.is_not(None), hit.c[column]) for hit in hits))

    def by_direction(column: str) -> sa.ColumnElement[Any]:
        return sa.case(
            (source.c.direction == Direction.INBOUND.value, first(_agent_lookup, column, _CALLEE)),
            (source.c.direction == Direction.OUTBOUND.value, first(_agent_lookup, column, _CALLER)),
            else_=first(_agent_lookup, column, (*_CALLER, *_CALLEE)),
        )

    queue_order = (*_CALLEE, *_CALLER)
    columns = {
        "agent_id": by_direction("agent_id"),
        "team_id": sa.func.coalesce(
            by_direction("team_id"), first(_queue_lookup, "team_id", queue_order)
        ),
        "queue_id": first(_queue_lookup, "queue_id", queue_order),
        "tracked_number_id": first(_tracked_lookup, "tracked_number_id", _CALLEE),
        "channel": first(_tracked_lookup, "channel", _CALLEE),
        "campaign": first(_tracked_lookup, "campaign", _CALLEE),
    }
    return (
        sa.select(source.c.id.label("call_id"), *(v.label(k) for k, v in columns.items()))
        .select_from(joined)
        .where(source.c.id >= start, source.c.id < stop, *_on(source, window))
        .subquery("verdict")
    )


def _on(table: sa.FromClause, window: list[sa.ColumnElement[bool]]) -> list[Any]:
    """The window's conditions on ``calls`` as conditions on its alias ``table``."""
    from sqlalchemy.sql.util import ClauseAdapter

    adapter = ClauseAdapter(table)
    return [adapter.traverse(condition) for condition in window]


def _epoch(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)
