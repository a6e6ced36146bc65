"""The hour rollups made in the database: set-based SQL for ``analytics.rollups``.

The measures of every contact (``analytics.measures`` says what each counts) are worked out
by one INSERT … SELECT into a temporary table per span of hours, and summed per hour, value
and team by one INSERT … SELECT … GROUP BY per dimension: no call passes through Python.
What Python keeps: the outcome classes (trimmed, lower-cased, as ``measures`` compares
them: a small table of the distinct outcomes) and the local day, month and weekday x hour
of every UTC hour (``bucket_map``: a small table joined in SQL, so that DST is Python's
``zoneinfo`` arithmetic, not the database's).

A client's repeat calls and contacts since their previous deal come from window functions
over the client's contacts in order of (start, id), exactly as ``measures.client_flags``
walks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from callvault.analytics import measures
from callvault.analytics.kpis import POOR_MOS, KpiSettings
from callvault.journal.schema import KPI_MEASURES, KPI_WAIT_BOUNDS_S, Timestamp

HOUR: Final = 3600
MEASURES_TABLE: Final = "kpi_tmp_measures"
FLAGS_TABLE: Final = "kpi_tmp_flags"
CLIENTS_TABLE: Final = "kpi_tmp_clients"
OUTCOMES_TABLE: Final = "kpi_tmp_outcomes"
BUCKETS_TABLE: Final = "kpi_tmp_buckets"
KEYS: Final = ("team", "agent", "queue", "direction", "channel", "campaign", "tracked_number")
"""The per-contact grouping columns of the measures table besides the hour."""

_EPOCH: Final = {
    "sqlite": "(CAST(strftime('%s', substr({c}, 1, 19)) AS INTEGER)"
              " + CAST(substr({c}, 20) AS REAL))",
    "postgresql": "extract(epoch FROM {c})",
}
"""A timestamp column as epoch seconds, to the microsecond (SQLite keeps UTC text)."""
_HOUR: Final = {
    "sqlite": "CAST(strftime('%s', substr({c}, 1, 13) || ':00:00') AS INTEGER)",
    "postgresql": "(floor(extract(epoch FROM {c}) / 3600) * 3600)::bigint",
}
_MILLI: Final = {
    "sqlite": "CAST({x} * 1000 + 0.5 AS INTEGER)",
    "postgresql": "floor({x} * 1000 + 0.5)::bigint",
}
"""A MOS in thousandths, rounded half up as ``measures.mos_milli`` does (MOS is positive)."""
_CLIENT: Final = (
    "CASE WHEN {t}.direction = 'inbound' THEN COALESCE({t}.caller_e164, {t}.caller_number) "
    "ELSE COALESCE({t}.callee_e164, {t}.callee_number) END"
)
_CONTACT: Final = (
    "{t}.direction IN ('inbound', 'outbound') "
    "AND {t}.status IN ('answered', 'missed', 'busy', 'rejected')"
)
SQLITE_CACHE_KIB: Final = 128 * 1024
"""SQLite's page cache while rollups are made (per schema, main and temp), in KiB."""
WITH_OUTCOME, RESOLVED, DEAL = 1, 2, 4
"""The bits of an outcome's class in the outcomes table."""


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _temp(connection: Connection, name: str, columns: str) -> None:
    """A temporary table of this connection, empty."""
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({columns})")


def drop_temporary(connection: Connection) -> None:
    """Drop the temporary tables (and give SQLite's page cache back its size)."""
    for name in (MEASURES_TABLE, FLAGS_TABLE, CLIENTS_TABLE, OUTCOMES_TABLE, BUCKETS_TABLE):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    for schema in ("main", "temp"):
        if (size := connection.info.pop(f"kpi_cache_{schema}", None)) is not None:
            connection.exec_driver_sql(f"PRAGMA {schema}.cache_size = {int(size)}")


def _span(start: float, end: float) -> list[sa.BindParameter[float]]:
    """[start, end) as the parameters ``since`` and ``until`` (timestamps)."""
    return [sa.bindparam("since", start, type_=Timestamp),
            sa.bindparam("until", end, type_=Timestamp)]


# -- outcomes ----------------------------------------------------------------------------


def outcome_class(outcome: str, settings: KpiSettings) -> int:
    normal = outcome.strip().lower() or None
    if normal is None:
        return 0
    return (WITH_OUTCOME | (RESOLVED if normal in settings.resolved_outcomes else 0)
            | (DEAL if normal in settings.deal_outcomes else 0))


def classify_outcomes(connection: Connection, settings: KpiSettings,
                      where: str = "", params: list[sa.BindParameter[float]] | None = None
                      ) -> None:
    """Put the distinct outcomes of the calls matching ``where`` (SQL over ``c``) that are
    not there yet into the outcomes table, with their classes."""
    query = (f"SELECT DISTINCT c.outcome FROM calls AS c WHERE c.outcome IS NOT NULL "
             f"{'AND ' + where if where else ''}")
    found = connection.execute(sa.text(query).bindparams(*(params or []))).scalars().all()
    known = set(connection.exec_driver_sql(f"SELECT outcome FROM {OUTCOMES_TABLE}").scalars())
    rows = [{"o": o, "k": outcome_class(o, settings)} for o in found if o not in known]
    if rows:
        connection.execute(sa.text(f"INSERT INTO {OUTCOMES_TABLE} (outcome, bits) "
                                   "VALUES (:o, :k)"), rows)


def prepare(connection: Connection) -> None:
    """This connection's temporary tables, empty (on PostgreSQL, with room to sort a
    client's history and a span's calls in memory for this transaction)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    else:  # SQLite's default page cache (2 MB) would thrash on the rollups' key index
        for schema in ("main", "temp"):
            size = connection.exec_driver_sql(f"PRAGMA {schema}.cache_size").scalar_one()
            connection.info[f"kpi_cache_{schema}"] = size
            connection.exec_driver_sql(f"PRAGMA {schema}.cache_size = {-SQLITE_CACHE_KIB}")
    _temp(connection, OUTCOMES_TABLE, "outcome TEXT PRIMARY KEY, bits INTEGER NOT NULL")
    _temp(connection, FLAGS_TABLE, "id BIGINT PRIMARY KEY, repeat_24h INTEGER NOT NULL, "
                                   "repeat_7d INTEGER NOT NULL, deal_prior_contacts BIGINT")
    _temp(connection, CLIENTS_TABLE, "client TEXT PRIMARY KEY")
    types = [f"{k} {'BIGINT' if k in ('hour', 'team') else 'TEXT'}"
             for k in _key_columns(connection.dialect.name)]
    _temp(connection, MEASURES_TABLE, ", ".join([*types, *(f"{m} BIGINT" for m in KPI_MEASURES)]))


# -- client flags ------------------------------------------------------------------------


def _flags_select(dialect: str, source: str) -> str:
    """The repeat and contacts-before-deal flags of the contacts of ``source`` (a FROM
    clause over ``c``, with its WHERE), those flagged only."""
    at = _EPOCH[dialect].format(c="c.started_at")
    client = _CLIENT.format(t="c")
    day, week = measures.REPEAT_WINDOWS_S["repeat_24h"], measures.REPEAT_WINDOWS_S["repeat_7d"]
    order = "PARTITION BY client ORDER BY started_at, id"
    return f"""
SELECT id, repeat_24h, repeat_7d, deal_prior_contacts FROM (
  SELECT id,
    {_flag(f"answered_inbound = 1 AND next_inbound - at <= {day}")} AS repeat_24h,
    {_flag(f"answered_inbound = 1 AND next_inbound - at <= {week}")} AS repeat_7d,
    CASE WHEN deal = 1 THEN rn - 1 - COALESCE(MAX(CASE WHEN deal = 1 THEN rn END) OVER (
      PARTITION BY client ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
    END AS deal_prior_contacts
  FROM (
    SELECT id, client, at, deal, answered_inbound,
      ROW_NUMBER() OVER ({order}) AS rn,
      LEAD(at) OVER (PARTITION BY client, direction ORDER BY started_at, id) AS next_inbound
    FROM (
      SELECT c.id AS id, c.started_at AS started_at, c.direction AS direction, {at} AS at,
        {client} AS client,
        {_flag("c.direction = 'inbound' AND c.status = 'answered'")} AS answered_inbound,
        CASE WHEN (o.bits & {DEAL}) <> 0 THEN 1 ELSE 0 END AS deal
      FROM {source}
    ) AS contacts
  ) AS ordered
) AS flagged
WHERE repeat_24h = 1 OR repeat_7d = 1 OR deal_prior_contacts IS NOT NULL"""


def all_flags(connection: Connection, settings: KpiSettings) -> None:
    """The flags of every client's contacts into the flags table (for a rebuild)."""
    dialect = connection.dialect.name
    classify_outcomes(connection, settings)
    client = _CLIENT.format(t="c")
    source = (f"calls AS c LEFT JOIN {OUTCOMES_TABLE} AS o ON o.outcome = c.outcome "
              f"WHERE {_CONTACT.format(t='c')} AND {client} IS NOT NULL AND {client} <> ''")
    connection.exec_driver_sql(f"DELETE FROM {FLAGS_TABLE}")
    connection.exec_driver_sql(f"INSERT INTO {FLAGS_TABLE} {_flags_select(dialect, source)}")
    _analyze(connection, FLAGS_TABLE, OUTCOMES_TABLE)


def span_flags(connection: Connection, start: float, end: float, settings: KpiSettings,
               *, follow: bool) -> set[int]:
    """The flags of the contacts of the clients who had one in [start, end) into the flags
    table; with ``follow``, return the UTC hours of those clients' contacts from a week
    before ``start`` on (their measures may have moved with these)."""
    dialect = connection.dialect.name
    client = _CLIENT.format(t="c")
    connection.exec_driver_sql(f"DELETE FROM {CLIENTS_TABLE}")
    connection.exec_driver_sql(f"DELETE FROM {FLAGS_TABLE}")
    connection.execute(sa.text(
        f"INSERT INTO {CLIENTS_TABLE} (client) SELECT DISTINCT {client} FROM calls AS c "
        f"WHERE c.started_at >= :since AND c.started_at < :until AND {_CONTACT.format(t='c')} "
        f"AND {client} IS NOT NULL AND {client} <> ''").bindparams(*_span(start, end)))
    _analyze(connection, CLIENTS_TABLE)
    chosen = f"(SELECT client FROM {CLIENTS_TABLE})"
    theirs = (f"({' OR '.join(f'c.{n} IN {chosen}' for n in _NUMBERS)}) "
              f"AND {_CONTACT.format(t='c')} AND {client} IN {chosen}")
    classify_outcomes(connection, settings, theirs)
    source = f"calls AS c LEFT JOIN {OUTCOMES_TABLE} AS o ON o.outcome = c.outcome WHERE {theirs}"
    connection.exec_driver_sql(f"INSERT INTO {FLAGS_TABLE} {_flags_select(dialect, source)}")
    if not follow:
        return set()
    hour = _HOUR[dialect].format(c="c.started_at")
    horizon = start - max(measures.REPEAT_WINDOWS_S.values())
    found = connection.execute(sa.text(
        f"SELECT DISTINCT {hour} FROM calls AS c WHERE {theirs} AND c.started_at >= :since"
    ).bindparams(sa.bindparam("since", horizon, type_=Timestamp)))
    return {int(h) for h in found.scalars()}


_NUMBERS: Final = ("caller_e164", "caller_number", "callee_e164", "callee_number")
"""The number columns, each indexed: a client's calls are found through them."""


# -- the measures of the contacts and their hour rows -----------------------------------


def _measure_columns(dialect: str) -> dict[str, str]:
    """Per KPI measure, its SQL over ``c`` (the call), ``o`` (its outcome's class), ``f``
    (its flags) and ``q`` (its streams' quality)."""
    inbound = "c.direction = 'inbound'"
    answered = "c.status = 'answered'"
    missed = "c.status = 'missed'"
    wait, talk = "COALESCE(c.ring_ms, 0)", "COALESCE(c.talk_ms, 0)"
    hold, wrap = "COALESCE(c.hold_ms, 0)", "COALESCE(c.wrap_up_ms, 0)"
    client = _CLIENT.format(t="c")
    out = {
        "calls": "1",
        "inbound": _flag(inbound),
        "inbound_answered": _flag(f"{inbound} AND {answered}"),
        "inbound_abandoned": _flag(f"{inbound} AND {missed}"),
        "outbound": _flag("c.direction <> 'inbound'"),
        "outbound_answered": _flag(f"c.direction <> 'inbound' AND {answered}"),
        "handled": _flag(answered),
        "talk_ms": f"CASE WHEN {answered} THEN {talk} ELSE 0 END",
        "hold_ms": f"CASE WHEN {answered} THEN {hold} ELSE 0 END",
        "wrap_up_ms": f"CASE WHEN {answered} THEN {wrap} ELSE 0 END",
        "handle_ms": f"CASE WHEN {answered} THEN {talk} + {wrap} ELSE 0 END",
        "wait_ms": f"CASE WHEN {inbound} THEN {wait} ELSE 0 END",
        "answer_wait_ms": f"CASE WHEN {inbound} AND {answered} THEN {wait} ELSE 0 END",
        "wait_max_ms": f"CASE WHEN {inbound} THEN {wait} ELSE 0 END",
    }
    for bound in KPI_WAIT_BOUNDS_S:
        limit = bound * 1000
        out[f"answered_within_{bound}"] = _flag(f"{inbound} AND {answered} AND {wait} <= {limit}")
    for bound in KPI_WAIT_BOUNDS_S:
        limit = bound * 1000
        out[f"abandoned_within_{bound}"] = _flag(f"{inbound} AND {missed} AND {wait} < {limit}")
    out |= {
        "transferred": _flag(f"{answered} AND c.transferred"),
        "with_outcome": _flag(f"(COALESCE(o.bits, 0) & {WITH_OUTCOME}) <> 0"),
        "resolved": _flag(f"(COALESCE(o.bits, 0) & {RESOLVED}) <> 0"),
        "deals": _flag(f"(COALESCE(o.bits, 0) & {DEAL}) <> 0"),
        "deal_prior_contacts": "COALESCE(f.deal_prior_contacts, 0)",
        "repeat_base": _flag(f"{inbound} AND {answered} AND {client} IS NOT NULL "
                             f"AND {client} <> ''"),
        "repeat_24h": "COALESCE(f.repeat_24h, 0)",
        "repeat_7d": "COALESCE(f.repeat_7d, 0)",
        "csat_scored": _flag("c.csat IS NOT NULL"),
        "csat_sum": "COALESCE(c.csat, 0)",
        "mos_calls": _flag("q.mos IS NOT NULL"),
        "mos_milli_sum": f"CASE WHEN q.mos IS NOT NULL THEN {_MILLI[dialect].format(x='q.mos')} "
                         "ELSE 0 END",
        "mos_poor": _flag(f"q.mos < {POOR_MOS!r}"),
        "rtp_expected": "COALESCE(q.expected, 0)",
        "rtp_lost": "COALESCE(q.lost, 0)",
    }
    assert tuple(out) == KPI_MEASURES, "every measure, in the rollups' column order"
    return out


def _key_columns(dialect: str) -> dict[str, str]:
    text = "TEXT" if dialect == "sqlite" else "text"
    return {
        "hour": _HOUR[dialect].format(c="c.started_at"),
        "team": "COALESCE(c.team_id, 0)",
        "agent": f"COALESCE(CAST(c.agent_id AS {text}), '')",
        "queue": f"COALESCE(CAST(c.queue_id AS {text}), '')",
        "direction": "c.direction",
        "channel": "COALESCE(c.channel, '')",
        "campaign": "COALESCE(c.campaign, '')",
        "tracked_number": f"COALESCE(CAST(c.tracked_number_id AS {text}), '')",
    }


def measure_span(connection: Connection, start: float, end: float,
                 settings: KpiSettings) -> None:
    """The measures of every contact that started in [start, end) into the measures table
    (one row per contact, with its hour and keys); the flags table must hold its flags."""
    dialect = connection.dialect.name
    keys, values = _key_columns(dialect), _measure_columns(dialect)
    classify_outcomes(connection, settings,
                      "c.started_at >= :since AND c.started_at < :until", _span(start, end))
    connection.exec_driver_sql(f"DELETE FROM {MEASURES_TABLE}")
    quality = (
        "SELECT s.call_id AS call_id, AVG(s.mos) AS mos, SUM(s.expected) AS expected, "
        "SUM(s.lost) AS lost FROM streams AS s JOIN calls AS c ON c.id = s.call_id "
        "WHERE c.started_at >= :since AND c.started_at < :until GROUP BY s.call_id"
    )
    select = (
        f"SELECT {', '.join(f'{sql} AS {name}' for name, sql in (keys | values).items())} "
        f"FROM calls AS c LEFT JOIN {OUTCOMES_TABLE} AS o ON o.outcome = c.outcome "
        f"LEFT JOIN {FLAGS_TABLE} AS f ON f.id = c.id "
        f"LEFT JOIN ({quality}) AS q ON q.call_id = c.id "
        f"WHERE c.started_at >= :since AND c.started_at < :until AND {_CONTACT.format(t='c')}"
    )
    connection.execute(sa.text(f"INSERT INTO {MEASURES_TABLE} {select}")
                       .bindparams(*_span(start, end)))


def _analyze(connection: Connection, *tables: str) -> None:
    """Statistics of filled temporary tables for PostgreSQL's planner (autovacuum never
    sees them): without, it guesses their sizes and may join them badly."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {', '.join(tables)}")


def _sums(prefix: str = "") -> str:
    return ", ".join(f"MAX({prefix}{n})" if n == "wait_max_ms" else f"SUM({prefix}{n})"
                     for n in KPI_MEASURES)


def hour_rows(connection: Connection, dimensions: Iterable[str]) -> None:
    """The hour rows of the measures table, per dimension (value "" for "center")."""
    columns = ", ".join(("grain", "dimension", "bucket", "value", "team_id", *KPI_MEASURES))
    for dimension in dimensions:
        value = "''" if dimension == "center" else dimension
        group = "hour, team" if dimension == "center" else f"hour, {dimension}, team"
        connection.exec_driver_sql(
            f"INSERT INTO kpi_rollups ({columns}) SELECT 'hour', '{dimension}', hour, {value}, "
            f"team, {_sums()} FROM {MEASURES_TABLE} GROUP BY {group}"
        )


# -- local days, months and weekday x hour ------------------------------------------------


def bucket_map(connection: Connection, hours: Iterable[int],
               settings: KpiSettings) -> tuple[list[int], list[int]]:
    """The buckets table for the local days (and months) holding ``hours``: per UTC hour,
    the local midnight of its day, the local first of its month and its local
    "weekday:hour"; per local day, its month. Days whose midnights are not on UTC hours
    (zones such as Asia/Kolkata) get none: queries read hour rows there. Return the local
    midnights of those days and of the firsts of their months."""
    zone = settings.zone
    rows: list[dict[str, object]] = []
    days: set[datetime] = set()
    for hour in hours:
        local = datetime.fromtimestamp(hour, zone)
        days.add(datetime(local.year, local.month, local.day, tzinfo=zone))
    months = {day.replace(day=1) for day in days}
    for month in sorted(months):
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        first, last = _midnight(month), _midnight(following)
        whole_month = first % HOUR == 0 and last % HOUR == 0
        day = month
        while day < following:
            begin, finish = _midnight(day), _midnight(_next_day(day))
            if begin % HOUR == 0 and finish % HOUR == 0:
                if whole_month:
                    rows.append({"kind": "month", "source": begin, "target": first, "label": ""})
                for hour in range(begin, finish, HOUR):
                    local = datetime.fromtimestamp(hour, zone)
                    rows.append({"kind": "day", "source": hour, "target": begin, "label": ""})
                    if whole_month:
                        rows.append({"kind": "month_hour", "source": hour, "target": first,
                                     "label": f"{local.isoweekday()}:{local.hour}"})
            day = _next_day(day)
    _temp(connection, BUCKETS_TABLE, "kind TEXT NOT NULL, source BIGINT NOT NULL, "
                                     "target BIGINT NOT NULL, label TEXT NOT NULL, "
                                     "PRIMARY KEY (kind, source)")
    if rows:
        connection.execute(sa.text(f"INSERT INTO {BUCKETS_TABLE} (kind, source, target, label) "
                                   "VALUES (:kind, :source, :target, :label)"), rows)
    _analyze(connection, BUCKETS_TABLE)
    return sorted(_midnight(d) for d in days), sorted(_midnight(m) for m in months)


def _midnight(day: datetime) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=day.tzinfo).timestamp())


def _next_day(day: datetime) -> datetime:
    following = day.date() + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=day.tzinfo)


def local_rows(connection: Connection, days: list[int], months: list[int],
               dimensions: Iterable[str]) -> None:
    """The day rows of ``days`` and the month and month x weekday x hour rows of ``months``
    (local midnights) made again from the hour rows through the buckets table."""
    dimensions = list(dimensions)
    columns = ", ".join(("grain", "dimension", "bucket", "value", "team_id", *KPI_MEASURES))
    for grain, starts in (("day", days), ("month", months), ("month_hour", months)):
        for chunk in _chunks(starts):
            marks = ", ".join(str(int(s)) for s in chunk)
            connection.exec_driver_sql(
                f"DELETE FROM kpi_rollups WHERE grain = '{grain}' AND bucket IN ({marks})")
    for dimension in dimensions:
        connection.exec_driver_sql(
            f"INSERT INTO kpi_rollups ({columns}) SELECT 'day', '{dimension}', b.target, "
            f"r.value, r.team_id, {_sums('r.')} FROM {BUCKETS_TABLE} AS b "
            f"JOIN kpi_rollups AS r ON r.grain = 'hour' AND r.dimension = '{dimension}' "
            f"AND r.bucket = b.source WHERE b.kind = 'day' GROUP BY b.target, r.value, r.team_id")
    for dimension in dimensions:
        connection.exec_driver_sql(
            f"INSERT INTO kpi_rollups ({columns}) SELECT 'month', '{dimension}', b.target, "
            f"r.value, r.team_id, {_sums('r.')} FROM {BUCKETS_TABLE} AS b "
            f"JOIN kpi_rollups AS r ON r.grain = 'day' AND r.dimension = '{dimension}' "
            f"AND r.bucket = b.source WHERE b.kind = 'month' "
            f"GROUP BY b.target, r.value, r.team_id")
    connection.exec_driver_sql(
        f"INSERT INTO kpi_rollups ({columns}) SELECT 'month_hour', 'center', b.target, "
        f"b.label, r.team_id, {_sums('r.')} FROM {BUCKETS_TABLE} AS b "
        f"JOIN kpi_rollups AS r ON r.grain = 'hour' AND r.dimension = 'center' "
        f"AND r.bucket = b.source WHERE b.kind = 'month_hour' "
        f"GROUP BY b.target, b.label, r.team_id")


def _chunks(values: list[int], size: int = 500) -> Iterator[list[int]]:
    for first in range(0, len(values), size):
        yield values[first:first + size]
