"""KPI queries: any KPI by any dimension over any range, from rollups where they are exact.

A range [since, until) is cut into whole local days (day rollups), whole UTC hours (hour
rollups) and the minutes at its edges (read from the calls), and the measures of the three
are added: the answer is the same as reading every call. The calls are read instead of
the rollups when the query's settings are not those the rollups were made with (time zone,
outcome sets), when a threshold is not one of the histogram's bounds, in zones whose
midnights do not fall on UTC hours, and for intervals shorter than an hour.

Every query takes ``Filters``: calls of some teams, departments, queues, agents, directions,
channels, campaigns or tracked numbers (any of a dimension's values, every dimension given).
The rollups keep each dimension's rows per team, so a filter on teams (departments) and on
at most one other dimension is read from them exactly when the grouping is the center, a
team, a time, or that dimension; any other combination reads the matching calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from callvault.analytics import measures, rollups
from callvault.analytics.kpis import AnalyticsError, Kpi, KpiSettings, evaluate
from callvault.journal.schema import (
    KPI_MEASURES,
    agents,
    calls,
    kpi_rollups,
    queues,
    teams,
    tracked_number_costs,
    tracked_numbers,
)

HOUR: Final = 3600
MAX_RANGE_S: Final = 10 * 366 * 86400
"""The longest range a query may span (ten years)."""
TIME_DIMENSIONS: Final = ("date", "hour", "weekday", "weekday_hour")
GROUPINGS: Final = ("center", "agent", "team", "department", "queue", "direction", "channel",
                    "campaign", "tracked_number", "date", "hour", "weekday")
"""What ``kpis(by=…)`` accepts."""
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NONE_LABEL: Final = "(none)"
FILTERS: Final = ("team", "department", "queue", "agent", "direction", "channel", "campaign",
                  "tracked_number")
"""What a query may be filtered by (``Filters``)."""

Vector = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ReportRow:
    key: str
    """The group's value: an id, a name, an ISO date, "00"…"23", "1" (Monday)…"7"; "" for
    calls without one (no agent, no queue…), "all" for the total."""
    label: str
    values: dict[str, float | int | None]
    measures: dict[str, int]


@dataclass(frozen=True, slots=True)
class Report:
    by: str
    since: float
    until: float
    kpis: tuple[Kpi, ...]
    rows: list[ReportRow]
    total: ReportRow
    source: str
    """"rollups" or "calls": where the measures were read."""
    settings: KpiSettings = field(repr=False)


@dataclass(frozen=True, slots=True)
class Filters:
    """Only the calls that match every dimension named, each with any of its values."""

    teams: tuple[int, ...] | None = None
    """The team and department filters as team ids (None: any team)."""
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(dimension of ``measures.DIMENSIONS``, its values as the rollups keep them)."""


NO_FILTERS: Final = Filters()
_NAMED = {"team": teams.c.name, "agent": agents.c.name, "queue": queues.c.name,
          "tracked_number": tracked_numbers.c.number}
_CALL_COLUMNS = {"agent": calls.c.agent_id, "queue": calls.c.queue_id,
                 "direction": calls.c.direction, "channel": calls.c.channel,
                 "campaign": calls.c.campaign, "tracked_number": calls.c.tracked_number_id}


def filters(engine: Engine, chosen: Mapping[str, Sequence[str]]) -> Filters:
    """``chosen`` (dimension → values) checked and resolved: teams, agents, queues and
    tracked numbers by id or by name (number), departments to their teams. Raises
    ``AnalyticsError`` saying what to fix."""
    team_ids: set[int] | None = None
    values: list[tuple[str, tuple[str, ...]]] = []
    with engine.connect() as connection:
        for dimension, given in chosen.items():
            wanted = [str(v).strip() for v in given]
            if not wanted:
                continue
            if dimension not in FILTERS:
                raise AnalyticsError(f"unknown filter {dimension!r}: one of {', '.join(FILTERS)}")
            if any(not v for v in wanted):
                raise AnalyticsError(f"the {dimension} filter needs a value")
            if dimension in ("team", "department"):
                found = _team_ids(connection, dimension, wanted)
                team_ids = found if team_ids is None else team_ids & found
                continue
            if dimension == "direction":
                if bad := [v for v in wanted if v not in measures.CONTACT_DIRECTIONS]:
                    raise AnalyticsError(f"direction {bad[0]!r}: inbound or outbound")
                resolved = wanted
            elif dimension in _NAMED:
                resolved = [str(i) for i in sorted(_ids(connection, dimension, wanted))]
            else:
                resolved = wanted
            values.append((dimension, tuple(sorted(set(resolved)))))
    return Filters(None if team_ids is None else tuple(sorted(team_ids)), tuple(sorted(values)))


def _ids(connection: Connection, dimension: str, wanted: Sequence[str]) -> set[int]:
    """The ids of the rows of ``dimension``'s table whose id or name is one of ``wanted``."""
    column = _NAMED[dimension]
    table = column.table
    found: set[int] = set()
    for value in wanted:
        condition = column == value
        if value.isdigit() and len(value) < 12:
            condition = sa.or_(condition, table.c.id == int(value))
        ids = {int(i) for (i,) in connection.execute(sa.select(table.c.id).where(condition))}
        if not ids:
            what = dimension.replace("_", " ")
            raise AnalyticsError(f"no {what} {value!r}: give its id or its "
                                 f"{'number' if dimension == 'tracked_number' else 'name'}")
        found |= ids
    return found


def _team_ids(connection: Connection, dimension: str, wanted: Sequence[str]) -> set[int]:
    if dimension == "team":
        return _ids(connection, "team", wanted)
    found: set[int] = set()
    for value in wanted:
        ids = {int(i) for (i,) in connection.execute(
            sa.select(teams.c.id).where(teams.c.department == value))}
        if not ids:
            raise AnalyticsError(f"no department {value!r}: give the department of a team")
        found |= ids
    return found


def source(
    engine: Engine,
    since: float,
    until: float,
    *,
    by: str = "center",
    settings: KpiSettings | None = None,
    filters: Filters = NO_FILTERS,
) -> str:
    """Where a query of ``by`` with these settings and filters reads its measures:
    "rollups" or "calls"."""
    settings = settings or KpiSettings()
    with engine.connect() as connection:
        stored = rollups.stored_state(connection)
    usable = (
        settings.exact_from_rollups
        and (not stored or stored == rollups.state_of(settings))
        and rollups.days_whole_hours(settings, since, until)
        and _rollups_apply(by, filters)
    )
    return "rollups" if usable else "calls"


def _rollups_apply(by: str, focus: Filters) -> bool:
    """Whether the rollups hold the measures of ``focus``'s calls grouped ``by`` exactly:
    their rows are per team and one dimension's value, so besides teams, one dimension may
    be filtered when the grouping is the center, a team, a time or that dimension."""
    if not focus.values:
        return True
    if len(focus.values) > 1:
        return False
    return by in ("center", "team", "department", "interval", *TIME_DIMENSIONS,
                  focus.values[0][0])


def _within(teams_only: Sequence[int] | None, focus: Filters) -> list[int] | None:
    """The teams both the scope and the filters allow (None: every call)."""
    if teams_only is None and focus.teams is None:
        return None
    allowed = {int(t) for t in teams_only} if teams_only is not None else None
    if focus.teams is not None:
        allowed = set(focus.teams) if allowed is None else allowed & set(focus.teams)
    return sorted(allowed or ())


def _conditions(focus: Filters) -> list[sa.ColumnElement[bool]]:
    """The filters other than teams, as conditions on ``calls``."""
    out: list[sa.ColumnElement[bool]] = []
    for dimension, values in focus.values:
        column = _CALL_COLUMNS[dimension]
        wanted: list[Any] = ([int(v) for v in values]
                             if dimension in _NAMED else list(values))
        out.append(column.in_(wanted))
    return out


def kpis(
    engine: Engine,
    since: float,
    until: float,
    *,
    by: str = "center",
    settings: KpiSettings | None = None,
    teams_only: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    filters: Filters = NO_FILTERS,
) -> Report:
    """The KPIs named (all by default) of the contacts that started in [since, until),
    grouped ``by`` one of GROUPINGS; ``teams_only``: only calls of these teams (a
    supervisor's scope); ``filters``: only the calls matching them (``filters(...)``)."""
    from callvault.analytics.kpis import select

    settings = settings or KpiSettings()
    if by not in GROUPINGS:
        raise AnalyticsError(f"unknown grouping {by!r}: one of {', '.join(GROUPINGS)}")
    chosen = select(list(names) if names else None)
    groups, source = _groups(engine, since, until, by, settings, teams_only, filters)
    with engine.connect() as connection:
        if by == "department":
            groups = _by_department(connection, groups)
        labels = _labels(connection, by, groups)
    rows = [
        ReportRow(key, labels.get(key, key or NONE_LABEL),
                  evaluate(m := measures.as_mapping(v, settings), settings, chosen), m)
        for key, v in sorted(groups.items(), key=lambda item: _order(by, item[0]))
    ]
    total_vector = (measures.combine(np.array(list(groups.values()))) if groups
                    else measures.empty(settings))
    total_measures = measures.as_mapping(total_vector, settings)
    total = ReportRow("all", "All", evaluate(total_measures, settings, chosen), total_measures)
    return Report(by, since, until, chosen, rows, total, source, settings)


def heatmap(
    engine: Engine,
    since: float,
    until: float,
    *,
    settings: KpiSettings | None = None,
    teams_only: Sequence[int] | None = None,
    filters: Filters = NO_FILTERS,
) -> list[list[int]]:
    """Offered inbound calls per local weekday (rows, Monday first) and hour (columns)."""
    settings = settings or KpiSettings()
    groups, _ = _groups(engine, since, until, "weekday_hour", settings, teams_only, filters)
    grid = [[0] * 24 for _ in range(7)]
    for key, vector in groups.items():
        weekday, hour = (int(part) for part in key.split(":"))
        grid[weekday - 1][hour] += _offered(vector, settings)
    return grid


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval's arrivals and handling, for staffing."""

    start: float
    offered: int
    answered: int
    abandoned: int
    avg_handle_s: float | None
    avg_patience_s: float | None
    """Mean wait of the calls abandoned in the interval (Erlang A's patience)."""
    service_level: float | None


def intervals(
    engine: Engine,
    since: float,
    until: float,
    *,
    minutes: int = 60,
    settings: KpiSettings | None = None,
    teams_only: Sequence[int] | None = None,
    filters: Filters = NO_FILTERS,
) -> list[Interval]:
    """Every interval of ``minutes`` (15, 30 or 60; aligned on the UTC clock, which is the
    local clock in whole-hour zones) in [since, until) with its arrivals and handle time;
    hours from rollups, shorter intervals from the calls."""
    settings = settings or KpiSettings()
    if minutes not in (15, 30, 60):
        raise AnalyticsError("interval must be 15, 30 or 60 minutes")
    width = minutes * 60
    if minutes == 60:
        groups, _ = _groups(engine, since, until, "interval", settings, teams_only, filters)
    else:
        _check_range(since, until)
        with engine.connect() as connection:
            found = measures.read(connection, since, until, settings,
                                  _within(teams_only, filters), where=_conditions(filters))
        starts = (found.started_at // width).astype(np.int64) * width
        groups = {str(k): v for k, v in measures.group(starts.tolist(), found.matrix).items()}
    first = int(since // width) * width
    out = []
    for start in range(first, int(until), width):
        vector = groups.get(str(start))
        m = measures.as_mapping(vector if vector is not None else measures.empty(settings),
                                settings)
        values = evaluate(m, settings)
        out.append(Interval(
            float(start), _offered(vector, settings) if vector is not None else 0,
            m["inbound_answered"], int(values["abandoned"] or 0),
            _float(values["avg_handle_s"]), _patience(m), _float(values["service_level"]),
        ))
    return out


def _patience(m: dict[str, int]) -> float | None:
    """Mean caller patience: all inbound waiting time over the callers who gave up (the
    maximum-likelihood estimate for exponential patience); None when nobody gave up."""
    gave_up = m["inbound_abandoned"]
    return m["wait_ms"] / 1000 / gave_up if gave_up else None


@dataclass(frozen=True, slots=True)
class WeeklyInterval:
    """One hour of the typical week over a range: the input of a staffing plan."""

    weekday: int
    """1 (Monday) … 7 (Sunday), local."""
    hour: int
    calls_per_week: float
    """Offered calls in this hour, averaged over the weeks of the range."""
    aht_s: float | None
    patience_s: float | None


def weekly_profile(
    engine: Engine,
    since: float,
    until: float,
    *,
    settings: KpiSettings | None = None,
    teams_only: Sequence[int] | None = None,
    filters: Filters = NO_FILTERS,
) -> list[WeeklyInterval]:
    """The typical week of [since, until): per local weekday and hour, offered calls per
    week, average handle time and caller patience (for ``analytics.staffing``)."""
    settings = settings or KpiSettings()
    groups, _ = _groups(engine, since, until, "weekday_hour", settings, teams_only, filters)
    weeks = (until - since) / (7 * 86400)
    out = []
    for weekday in range(1, 8):
        for hour in range(24):
            vector = groups.get(f"{weekday}:{hour}")
            m = measures.as_mapping(vector if vector is not None else measures.empty(settings),
                                    settings)
            values = evaluate(m, settings)
            out.append(WeeklyInterval(weekday, hour, _offered(vector, settings) / weeks,
                                      _float(values["avg_handle_s"]), _patience(m)))
    return out


def outcomes(
    engine: Engine,
    since: float,
    until: float,
    *,
    settings: KpiSettings | None = None,
    teams_only: Sequence[int] | None = None,
    filters: Filters = NO_FILTERS,
) -> list[tuple[str, int]]:
    """How many contacts ended with each outcome (trimmed, lower-cased; "" for none), most
    frequent first (read from the calls)."""
    settings = settings or KpiSettings()
    _check_range(since, until)
    outcome = sa.func.lower(sa.func.trim(sa.func.coalesce(calls.c.outcome, "")))
    conditions = measures.contact_conditions(since, until) + _conditions(filters)
    if (allowed := _within(teams_only, filters)) is not None:
        conditions.append(calls.c.team_id.in_(allowed))
    query = sa.select(outcome, sa.func.count()).where(*conditions).group_by(outcome)
    with engine.connect() as connection:
        found = [(str(o), int(n)) for o, n in connection.execute(query)]
    return sorted(found, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True, slots=True)
class MarketingRow:
    key: str
    calls: int
    answered: int
    conversions: int
    cost: float | None
    currency: str | None
    cost_per_call: float | None
    cost_per_conversion: float | None
    conversion_rate: float | None
    roi: float | None
    """(conversions * deal value - cost) / cost; None without a deal value or a cost."""


def marketing(
    engine: Engine,
    since: float,
    until: float,
    *,
    by: str = "channel",
    settings: KpiSettings | None = None,
    teams_only: Sequence[int] | None = None,
    filters: Filters = NO_FILTERS,
) -> list[MarketingRow]:
    """Calls, answered calls, conversions (deals), cost, cost per call and ROI per marketing
    channel or campaign. Costs are those of the tracked numbers, each period's cost shared
    out by the part of the period (local days, both ends included) inside [since, until);
    filters on channel, campaign or tracked number narrow the costs too (a number's cost
    is not split between teams, agents or queues)."""
    settings = settings or KpiSettings()
    if by not in ("channel", "campaign"):
        raise AnalyticsError("marketing is by channel or by campaign")
    groups, _ = _groups(engine, since, until, by, settings, teams_only, filters)
    with engine.connect() as connection:
        costs = _costs(connection, since, until, by, settings, filters)
    out = []
    for key in sorted(set(groups) | set(costs) - {""}):
        m = measures.as_mapping(groups.get(key, measures.empty(settings)), settings)
        cost, currency = costs.get(key, (None, None))
        contacts, deals = m["calls"], m["deals"]
        roi = None
        if cost and settings.deal_value is not None:
            roi = (deals * settings.deal_value - cost) / cost
        out.append(MarketingRow(
            key or NONE_LABEL, contacts, m["inbound_answered"] + m["outbound_answered"], deals,
            cost, currency,
            cost / contacts if cost is not None and contacts else None,
            cost / deals if cost is not None and deals else None,
            deals / contacts if contacts else None,
            roi,
        ))
    return out


# -- the measures of groups ----------------------------------------------------------------


def _groups(
    engine: Engine,
    since: float,
    until: float,
    by: str,
    settings: KpiSettings,
    teams_only: Sequence[int] | None,
    focus: Filters = NO_FILTERS,
) -> tuple[dict[str, Vector], str]:
    _check_range(since, until)
    allowed = _within(teams_only, focus)
    where = _conditions(focus)
    if source(engine, since, until, by=by, settings=settings, filters=focus) == "calls":
        with engine.connect() as connection:
            found = measures.read(connection, since, until, settings, allowed, where=where)
        return _group_calls(found, by, settings), "calls"
    rollups.refresh(engine, settings)
    only = focus.values[0] if focus.values else None
    with engine.connect() as connection:
        return _group_rollups(connection, since, until, by, settings, allowed,
                              only, where), "rollups"


def _check_range(since: float, until: float) -> None:
    if until <= since:
        raise AnalyticsError("the range is empty: until must be after since")
    if until - since > MAX_RANGE_S:
        raise AnalyticsError("the range is longer than ten years")


def _rollup_dimension(by: str) -> str:
    return by if by in measures.DIMENSIONS else "center"


def _group_calls(found: measures.CallMeasures, by: str, settings: KpiSettings) -> dict[str, Vector]:
    if by in measures.DIMENSIONS:
        labels: Iterable[str] = found.keys[by]
    elif by in ("team", "department"):
        labels = found.keys["team"]
    elif by == "center":
        labels = [""] * len(found)
    else:
        label_of = _time_label(by, settings)
        labels = [label_of(at) for at in found.started_at.tolist()]
    return measures.group(labels, found.matrix)


def _time_label(by: str, settings: KpiSettings) -> Callable[[float], str]:
    """The label of a moment for a time grouping (cached per quarter hour: every zone's
    offset is a whole number of quarter hours)."""
    cache: dict[int, str] = {}
    zone = settings.zone

    def label(at: float) -> str:
        if by == "interval":
            return str(int(at // HOUR) * HOUR)
        quarter = int(at // 900)
        if (found := cache.get(quarter)) is None:
            local = datetime.fromtimestamp(quarter * 900, zone)
            found = cache[quarter] = {
                "date": local.date().isoformat(),
                "hour": f"{local.hour:02d}",
                "weekday": str(local.isoweekday()),
                "weekday_hour": f"{local.isoweekday()}:{local.hour}",
            }[by]
        return found

    return label


def _group_rollups(
    connection: Connection,
    since: float,
    until: float,
    by: str,
    settings: KpiSettings,
    teams_only: Sequence[int] | None,
    only: tuple[str, tuple[str, ...]] | None = None,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> dict[str, Vector]:
    first_hour = int(-(-since // HOUR) * HOUR)
    last_hour = int(until // HOUR) * HOUR
    parts: list[dict[str, Vector]] = []
    if first_hour >= last_hour:
        found = measures.read(connection, since, until, settings, teams_only, where=where)
        return _group_calls(found, by, settings)
    for edge in ((since, first_hour), (last_hour, until)):
        if edge[0] < edge[1]:
            found = measures.read(connection, edge[0], edge[1], settings, teams_only,
                                  where=where)
            parts.append(_group_calls(found, by, settings))
    if by in ("hour", "weekday_hour"):
        # month-weekday-hour rows are the whole center's: a filter reads hour rows
        levels: tuple[str, ...] = ("month_hour",) if only is None else ()
    elif by in ("date", "weekday"):
        levels = ("day",)
    elif by == "interval":
        levels = ()
    else:
        levels = ("month", "day")
    for grain, start, end in _pieces(first_hour, last_hour, levels, settings):
        parts.append(_read_rollups(connection, grain, start, end, by, settings, teams_only,
                                   only))
    merged: dict[str, list[Vector]] = {}
    for part in parts:
        for key, vector in part.items():
            merged.setdefault(key, []).append(vector)
    return {key: measures.combine(np.array(vectors)) for key, vectors in merged.items()}


def _pieces(
    start: float, end: float, levels: tuple[str, ...], settings: KpiSettings
) -> list[tuple[str, float, float]]:
    """[start, end) as (grain, start, end) pieces: the whole local months (or days) inside
    it, then the whole days, then the hours left at either side."""
    if start >= end:
        return []
    if not levels:
        return [("hour", start, end)]
    inner = _whole(start, end, "day" if levels[0] == "day" else "month", settings)
    if inner is None:
        return _pieces(start, end, levels[1:], settings)
    first, last = inner
    return [*_pieces(start, first, levels[1:], settings), (levels[0], first, last),
            *_pieces(last, end, levels[1:], settings)]


def _whole(
    start: float, end: float, unit: str, settings: KpiSettings
) -> tuple[float, float] | None:
    """The first and last boundary of the whole local days (months) inside [start, end)."""
    day = datetime.fromtimestamp(start, settings.zone).date()
    if unit == "month":
        day = day.replace(day=1)
    inside: list[float] = []
    while (begin := rollups.local_midnight(day, settings)) < end:
        following = (day + timedelta(days=1) if unit == "day"
                     else (day.replace(day=28) + timedelta(days=4)).replace(day=1))
        finish = rollups.local_midnight(following, settings)
        if begin >= start and finish <= end:
            inside += [begin, finish] if not inside else [finish]
        day = following
    return (inside[0], inside[-1]) if inside else None


def _read_rollups(
    connection: Connection,
    grain: str,
    start: float,
    end: float,
    by: str,
    settings: KpiSettings,
    teams_only: Sequence[int] | None,
    only: tuple[str, tuple[str, ...]] | None = None,
) -> dict[str, Vector]:
    if grain == "hour" and by in ("hour", "weekday_hour"):
        return _read_clock_hours(connection, start, end, by, settings, teams_only, only)
    r = kpi_rollups.c
    if grain == "month_hour":
        conditions = [r.grain == grain, r.dimension == "center", r.bucket >= int(start),
                      r.bucket < int(end)]
        if teams_only is not None:
            conditions.append(r.team_id.in_(list(teams_only)))
        query = sa.select(r.value, *_sums()).where(*conditions).group_by(r.value)
        merged: dict[str, list[Vector]] = {}
        for row in connection.execute(query):
            if row[1] is None:
                continue
            hour = row[0].split(":")[1]
            key = f"{int(hour):02d}" if by == "hour" else row[0]
            merged.setdefault(key, []).append(np.array([int(v) for v in row[1:]], np.int64))
        return {key: measures.combine(np.array(v)) for key, v in merged.items()}
    if by in measures.DIMENSIONS:
        key: Any = r.value
    elif by in ("team", "department"):
        key = r.team_id
    elif by == "center":
        key = sa.literal("")
    else:
        key = r.bucket
    sums = [sa.func.max(r[n]) if n == "wait_max_ms" else sa.func.sum(r[n]) for n in KPI_MEASURES]
    conditions = [r.grain == grain, r.dimension == (only[0] if only else _rollup_dimension(by)),
                  r.bucket >= int(start), r.bucket < int(end)]
    if only:
        conditions.append(r.value.in_(list(only[1])))
    if teams_only is not None:
        conditions.append(r.team_id.in_(list(teams_only)))
    query = sa.select(key, *sums).where(*conditions)
    if by != "center":
        query = query.group_by(key)
    found: dict[str, list[Vector]] = {}
    label_of = _time_label(by, settings) if by in (*TIME_DIMENSIONS, "interval") else None
    for row in connection.execute(query):
        if row[1] is None:
            continue
        vector = np.array([int(v) if isinstance(v, Decimal) else v for v in row[1:]], np.int64)
        if label_of is not None:
            label = label_of(float(row[0]))
        elif by in ("team", "department"):
            label = str(row[0]) if row[0] else ""
        else:
            label = str(row[0])
        found.setdefault(label, []).append(vector)
    return {label: measures.combine(np.array(v)) for label, v in found.items()}


def _read_clock_hours(
    connection: Connection,
    start: float,
    end: float,
    by: str,
    settings: KpiSettings,
    teams_only: Sequence[int] | None,
    only: tuple[str, tuple[str, ...]] | None = None,
) -> dict[str, Vector]:
    found = clock_hour_groups(connection, int(start), int(end), settings, teams_only=teams_only,
                              only=only)
    merged: dict[str, list[Vector]] = {}
    for (label, _), vector in found.items():
        hour = label.split(":")[1]
        key = f"{int(hour):02d}" if by == "hour" else label
        merged.setdefault(key, []).append(vector)
    return {key: measures.combine(np.array(v)) for key, v in merged.items()}


def clock_hour_groups(
    connection: Connection,
    start: int,
    end: int,
    settings: KpiSettings,
    *,
    teams_only: Sequence[int] | None = None,
    per_team: bool = False,
    only: tuple[str, tuple[str, ...]] | None = None,
) -> dict[tuple[str, int], Vector]:
    """The center's hour rows of [start, end) summed per local "weekday:hour" (and team),
    in the database: a year is 8,760 hours but at most three stretches of one UTC offset,
    each grouped by UTC clock hour. ``only``: (dimension, values) — those values' rows
    instead of the center's."""
    r = kpi_rollups.c
    found: dict[tuple[str, int], list[Vector]] = {}
    for first, last, offset in _offset_stretches(start, end, settings):
        local = r.bucket + offset
        keys: list[Any] = [(local // HOUR) % 24, ((local // 86400) + 3) % 7 + 1]  # 1970-01-01: Thu
        if per_team:
            keys.append(r.team_id)
        conditions = [r.grain == "hour", r.dimension == (only[0] if only else "center"),
                      r.bucket >= first, r.bucket < last]
        if only:
            conditions.append(r.value.in_(list(only[1])))
        if teams_only is not None:
            conditions.append(r.team_id.in_(list(teams_only)))
        query = sa.select(*keys, *_sums()).where(*conditions).group_by(*keys)
        width = len(keys)
        for row in connection.execute(query):
            if row[width] is None:
                continue
            key = (f"{int(row[1])}:{int(row[0])}", int(row[2]) if per_team else 0)
            found.setdefault(key, []).append(np.array([int(v) for v in row[width:]], np.int64))
    return {key: measures.combine(np.array(v)) for key, v in found.items()}


def _sums() -> list[Any]:
    r = kpi_rollups.c
    return [sa.func.max(r[n]) if n == "wait_max_ms" else sa.func.sum(r[n]) for n in KPI_MEASURES]


def _offset_stretches(start: int, end: int, settings: KpiSettings) -> list[tuple[int, int, int]]:
    """[start, end) cut where the zone's UTC offset changes: (first, last, offset seconds)."""
    stretches: list[tuple[int, int, int]] = []
    zone = settings.zone
    for hour in range(start, end, HOUR):
        offset = datetime.fromtimestamp(hour, zone).utcoffset()
        seconds = int(offset.total_seconds()) if offset is not None else 0
        if stretches and stretches[-1][2] == seconds:
            stretches[-1] = (stretches[-1][0], hour + HOUR, seconds)
        else:
            stretches.append((hour, hour + HOUR, seconds))
    return stretches


def _offered(vector: Vector | None, settings: KpiSettings) -> int:
    if vector is None:
        return 0
    from callvault.analytics.kpis import offered

    return offered(measures.as_mapping(vector, settings), settings)


def _float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


# -- labels ----------------------------------------------------------------------------------


def _by_department(connection: Connection, groups: dict[str, Vector]) -> dict[str, Vector]:
    department = {str(i): d or "" for i, d in connection.execute(sa.select(teams.c.id,
                                                                          teams.c.department))}
    merged: dict[str, list[Vector]] = {}
    for key, vector in groups.items():
        merged.setdefault(department.get(key, ""), []).append(vector)
    return {key: measures.combine(np.array(v)) for key, v in merged.items()}


def _labels(connection: Connection, by: str, groups: dict[str, Vector]) -> dict[str, str]:
    tables = {"agent": agents.c.name, "team": teams.c.name, "queue": queues.c.name,
              "tracked_number": tracked_numbers.c.number}
    if by in tables:
        column = tables[by]
        ids = [int(k) for k in groups if k]
        if not ids:
            return {}
        table = column.table
        query = sa.select(table.c.id, column).where(table.c.id.in_(ids))
        return {str(i): str(name) for i, name in connection.execute(query)}
    if by == "weekday":
        return {str(i + 1): name for i, name in enumerate(WEEKDAYS)}
    return {}


def _order(by: str, key: str) -> tuple[int, Any]:
    if key == "":
        return (1, 0)
    if by in ("agent", "team", "queue", "tracked_number", "hour", "weekday") and key.isdigit():
        return (0, int(key))
    return (0, key)


def _costs(
    connection: Connection, since: float, until: float, by: str, settings: KpiSettings,
    focus: Filters = NO_FILTERS,
) -> dict[str, tuple[float, str]]:
    """Per channel or campaign, the cost of the local days of [since, until): each period's
    cost times the share of its days (both ends included) that fall in the range; a day
    the range covers in part counts whole."""
    column = tracked_numbers.c.channel if by == "channel" else tracked_numbers.c.campaign
    costs = tracked_number_costs.c
    query = sa.select(column, costs.period_start, costs.period_end, costs.cost,
                      costs.currency).join(
        tracked_numbers, tracked_numbers.c.id == costs.tracked_number_id)
    numbers = {"channel": tracked_numbers.c.channel, "campaign": tracked_numbers.c.campaign,
               "tracked_number": tracked_numbers.c.id}
    for dimension, values in focus.values:
        if dimension in numbers:
            wanted: list[Any] = ([int(v) for v in values] if dimension == "tracked_number"
                                 else list(values))
            query = query.where(numbers[dimension].in_(wanted))
    first_day = datetime.fromtimestamp(since, settings.zone).date()
    last_day = datetime.fromtimestamp(until - 1e-6, settings.zone).date()
    found: dict[str, tuple[float, str]] = {}
    for key, first, last, cost, currency in connection.execute(query):
        period_days = (last - first).days + 1
        overlap = (min(last, last_day) - max(first, first_day)).days + 1
        if overlap <= 0 or period_days <= 0:
            continue
        share = float(Decimal(str(cost)) * overlap / period_days)
        label = key or ""
        previous, seen = found.get(label, (0.0, currency))
        found[label] = (previous + share, seen if seen == currency else "mixed")
    return found


def staffing_plan(
    profile: Sequence[WeeklyInterval], target: Any
) -> list[Any]:
    """``analytics.staffing.recommend`` for every hour of a typical week (Erlang A where
    callers gave up, else Erlang C); ``target`` is a ``staffing.StaffingTarget``."""
    from callvault.analytics import staffing

    handled = [(p.aht_s, p.calls_per_week) for p in profile if p.aht_s]
    weight = sum(calls for _, calls in handled)
    overall = sum(a * c for a, c in handled) / weight if weight else 0.0
    intervals = [
        staffing.Interval(
            label=f"{WEEKDAYS[p.weekday - 1][:3]} {p.hour:02d}:00", seconds=3600.0,
            calls=p.calls_per_week, aht_s=p.aht_s or overall, patience_s=p.patience_s,
        )
        for p in profile
    ]
    return staffing.recommend(intervals, target)
