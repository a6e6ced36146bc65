"""Re-applying the directory to calls already in the journal, in SQL.

The snapshot's lookups go into temporary tables (extension → agent, queue number → queue,
tracked-number form → tracked number); one UPDATE per range of call ids then sets the six
directory columns with correlated lookups that follow the rules of ``snapshot`` exactly,
and touches only the rows whose verdict differs (so its row count is "calls changed").
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

_CALLER = (calls.c.caller_number, calls.c.caller_e164)
_CALLEE = (calls.c.callee_number, calls.c.callee_e164)


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
            new = _verdict_columns()
            differs = sa.or_(
                *(calls.c[name].is_distinct_from(value) for name, value in new.items())
            )
            for start in range(low, high + 1, chunk):
                statement = (
                    calls.update()
                    .where(calls.c.id >= start, calls.c.id < start + chunk, *window, differs)
                    .values(new)
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


def _verdict_columns() -> dict[str, sa.ColumnElement[Any]]:
    """The six directory columns as SQL over the lookup tables (``Snapshot.verdict``)."""
    agent_team = _by_direction(_agent_lookup.c.team_id)
    queue_team = _first(_queue_lookup, _queue_lookup.c.team_id, (*_CALLEE, *_CALLER))
    return {
        "agent_id": _by_direction(_agent_lookup.c.agent_id),
        "team_id": sa.func.coalesce(agent_team, queue_team),
        "queue_id": _first(_queue_lookup, _queue_lookup.c.queue_id, (*_CALLEE, *_CALLER)),
        "tracked_number_id": _first(_tracked_lookup, _tracked_lookup.c.tracked_number_id, _CALLEE),
        "channel": _first(_tracked_lookup, _tracked_lookup.c.channel, _CALLEE),
        "campaign": _first(_tracked_lookup, _tracked_lookup.c.campaign, _CALLEE),
    }


def _by_direction(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """The agent lookup's ``column`` for the side the call's direction names."""
    table = _agent_lookup
    return sa.case(
        (calls.c.direction == Direction.INBOUND.value, _first(table, column, _CALLEE)),
        (calls.c.direction == Direction.OUTBOUND.value, _first(table, column, _CALLER)),
        else_=_first(table, column, (*_CALLER, *_CALLEE)),
    )


def _first(
    table: sa.Table, column: sa.Column[Any], numbers: tuple[sa.Column[Any], ...]
) -> sa.ColumnElement[Any]:
    """``column`` of the lookup row of the first of ``numbers`` that has one."""

    def lookup(what: sa.Column[Any], number: sa.Column[Any]) -> sa.ScalarSelect[Any]:
        return sa.select(what).where(table.c.number == number).scalar_subquery()

    key = table.c.number
    return sa.case(
        *((lookup(key, number).is_not(None), lookup(column, number)) for number in numbers),
        else_=sa.null(),
    )


def _epoch(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)
