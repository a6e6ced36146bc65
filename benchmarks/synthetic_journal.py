#!/usr/bin/env python3
"""A synthetic call-center journal of any size, bulk-loaded into SQLite or PostgreSQL.

``synthetic_calls(n)`` yields ``calls`` rows (dicts keyed by column, times as float epoch
seconds) in start order, with realistic distributions:

- a year of calls (ending at ``end``) with a weekly pattern (weekdays full, Saturday 35 %,
  Sunday 15 %) and a daily one (08-18 with a morning and an afternoon peak, a lunch dip,
  a thin evening and night);
- 500 agents in 25 teams (extensions 201-700), 12 queues each owned by a team;
- 70 % inbound, 25 % outbound, 5 % internal; statuses by direction (82 % of inbound calls
  answered, 12 % missed …) with their SIP codes; ring time 2-30 s, talk time exponential
  around 4 minutes, hold on 10 %, transfers on 5 %, wrap-up and CSAT;
- customers: 40 % of calls from 200,000 repeat callers with a Zipf-like skew (the busiest
  numbers call thousands of times a year), the rest from 5 million one-off numbers; numbers
  as "+45…" or "0045…" (E.164 alongside);
- 90 % of answered calls recorded, 2 % with an audio issue, outcomes on 30 %, comments on
  3 %, tags on 5 %; 40 % of inbound calls on one of 40 tracked numbers with its channel
  and campaign.

``build_journal(url, n)`` creates a journal (callvault's migrations) and loads it: SQLite by
``executemany`` in big transactions with the indexes dropped during the load and rebuilt
after; PostgreSQL by ``COPY`` (psycopg), likewise. Analytics benchmarks import both.

    .venv/bin/python benchmarks/synthetic_journal.py sqlite:///benchmarks/out/j.sqlite3 100000
"""

from __future__ import annotations

import gc
import importlib.util
import multiprocessing
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import callvault.journal  # noqa: E402
from callvault.journal import Journal  # noqa: E402
from callvault.journal.schema import Timestamp, agents, calls, queues, teams  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
"""The default end of the synthetic year (a fixed moment: the same seed, the same journal)."""

AGENTS = 500
TEAMS = 25
QUEUES = 12
TRACKED = 40
REPEAT_CALLERS = 200_000
ONE_OFF_CALLERS = 5_000_000
CHANNELS = ("google_ads", "facebook", "organic", "print", "radio")
OUTCOMES = ("resolved", "sale", "callback", "escalated", "no_sale", "complaint")
COMMENTS = (
    "customer asked about invoice {n}",
    "wants a callback tomorrow morning",
    "complaint about delivery {n}, escalated",
    "address change, new contract sent",
    "asked for a discount on renewal",
    "technical issue with router, ticket {n}",
    "VIP customer, handled by senior agent",
    "payment plan agreed for order {n}",
)
TAG_SETS = ('["vip"]', '["complaint"]', '["billing","followup"]', '["callback"]', '["fraud"]')
_DAY_WEIGHTS = (0.05, 0.02, 0.02, 0.02, 0.03, 0.08, 0.2, 0.5, 1.0, 1.4, 1.5, 1.3, 0.9,
                1.1, 1.4, 1.4, 1.2, 0.9, 0.5, 0.35, 0.25, 0.2, 0.12, 0.08)
"""Relative calls per hour of the day."""
_WEEK_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.35, 0.15)
"""Relative calls per day of the week, Monday first."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """What ``build_journal`` did."""

    calls: int
    load_s: float
    """Inserting the rows (indexes dropped)."""
    index_s: float
    """Rebuilding the indexes afterwards."""

    @property
    def rate(self) -> float:
        """Calls per second, index rebuild included."""
        return self.calls / (self.load_s + self.index_s)


def team_of(agent: int) -> int:
    return (agent - 1) // (AGENTS // TEAMS) + 1


def extension_of(agent: int) -> str:
    return str(200 + agent)


def repeat_caller(rank: int) -> str:
    """The number of the repeat caller of this rank (0: the busiest)."""
    return f"+4520{rank:06d}"


def _hour_counts(n: int, end: float, days: int) -> tuple[np.ndarray, np.ndarray]:
    """(hour starts, calls in each) for every hour of ``days`` days before ``end``."""
    start = end - days * 86400
    starts = start + 3600.0 * np.arange(days * 24)
    weights = np.array([
        _WEEK_WEIGHTS[moment.weekday()] * _DAY_WEIGHTS[moment.hour]
        for moment in (datetime.fromtimestamp(at, UTC) for at in starts)
    ])
    cumulative = np.round(np.cumsum(weights) * n / weights.sum()).astype(np.int64)
    return starts, np.diff(cumulative, prepend=0)


def _text(prefix: str, numbers: np.ndarray, width: int = 0) -> np.ndarray:
    digits = numbers.astype(str)
    return np.char.add(prefix, np.char.zfill(digits, width) if width else digits)


def _nullable(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    found = values.astype(object)
    found[~present] = None
    return found


def synthetic_chunks(
    n: int, *, seed: int = 1, end: float = END, days: int = 365, chunk: int = 250_000
) -> Iterator[dict[str, np.ndarray]]:
    """``n`` rows of the ``calls`` table in start order, ids 1..n, a column-wise chunk of
    about ``chunk`` rows at a time: column name → numpy array (times as float epoch
    seconds with NaN for NULL; other NULLs are None in object arrays). See the module's
    text for the distributions."""
    rng = np.random.default_rng(seed)
    hour_starts, counts = _hour_counts(n, end, days)
    queue_team = np.array([0, *((q - 1) * TEAMS // QUEUES + 1 for q in range(1, QUEUES + 1))])
    per_team = AGENTS // TEAMS
    campaigns = np.array([f"campaign-{t % 13:02d}" for t in range(TRACKED + 1)], dtype=object)
    channels = np.array([CHANNELS[t % len(CHANNELS)] for t in range(TRACKED + 1)], dtype=object)
    first_id = 1
    hour = 0
    while hour < len(counts):
        last = hour
        while last < len(counts) and counts[hour : last + 1].sum() < chunk:
            last += 1
        hours = slice(hour, min(last + 1, len(counts)))
        hour = hours.stop
        size = int(counts[hours].sum())
        if size == 0:
            continue
        started = np.sort(np.repeat(hour_starts[hours], counts[hours]) + 3600 * rng.random(size))
        ids = np.arange(first_id, first_id + size)
        first_id += size
        r = rng.random(size)
        direction = np.where(r < 0.70, "inbound", np.where(r < 0.95, "outbound", "internal"))
        inbound, outbound = direction == "inbound", direction == "outbound"
        repeat = rng.random(size) < 0.4
        ranks = (REPEAT_CALLERS * rng.random(size) ** 2.2).astype(np.int64)
        e164 = np.where(
            repeat,
            _text("+4520", ranks, 6),
            _text("+453", rng.integers(0, ONE_OFF_CALLERS, size), 7),
        ).astype(object)
        as_dialled = np.char.replace(e164.astype(str), "+", "00")  # 0045…, as some PBXs log
        customer = np.where(rng.random(size) < 0.3, as_dialled, e164.astype(str)).astype(object)
        queue = np.where(inbound, rng.integers(1, QUEUES + 1, size), 0)
        team = np.where(inbound, queue_team[queue], rng.integers(1, TEAMS + 1, size))
        agent = (team - 1) * per_team + rng.integers(1, per_team + 1, size)
        r = rng.random(size)
        out_status = np.select(
            [r < 0.65, r < 0.85, r < 0.93, r < 0.96], ["answered", "missed", "busy", "rejected"],
            "failed",
        )
        in_status = np.select(
            [r < 0.82, r < 0.94, r < 0.96, r < 0.97], ["answered", "missed", "busy", "rejected"],
            "failed",
        )
        status = np.where(outbound, out_status, in_status)
        answered = status == "answered"
        code = np.select(
            [answered, status == "missed", status == "busy", status == "rejected"],
            [200, 487, 486, 603],
            rng.choice([408, 480, 500, 503], size),
        )
        rang = (status == "answered") | (status == "missed")
        ring = np.where(rang, 2.0 + rng.exponential(8.0, size), 3 * rng.random(size))
        ring = np.minimum(ring, 60.0)
        talk = np.where(answered, np.minimum(rng.exponential(240.0, size), 7200.0), 0.0)
        ended = started + ring + talk
        extension = _text("", 200 + agent).astype(object)
        other = _text("", 200 + rng.integers(1, AGENTS + 1, size)).astype(object)
        none = np.full(size, None, dtype=object)
        caller = np.where(inbound, customer, extension)
        callee = np.where(inbound, extension, np.where(outbound, customer, other))
        caller_e164 = np.where(inbound, e164, none)
        callee_e164 = np.where(outbound, e164, none)
        tracked = inbound & (rng.random(size) < 0.4)
        track = np.where(tracked, rng.integers(1, TRACKED + 1, size), 0)
        recorded = answered & (rng.random(size) < 0.9)
        issue = answered & ~recorded & (rng.random(size) < 0.2)
        talk_ms = np.round(talk * 1000).astype(np.int64)
        c = rng.random(size)
        codecs = np.select([c < 0.6, c < 0.85, c < 0.95], ["PCMA", "PCMU", "opus"], "G722")
        t = rng.random(size)
        transport = np.select([t < 0.8, t < 0.9], ["UDP", "TLS"], "TCP")
        uid = _text(f"syn-{seed}-", ids).astype(object)
        commented = np.flatnonzero(rng.random(size) < 0.03)
        comment = np.full(size, None, dtype=object)
        templates = rng.integers(0, len(COMMENTS), commented.size)
        numbers = rng.integers(1000, 99999, commented.size)
        comment[commented] = [
            COMMENTS[k].format(n=m) for k, m in zip(templates.tolist(), numbers.tolist())
        ]
        outcome = _nullable(
            np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), size)],
            answered & (rng.random(size) < 0.3),
        )
        tags = _nullable(
            np.array(TAG_SETS)[rng.integers(0, len(TAG_SETS), size)], rng.random(size) < 0.05
        )
        held = answered & (rng.random(size) < 0.1)
        answered_at = np.where(answered, started + ring, np.nan)
        columns: dict[str, Any] = {
            "id": ids,
            "uid": uid,
            "sip_call_id": np.char.add(_text("", ids), f"-{seed}@pbx.example.com"),
            "started_at": started,
            "ringing_at": started + np.minimum(ring, 0.3),
            "answered_at": answered_at,
            "ended_at": ended,
            "status": status,
            "sip_code": code,
            "reason": none,
            "hangup_by": np.where(rng.random(size) < 0.55, "caller", "callee"),
            "end_cause": none,
            "caller_number": caller,
            "caller_display_name": none,
            "caller_uri": np.char.add(np.char.add("sip:", caller.astype(str)), "@pbx.example.com"),
            "caller_e164": caller_e164,
            "caller_ip": np.full(size, "10.0.0.10"),
            "caller_user_agent": none,
            "callee_number": callee,
            "callee_display_name": none,
            "callee_uri": np.char.add(np.char.add("sip:", callee.astype(str)), "@pbx.example.com"),
            "callee_e164": callee_e164,
            "callee_ip": np.full(size, "10.0.0.20"),
            "callee_user_agent": none,
            "direction": direction,
            "transport": transport,
            "codecs": codecs,
            "source": np.where(rng.random(size) < 0.7, "capture", "cdr"),
            "ring_ms": np.round(ring * 1000).astype(np.int64),
            "talk_ms": talk_ms,
            "duration_ms": np.round((ended - started) * 1000).astype(np.int64),
            "stream_count": np.where(answered, 2, 0),
            "packet_count": np.where(answered, talk_ms // 10, 0),
            "created_at": ended,
            "recording_path": _nullable(np.char.add(np.char.add("rec/", uid.astype(str)), ".opus"),
                                        recorded),
            "recording_format": _nullable(np.full(size, "opus"), recorded),
            "recording_encoding": _nullable(np.full(size, "opus"), recorded),
            "recording_rate": _nullable(np.full(size, 16000), recorded),
            "recording_started_at": np.where(recorded, started + ring, np.nan),
            "recording_duration_ms": _nullable(talk_ms, recorded),
            "recording_size": _nullable(talk_ms * 2, recorded),
            "recording_sha256": _nullable(np.char.zfill(_text("", ids), 64), recorded),
            "audio_issue": _nullable(np.full(size, "no RTP in the capture"), issue),
            "comment": comment,
            "outcome": outcome,
            "tags": tags,
            "hold_ms": np.where(held, np.round(5000 + 115000 * rng.random(size)), 0).astype(
                np.int64
            ),
            "transferred": answered & (rng.random(size) < 0.05),
            "wrap_up_ms": _nullable(np.round(10000 + 80000 * rng.random(size)).astype(np.int64),
                                    answered),
            "csat": _nullable(rng.integers(1, 6, size), answered & (rng.random(size) < 0.2)),
            "agent_id": _nullable(agent, ~inbound | answered),
            "team_id": team,
            "queue_id": _nullable(queue, inbound),
            "tracked_number_id": _nullable(track, tracked),
            "channel": _nullable(channels[track], tracked),
            "campaign": _nullable(campaigns[track], tracked),
        }
        yield {name: np.asarray(values) for name, values in columns.items()}


def synthetic_calls(
    n: int, *, seed: int = 1, end: float = END, days: int = 365
) -> Iterator[dict[str, Any]]:
    """``n`` rows of the ``calls`` table in start order, ids 1..n, one dict per call (times
    as float epoch seconds): ``synthetic_chunks`` a row at a time."""
    for columns in synthetic_chunks(n, seed=seed, end=end, days=days):
        names = list(columns)
        lists = [
            _nullable(values, ~np.isnan(values)).tolist() if name in _MOMENTS else values.tolist()
            for name, values in columns.items()
        ]
        for values in zip(*lists):
            yield dict(zip(names, values))


def directory_rows() -> dict[sa.Table, list[dict[str, Any]]]:
    """The teams, queues and agents the synthetic calls refer to."""
    now = END
    return {
        teams: [{"id": t, "name": f"Team {t:02d}", "department": f"Dept {t % 5}", "created_at": now}
                for t in range(1, TEAMS + 1)],
        queues: [{"id": q, "name": f"Queue {q:02d}", "numbers": f"+457000{q:04d}",
                  "team_id": (q - 1) * TEAMS // QUEUES + 1, "created_at": now}
                 for q in range(1, QUEUES + 1)],
        agents: [{"id": a, "name": f"Agent {a:03d}", "employee_id": f"E{a:04d}",
                  "team_id": team_of(a), "user_id": None, "active": True, "created_at": now}
                 for a in range(1, AGENTS + 1)],
    }


def _indexes() -> list[sa.Index]:
    return sorted(calls.indexes, key=lambda index: index.name or "")


def _migration(revision: str) -> ModuleType:
    """The Alembic revision module ``revision`` (its statements are reused, not copied)."""
    versions = Path(callvault.journal.__file__).parent / "migrations" / "versions"
    path = next(versions.glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"callvault_migration_{revision}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_journal(url: str, n: int, *, seed: int = 1) -> Loaded:
    """Create the journal at ``url`` (which must hold no calls) and load ``n`` synthetic
    calls and the directory they refer to. For the load the calls' indexes and the analytics
    triggers (migration 0008: they mark each written call's hour) are dropped; afterwards
    the indexes are rebuilt, the hours of all calls marked in one statement and the
    triggers recreated with the migration's own statements."""
    Journal.open(url).close()  # the schema, by callvault's migrations
    rollups = _migration("0008")
    engine = sa.create_engine(url)
    dialect = engine.dialect.name
    if dialect == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_build_pragmas)
    collecting = gc.isenabled()
    gc.disable()  # millions of row tuples, no cycles: the collector only slows the load
    try:
        with engine.begin() as connection:
            if connection.execute(sa.select(sa.func.count()).select_from(calls)).scalar_one():
                raise SystemExit(f"{url}: the journal already holds calls")
            for table, rows in directory_rows().items():
                connection.execute(table.insert(), rows)
            for index in _indexes():
                index.drop(connection)
            for statement in rollups._DROP_TRIGGERS[dialect]:
                connection.execute(sa.text(statement))
        began = time.perf_counter()
        if dialect == "postgresql":
            _copy_postgresql(engine, synthetic_chunks(n, seed=seed))
        else:
            _insert_sqlite(engine, n, seed=seed)
        loaded = time.perf_counter()
        with engine.begin() as connection:
            for index in _indexes():
                index.create(connection)
            hour = rollups._HOUR[dialect].format(row="calls")
            connection.execute(sa.text(
                f"INSERT INTO kpi_rollup_dirty (hour) SELECT DISTINCT {hour} FROM calls "
                "WHERE true ON CONFLICT DO NOTHING"  # WHERE: SQLite's upsert-after-SELECT rule
            ))
            for statement in rollups._TRIGGERS[dialect]:
                connection.exec_driver_sql(statement)
            if dialect == "postgresql":
                connection.execute(sa.text(
                    "SELECT setval(pg_get_serial_sequence('calls', 'id'), "
                    "(SELECT max(id) FROM calls))"
                ))
            if dialect == "sqlite":
                connection.execute(sa.text("ANALYZE"))
        with engine.connect() as connection:
            if dialect == "sqlite":
                connection.exec_driver_sql("PRAGMA journal_mode = WAL")  # as the journal keeps it
            else:  # statistics, and the visibility map that makes index-only scans so
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM (ANALYZE) calls, teams, queues, agents"
                )
        return Loaded(n, loaded - began, time.perf_counter() - loaded)
    finally:
        if collecting:
            gc.enable()
        engine.dispose()


_MOMENTS = tuple(column.name for column in calls.columns if isinstance(column.type, Timestamp))


def _time_text(values: np.ndarray) -> np.ndarray:
    """Float epoch seconds (NaN: NULL) as the UTC text SQLite keeps ("2026-05-01
    12:00:00.123456"; PostgreSQL reads it in a UTC session), None for NULL."""
    present = ~np.isnan(values)
    micros = np.round(np.where(present, values, 0) * 1e6).astype("datetime64[us]")
    text = np.datetime_as_string(micros, unit="us").astype("U26")
    letters = text.view("U1").reshape(-1, 26)
    letters[:, 10] = " "
    return _nullable(letters.reshape(-1).view("U26"), present)


def _text_times(columns: dict[str, np.ndarray], names: list[str] | None = None
                ) -> list[tuple[Any, ...]]:
    """A chunk's rows as tuples of the columns ``names`` (default: all, in ``calls`` column
    order), times as text (``_time_text``)."""
    lists = []
    for name in names or [column.name for column in calls.columns]:
        values = columns[name]
        lists.append((_time_text(values) if name in _MOMENTS else values).tolist())
    return list(zip(*lists))


def _sqlite_derived(seed: int) -> dict[str, str]:
    """The ``calls`` columns SQLite computes from the others while loading (SQL over
    ``{column}``), each exactly as ``synthetic_chunks`` makes it: every bound value costs
    the driver about a third of a microsecond, which was most of the load's time."""
    recorded = "{recording_path} IS NOT NULL"
    return {
        "uid": f"'syn-{seed}-' || {{id}}",
        "sip_call_id": f"{{id}} || '-{seed}@pbx.example.com'",
        "reason": "NULL",
        "end_cause": "NULL",
        "caller_display_name": "NULL",
        "caller_uri": "'sip:' || {caller_number} || '@pbx.example.com'",
        "caller_ip": "'10.0.0.10'",
        "caller_user_agent": "NULL",
        "callee_display_name": "NULL",
        "callee_uri": "'sip:' || {callee_number} || '@pbx.example.com'",
        "callee_ip": "'10.0.0.20'",
        "callee_user_agent": "NULL",
        "stream_count": "CASE WHEN {status} = 'answered' THEN 2 ELSE 0 END",
        "packet_count": "CASE WHEN {status} = 'answered' THEN {talk_ms} / 10 ELSE 0 END",
        "created_at": "{ended_at}",
        "recording_format": f"CASE WHEN {recorded} THEN 'opus' END",
        "recording_encoding": f"CASE WHEN {recorded} THEN 'opus' END",
        "recording_rate": f"CASE WHEN {recorded} THEN 16000 END",
        "recording_started_at": f"CASE WHEN {recorded} THEN {{answered_at}} END",
        "recording_duration_ms": f"CASE WHEN {recorded} THEN {{talk_ms}} END",
        "recording_size": f"CASE WHEN {recorded} THEN {{talk_ms}} * 2 END",
        "recording_sha256": f"CASE WHEN {recorded} THEN printf('%064d', {{id}}) END",
    }


def _sqlite_insert(seed: int) -> tuple[str, list[str]]:
    """The INSERT statement of the SQLite load and the columns it binds, in order."""
    derived = _sqlite_derived(seed)
    names = [column.name for column in calls.columns]
    bound = [name for name in names if name not in derived]
    places = {name: f"?{i}" for i, name in enumerate(bound, 1)}
    values = [derived[name].format(**places) if name in derived else places[name]
              for name in names]
    return f"INSERT INTO calls ({', '.join(names)}) VALUES ({', '.join(values)})", bound


def _sqlite_build_pragmas(connection: Any, _record: Any) -> None:
    """No rollback journal, no syncs, a big page cache, in-memory sorts on two threads (the
    index rebuild): the build only (``build_journal`` puts the journal back in WAL mode)."""
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA threads = 2")
    connection.execute("PRAGMA cache_size = -1048576")  # 1 GiB
    connection.execute("PRAGMA temp_store = MEMORY")


def _produce_rows(n: int, seed: int, names: list[str], rows: Any) -> None:
    """The producer process of the SQLite load: each chunk's rows of ``names``, as tuples,
    onto the queue ``rows``; None at the end."""
    gc.disable()
    for columns in synthetic_chunks(n, seed=seed):
        rows.put(_text_times(columns, names))
    rows.put(None)


def _insert_sqlite(engine: sa.Engine, n: int, *, seed: int) -> None:
    """Insert ``n`` synthetic calls by ``executemany`` of plain tuples with one prepared
    INSERT, in one transaction with no rollback journal; the rows are generated in a second
    process meanwhile (generating them takes about half as long as inserting them)."""
    statement, bound = _sqlite_insert(seed)
    context = multiprocessing.get_context("fork")
    rows = context.Queue(maxsize=2)
    producer = context.Process(target=_produce_rows, args=(n, seed, bound, rows), daemon=True)
    fairy = engine.raw_connection()
    raw = fairy.driver_connection
    producer.start()
    try:
        raw.commit()
        waited = inserting = 0.0
        while True:
            began = time.perf_counter()
            chunk = rows.get()
            waited += time.perf_counter() - began
            if chunk is None:
                break
            raw.executemany(statement, chunk)
            inserting += time.perf_counter() - began
        print(f"  rows inserted in {inserting - waited:.1f} s, {waited:.1f} s waiting for the "
              "producer", file=sys.stderr)
        raw.commit()
        producer.join()
        if producer.exitcode != 0:
            raise RuntimeError(f"the row producer failed (exit code {producer.exitcode})")
    finally:
        if producer.is_alive():
            producer.kill()
        fairy.close()


def _copy_postgresql(engine: sa.Engine, chunks: Iterator[dict[str, np.ndarray]]) -> None:
    names = [column.name for column in calls.columns]
    fairy = engine.raw_connection()
    try:
        cursor = fairy.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        with cursor.copy(f"COPY calls ({', '.join(names)}) FROM STDIN") as copy:
            for columns in chunks:
                for row in _text_times(columns):
                    copy.write_row(row)
        fairy.commit()
    finally:
        fairy.close()


def main() -> None:
    url, n = sys.argv[1], int(sys.argv[2])
    loaded = build_journal(url, n)
    print(f"{n:,} calls: load {loaded.load_s:.1f} s, indexes {loaded.index_s:.1f} s, "
          f"{loaded.rate:,.0f} calls/s", file=sys.stderr)


if __name__ == "__main__":
    main()
