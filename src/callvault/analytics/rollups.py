"""KPI rollups: the measures of every hour (and local day) per dimension value and team.

Database triggers on ``calls`` (migration 0008) mark the UTC hour of every call written,
annotated, re-assigned or deleted in ``kpi_rollup_dirty``; ``refresh`` recomputes those
hours from the calls (exactly: ``analytics.measures``), together with the hours of the same
clients' calls whose repeat and contacts-before-deal measures the change may have moved,
and then the local days that contain them. Queries refresh first, so they never read stale
rollups. Rollups are made for one time zone and one pair of outcome sets (kept in
``kpi_rollup_state``); ``refresh`` with other settings rebuilds them from scratch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from callvault.analytics import measures, rollup_sql
from callvault.analytics.kpis import KpiSettings
from callvault.journal.engine import WRITER
from callvault.journal.schema import (
    kpi_rollup_dirty,
    kpi_rollup_state,
    kpi_rollups,
)

HOUR: Final = 3600
SPAN_HOURS: Final = 24
"""Dirty hours are recomputed in spans of at most this many consecutive hours."""
REBUILD_SPAN_HOURS: Final = 31 * 24
"""The spans of a rebuild, whose client flags are worked out for all calls at once."""
ALL_DIMENSIONS: Final = ("center", *measures.DIMENSIONS)
MEASURES_VERSION: Final = "2"
"""Bumped when what a measure counts changes: rollups of another version are rebuilt."""
LOCK_KEY: Final = 0x6B7069  # "kpi"
"""PostgreSQL advisory lock held while rollups are refreshed."""


def state_of(settings: KpiSettings) -> dict[str, str]:
    """What rollups made with ``settings`` depend on."""
    return {
        "measures": MEASURES_VERSION,
        "timezone": settings.timezone,
        "resolved_outcomes": json.dumps(sorted(settings.resolved_outcomes)),
        "deal_outcomes": json.dumps(sorted(settings.deal_outcomes)),
    }


def stored_state(connection: Connection) -> dict[str, str]:
    return {k: v for k, v in connection.execute(sa.select(kpi_rollup_state))}


def days_whole_hours(settings: KpiSettings, since: float, until: float) -> bool:
    """Whether every local midnight in [since, until) falls on a UTC hour (not so in zones
    such as Asia/Kolkata): day rollups exist only then."""
    return all(start % HOUR == 0 for start in day_starts(settings, since, until + 2 * 86400))


def day_starts(settings: KpiSettings, since: float, until: float) -> Iterator[float]:
    """The local midnights from the local day containing ``since`` up to ``until``."""
    zone = settings.zone
    day = datetime.fromtimestamp(since, zone).date()
    while (start := local_midnight(day, settings)) < until:
        yield start
        day += timedelta(days=1)


def local_midnight(day: date, settings: KpiSettings) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=settings.zone).timestamp()


def refresh(engine: Engine, settings: KpiSettings) -> int:
    """Bring the rollups up to date for ``settings`` (rebuilding them when they were made
    with other settings); return how many hours were recomputed."""
    wanted = state_of(settings)
    with engine.connect() as connection:  # the usual case, without taking the write lock
        dirty_row = connection.execute(sa.select(kpi_rollup_dirty.c.hour).limit(1)).first()
        if dirty_row is None and stored_state(connection) == wanted:
            return 0
    with engine.execution_options(**{WRITER: True}).begin() as connection:
        if connection.dialect.name == "postgresql":  # one refresh at a time
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        rollup_sql.prepare(connection)
        try:
            return _refresh(connection, settings, wanted)
        finally:
            rollup_sql.drop_temporary(connection)


def _refresh(connection: Connection, settings: KpiSettings, wanted: dict[str, str]) -> int:
    rebuilding = stored_state(connection) != wanted
    if rebuilding:
        _reset(connection, wanted)
        rollup_sql.all_flags(connection, settings)
    dirty = sorted(int(h) for (h,) in connection.execute(sa.select(kpi_rollup_dirty.c.hour)))
    if not dirty:
        return 0
    connection.execute(kpi_rollup_dirty.delete().where(kpi_rollup_dirty.c.hour.in_(dirty))
                       if len(dirty) < 500 else kpi_rollup_dirty.delete())
    done: set[int] = set()
    follow: set[int] = set()
    span = REBUILD_SPAN_HOURS if rebuilding else SPAN_HOURS
    for start, end in _spans(dirty, span):
        follow |= _recompute(connection, start, end, settings, changed=not rebuilding,
                             flags_ready=rebuilding)
        done.update(range(start, end, HOUR))
    for start, end in _spans(sorted(follow - done), span):
        _recompute(connection, start, end, settings, changed=False, flags_ready=rebuilding)
        done.update(range(start, end, HOUR))
    days, months = rollup_sql.bucket_map(connection, sorted(done), settings)
    rollup_sql.local_rows(connection, days, months, ALL_DIMENSIONS)
    return len(done)


def rebuild(engine: Engine, settings: KpiSettings) -> int:
    """Throw the rollups away and make them again from every call; return the hours made."""
    with engine.execution_options(**{WRITER: True}).begin() as connection:
        connection.execute(kpi_rollup_state.delete())
    return refresh(engine, settings)


def _reset(connection: Connection, state: dict[str, str]) -> None:
    connection.execute(kpi_rollups.delete())
    connection.execute(kpi_rollup_state.delete())
    connection.execute(kpi_rollup_state.insert(),
                       [{"key": k, "value": v} for k, v in state.items()])
    connection.execute(kpi_rollup_dirty.delete())
    hour = _HOUR[connection.dialect.name]
    connection.execute(sa.text(f"INSERT INTO kpi_rollup_dirty (hour) SELECT DISTINCT {hour} "
                               "FROM calls"))


_HOUR: Final = {
    "sqlite": "CAST(strftime('%s', substr(calls.started_at, 1, 13) || ':00:00') AS INTEGER)",
    "postgresql": "(floor(extract(epoch FROM calls.started_at) / 3600) * 3600)::bigint",
}
"""The UTC hour (epoch seconds) a call started in, as migration 0008's triggers write it."""


def _spans(hours: list[int], span: int = SPAN_HOURS) -> Iterator[tuple[int, int]]:
    """The sorted ``hours`` as windows [start, end) of at most ``span`` hours, each from a
    changed hour to just after the last changed hour within reach: the hours between are
    recomputed too (in SQL that costs less than another pass)."""
    start = end = None
    for hour in hours:
        if start is not None and end is not None and hour < start + span * HOUR:
            end = hour + HOUR
            continue
        if start is not None and end is not None:
            yield start, end
        start, end = hour, hour + HOUR
    if start is not None and end is not None:
        yield start, end


def _recompute(
    connection: Connection,
    start: int,
    end: int,
    settings: KpiSettings,
    *,
    changed: bool,
    flags_ready: bool = False,
) -> set[int]:
    """Make the hour rows of [start, end) again, in the database (``rollup_sql``); with
    ``changed``, return the hours of the same clients' calls whose measures the change may
    have moved. ``flags_ready``: the flags table holds every client's flags (a rebuild)."""
    follow: set[int] = set()
    if not flags_ready:
        follow = rollup_sql.span_flags(connection, start, end, settings, follow=changed)
    rollup_sql.measure_span(connection, start, end, settings)
    for dimension in ALL_DIMENSIONS:  # one index range each: (grain, dimension, bucket)
        connection.execute(
            kpi_rollups.delete().where(
                kpi_rollups.c.grain == "hour",
                kpi_rollups.c.dimension == dimension,
                kpi_rollups.c.bucket >= start,
                kpi_rollups.c.bucket < end,
            )
        )
    rollup_sql.hour_rows(connection, ALL_DIMENSIONS)
    return {h for h in follow if not start <= h < end}
