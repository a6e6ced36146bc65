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
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from callvault.analytics import measures
from callvault.analytics.kpis import KpiSettings
from callvault.journal.engine import WRITER
from callvault.journal.schema import (
    KPI_MEASURES,
    calls,
    kpi_rollup_dirty,
    kpi_rollup_state,
    kpi_rollups,
)

HOUR: Final = 3600
SPAN_HOURS: Final = 24
"""Dirty hours are recomputed in spans of at most this many consecutive hours."""
ALL_DIMENSIONS: Final = ("center", *measures.DIMENSIONS)
MEASURES_VERSION: Final = "1"
LOCK_KEY: Final = 0x6B7069  # "kpi"
"""PostgreSQL advisory lock held while rollups are refreshed."""
"""Bumped when what a measure counts changes: rollups of another version are rebuilt."""


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
        known_flags = None
        if stored_state(connection) != wanted:
            _reset(connection, wanted)
            known_flags = measures.all_flags(connection, settings)
        dirty = sorted(int(h) for (h,) in connection.execute(sa.select(kpi_rollup_dirty.c.hour)))
        if not dirty:
            return 0
        connection.execute(kpi_rollup_dirty.delete().where(kpi_rollup_dirty.c.hour.in_(dirty))
                           if len(dirty) < 500 else kpi_rollup_dirty.delete())
        done: set[int] = set()
        follow: set[int] = set()
        for start, end in _spans(dirty):
            follow |= _recompute(connection, start, end, settings, changed=known_flags is None,
                                 known_flags=known_flags)
            done.update(range(start, end, HOUR))
        for start, end in _spans(sorted(follow - done)):
            _recompute(connection, start, end, settings, changed=False)
            done.update(range(start, end, HOUR))
        _recompute_days(connection, sorted(done), settings)
        return len(done)


def rebuild(engine: Engine, settings: KpiSettings) -> int:
    """Throw the rollups away and make them again from every call; return the hours made."""
    with engine.execution_options(**{WRITER: True}).begin() as connection:
        connection.execute(kpi_rollup_state.delete())
    return refresh(engine, settings)


def _reset(connection: Connection, state: dict[str, str]) -> None:
    connection.execute(kpi_rollups.delete())
    connection.execute(kpi_rollup_state.delete())
    connection.execute(kpi_rollup_state.insert(), [{"key": k, "value": v} for k, v in state.items()])
    connection.execute(kpi_rollup_dirty.delete())
    hour = sa.text(_HOUR[connection.dialect.name])
    busy = [int(h) for (h,) in connection.execute(sa.select(hour).select_from(calls).distinct())]
    connection.execute(kpi_rollup_dirty.insert(), [{"hour": h} for h in sorted(busy)])


_HOUR: Final = {
    "sqlite": "CAST(strftime('%s', substr(calls.started_at, 1, 13) || ':00:00') AS INTEGER)",
    "postgresql": "(floor(extract(epoch FROM calls.started_at) / 3600) * 3600)::bigint",
}
"""The UTC hour (epoch seconds) a call started in, as migration 0008's triggers write it."""


def _spans(hours: list[int]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive hours, at most SPAN_HOURS long, as [start, end)."""
    start = end = None
    for hour in hours:
        if start is not None and end is not None and hour == end and end - start < SPAN_HOURS * HOUR:
            end += HOUR
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
    known_flags: dict[int, dict[str, int]] | None = None,
) -> set[int]:
    """Make the hour rows of [start, end) again; with ``changed``, return the hours of the
    same clients' calls whose measures the change may have moved."""
    found = measures.read(connection, start, end, settings, follow=changed,
                          known_flags=known_flags)
    for dimension in ALL_DIMENSIONS:  # one index range each: (grain, dimension, bucket)
        connection.execute(
            kpi_rollups.delete().where(
                kpi_rollups.c.grain == "hour",
                kpi_rollups.c.dimension == dimension,
                kpi_rollups.c.bucket >= start,
                kpi_rollups.c.bucket < end,
            )
        )
    hours = (found.started_at // HOUR).astype("int64") * HOUR
    teams = [int(t) if t else 0 for t in found.keys["team"]]
    rows: list[tuple[Any, ...]] = []
    for dimension in ALL_DIMENSIONS:
        values = found.keys[dimension] if dimension != "center" else [""] * len(found)
        labels = zip(hours.tolist(), values, teams, strict=True)
        for (hour, value, team), vector in measures.group(labels, found.matrix).items():
            rows.append(("hour", dimension, hour, value, team, *vector.tolist()))
    if rows:
        _insert(connection, rows)
    return {h for h in found.follow_hours if not start <= h < end}


def _recompute_days(connection: Connection, hours: list[int], settings: KpiSettings) -> None:
    """Sum the hour rows of every local day that holds one of ``hours`` into its day rows,
    those days into their months' rows, and the months' hours into their weekday × hour
    profile ("month_hour" rows of the whole center, ``value`` "weekday:hour"). Only in
    zones whose midnights fall on UTC hours; elsewhere queries use hour rows."""
    days = sorted({local_midnight(datetime.fromtimestamp(h, settings.zone).date(), settings)
                   for h in hours})
    months = sorted({local_midnight(datetime.fromtimestamp(d, settings.zone).date()
                                    .replace(day=1), settings) for d in days})
    for start in days:
        day = datetime.fromtimestamp(start, settings.zone).date()
        _sum_into(connection, "day", "hour", start, local_midnight(day + timedelta(days=1),
                                                                   settings))
    for start in months:
        first = datetime.fromtimestamp(start, settings.zone).date()
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = local_midnight(following, settings)
        _sum_into(connection, "month", "day", start, end)
        _profile_month(connection, start, end, settings)


def _sums() -> list[Any]:
    return [sa.func.max(kpi_rollups.c[n]) if n == "wait_max_ms" else sa.func.sum(kpi_rollups.c[n])
            for n in KPI_MEASURES]


def _delete(connection: Connection, grain: str, bucket: int) -> None:
    for dimension in ALL_DIMENSIONS:
        connection.execute(kpi_rollups.delete().where(
            kpi_rollups.c.grain == grain, kpi_rollups.c.dimension == dimension,
            kpi_rollups.c.bucket == bucket))


def _sum_into(connection: Connection, grain: str, source: str, start: float, end: float) -> None:
    """The ``grain`` rows of [start, end) as the sums of its ``source`` rows."""
    _delete(connection, grain, int(start))
    if start % HOUR or end % HOUR:
        return
    columns = ["grain", "dimension", "bucket", "value", "team_id", *KPI_MEASURES]
    for dimension in ALL_DIMENSIONS:
        select = (
            sa.select(
                sa.literal(grain), sa.literal(dimension), sa.literal(int(start), sa.BigInteger),
                kpi_rollups.c.value, kpi_rollups.c.team_id, *_sums(),
            )
            .where(
                kpi_rollups.c.grain == source,
                kpi_rollups.c.dimension == dimension,
                kpi_rollups.c.bucket >= int(start),
                kpi_rollups.c.bucket < int(end),
            )
            .group_by(kpi_rollups.c.value, kpi_rollups.c.team_id)
        )
        connection.execute(kpi_rollups.insert().from_select(columns, select))


def _profile_month(connection: Connection, start: float, end: float,
                   settings: KpiSettings) -> None:
    """The month's center hour rows per local weekday × hour and team."""
    from callvault.analytics.query import clock_hour_groups

    connection.execute(kpi_rollups.delete().where(
        kpi_rollups.c.grain == "month_hour", kpi_rollups.c.dimension == "center",
        kpi_rollups.c.bucket == int(start)))
    if start % HOUR or end % HOUR:
        return
    found = clock_hour_groups(connection, int(start), int(end), settings, per_team=True)
    rows = [("month_hour", "center", int(start), label, team, *vector.tolist())
            for (label, team), vector in found.items()]
    if rows:
        _insert(connection, rows)


def _insert(connection: Connection, rows: list[tuple[Any, ...]]) -> None:
    """The driver's executemany: SQLAlchemy's per-row parameter work would cost more than
    the database's."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(c.name for c in kpi_rollups.c)
    marks = ", ".join([mark] * len(kpi_rollups.c))
    connection.exec_driver_sql(f"INSERT INTO kpi_rollups ({columns}) VALUES ({marks})", rows)
