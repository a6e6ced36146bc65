"""Every KPI over a year of a 500-seat center, grouped by agent and by hour of day.

    .venv/bin/python benchmarks/analytics_benchmark.py                  # 10 M calls, SQLite and PostgreSQL
    .venv/bin/python benchmarks/analytics_benchmark.py --calls 200000 --backend sqlite

Writes a synthetic journal of 2025 (500 agents in 25 teams, 10 queues, 20 tracked numbers
over 5 channels; daily and weekly arrival patterns; inbound and outbound; abandons, busy,
transfers, hold, wrap-up, CSAT, outcomes, repeat callers; RTP quality on a tenth of the
answered calls) straight into the ``calls`` and ``streams`` tables (the journal's own
save path would take hours for 10 M calls), builds the KPI rollups from it
(``analytics.rollups.rebuild``), and times ``analytics.query.kpis`` for all KPIs over
the year, by agent and by hour of day: the first query (cold, after the rebuild) and the
best of three.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callvault.analytics import query, rollups
from callvault.analytics.kpis import KpiSettings
from callvault.journal import Journal
from callvault.journal.schema import calls

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC).timestamp() - 3600  # 00:00 in Copenhagen
YEAR_END = datetime(2026, 1, 1, tzinfo=UTC).timestamp() - 3600
SETTINGS = KpiSettings(timezone="Europe/Copenhagen", deal_value=250)
AGENTS, TEAMS, QUEUES, TRACKED = 500, 25, 10, 20
CHANNELS = ("social", "search", "email", "site", "offline")
OUTCOMES = np.array(["resolved", "callback", "sale", "information", ""], dtype=object)
POSTGRES_URL = os.environ.get(
    "CALLVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CALL_COLUMNS = (
    "uid", "started_at", "answered_at", "ended_at", "status", "caller_number", "caller_e164",
    "callee_number", "direction", "codecs", "ring_ms", "talk_ms", "duration_ms",
    "stream_count", "packet_count", "created_at", "outcome", "hold_ms", "transferred",
    "wrap_up_ms", "csat", "agent_id", "team_id", "queue_id", "tracked_number_id", "channel",
    "campaign",
)
HOURLY = np.array([1, 1, 1, 1, 1, 2, 4, 10, 30, 45, 50, 48, 40, 44, 48, 46, 40, 30, 18, 10,
                   6, 4, 2, 1], dtype=float)
"""Arrivals by hour of day (relative): the daily pattern."""


def synthetic_batches(total: int, batch: int = 200_000, seed: int = 5) -> Iterator[list[tuple]]:
    """Rows of ``calls`` (CALL_COLUMNS) and of ``streams`` for ``total`` calls of 2025."""
    rng = np.random.default_rng(seed)
    days = np.arange(365)
    weekday = (days + 2) % 7  # 2025-01-01 was a Wednesday (Monday = 0)
    day_weight = np.where(weekday >= 5, 0.35, 1.0)
    day_p = day_weight / day_weight.sum()
    hour_p = HOURLY / HOURLY.sum()
    now = time.time()
    for first in range(0, total, batch):
        n = min(batch, total - first)
        started = (YEAR_START + rng.choice(days, n, p=day_p) * 86400
                   + rng.choice(24, n, p=hour_p) * 3600 + rng.uniform(0, 3600, n))
        started.sort()
        inbound = rng.random(n) < 0.8
        roll = rng.random(n)
        status = np.where(
            inbound,
            np.select([roll < 0.85, roll < 0.95, roll < 0.98], ["answered", "missed", "busy"],
                      "rejected"),
            np.select([roll < 0.70, roll < 0.95], ["answered", "missed"], "busy"),
        )
        answered = status == "answered"
        ring = np.minimum(rng.exponential(18_000, n), 600_000).astype(np.int64)
        talk = np.where(answered, rng.lognormal(np.log(200_000), 0.6, n), 0).astype(np.int64)
        hold = np.where(answered & (rng.random(n) < 0.2), rng.integers(5_000, 90_000, n), 0)
        wrap = np.where(answered, rng.integers(10_000, 60_000, n), 0)
        # A tracked number rings one queue; a queue is served by the teams t with
        # t ≡ queue (mod QUEUES); an agent belongs to one team of 20.
        tracked = np.where(inbound & (rng.random(n) < 0.3), rng.integers(1, TRACKED + 1, n), 0)
        queue = np.where(tracked > 0, (tracked - 1) % QUEUES + 1, rng.integers(1, QUEUES + 1, n))
        serving = (TEAMS - queue) // QUEUES + 1  # how many teams serve the queue
        team = queue + QUEUES * (rng.integers(0, 3, n) % serving)
        per_team = AGENTS // TEAMS
        outbound_team = rng.integers(1, TEAMS + 1, n)
        team = np.where(inbound, team, outbound_team)
        agent = (team - 1) * per_team + rng.integers(1, per_team + 1, n)
        client = rng.integers(0, 3_000_000, n)
        outcome = np.where(answered, OUTCOMES[rng.integers(0, len(OUTCOMES), n)], "")
        csat = np.where(answered & (rng.random(n) < 0.2), rng.integers(1, 6, n), 0)
        transferred = answered & (rng.random(n) < 0.08)
        rows = []
        for i in range(n):
            start = float(started[i])
            is_answered = bool(answered[i])
            end = start + (ring[i] + talk[i]) / 1000
            number = f"+45{20_000_000 + int(client[i])}"
            tn = int(tracked[i])
            rows.append((
                f"bench-{first + i}", start, start + ring[i] / 1000 if is_answered else None, end,
                str(status[i]), number if inbound[i] else "2001", number if inbound[i] else None,
                "7000" if inbound[i] else number, "inbound" if inbound[i] else "outbound",
                "PCMA/8000", int(ring[i]), int(talk[i]), int(ring[i] + talk[i]), 0, 0, now,
                str(outcome[i]) or None, int(hold[i]) if is_answered else None,
                bool(transferred[i]), int(wrap[i]) if is_answered else None,
                int(csat[i]) or None, int(agent[i]) if is_answered else None, int(team[i]),
                int(queue[i]) if inbound[i] else None, tn or None,
                CHANNELS[tn % 5] if tn else None, f"campaign-{tn}" if tn else None,
            ))
        yield rows


def _text_time(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(path: Path, total: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    marks = ", ".join("?" * len(CALL_COLUMNS))
    sql = f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({marks})"
    times = {1, 2, 3, 15}
    for rows in synthetic_batches(total):
        connection.executemany(sql, (
            tuple(_text_time(v) if i in times else v for i, v in enumerate(row)) for row in rows
        ))
        _streams(connection, "?", len(rows))
        connection.commit()
    connection.close()


def load_postgres(url: str, total: int) -> None:
    import psycopg

    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    options = sa.make_url(url).query.get("options")
    with psycopg.connect(plain.split("?")[0], options=options or "") as connection:
        times = {1, 2, 3, 15}
        for rows in synthetic_batches(total):
            with connection.cursor() as cursor, cursor.copy(
                f"COPY calls ({', '.join(CALL_COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(tuple(
                        datetime.fromtimestamp(v, UTC) if i in times and v is not None else v
                        for i, v in enumerate(row)
                    ))
            _streams(connection, "%s", len(rows))
            connection.commit()


def _streams(connection: object, mark: str, count: int) -> None:
    """A stream with quality for one answered call in ten of the last batch."""
    cursor = connection.cursor()  # type: ignore[attr-defined]
    modulo = "%" if mark == "?" else "%%"
    cursor.execute(
        "INSERT INTO streams (call_id, seq, ssrc, src_ip, src_port, dst_ip, dst_port, "
        "payload_types, packets, bytes, first_at, last_at, rtcp_packets, expected, lost, mos) "
        "SELECT id, 0, 1, '192.0.2.1', 4000, '192.0.2.2', 4002, '8', 1000, 160000, "
        f"started_at, ended_at, 0, 1000, id {modulo} 23, 3.3 + (id {modulo} 12) / 10.0 FROM calls "
        f"WHERE status = 'answered' AND id {modulo} 10 = 0 "
        f"AND id > (SELECT max(id) FROM calls) - {mark}",
        (count,),
    )


def timed(label: str, action: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.3f} s", flush=True)
    return elapsed, result


def run(backend: str, url: str, total: int, load: object) -> dict[str, float]:
    print(f"{backend}: {total:,} calls", flush=True)
    figures: dict[str, float] = {}
    try:  # the shared generator of the journal benchmarks, where it exists
        from synthetic_journal import build_journal
    except ImportError:
        Journal.open(url).close()
        figures["load"], _ = timed("load", lambda: load(total))  # type: ignore[operator]
    else:
        figures["load"], _ = timed("load (synthetic_journal)", lambda: build_journal(url, total))
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM calls")).scalar_one()
        first, last = connection.execute(
            sa.select(sa.func.min(calls.c.started_at), sa.func.max(calls.c.started_at))).one()
    figures["calls"] = count
    zone = SETTINGS.zone
    since = rollups.local_midnight(datetime.fromtimestamp(first, zone).date(), SETTINGS)
    until = rollups.local_midnight(
        datetime.fromtimestamp(last, zone).date() + timedelta(days=1), SETTINGS)
    figures["rebuild"], hours = timed("rollups rebuilt", lambda: rollups.rebuild(engine, SETTINGS))
    with engine.connect() as connection:
        figures["rollup_rows"] = connection.execute(
            sa.text("SELECT count(*) FROM kpi_rollups")).scalar_one()
    for by in ("agent", "hour"):
        runs = []
        for attempt in range(4):
            elapsed, report = timed(f"all KPIs by {by} ({'cold' if attempt == 0 else 'warm'})",
                                    lambda by=by: query.kpis(engine, since, until, by=by,
                                                             settings=SETTINGS))
            runs.append(elapsed)
        assert report.source == "rollups" and report.total.measures["calls"] > 0.5 * count
        figures[f"{by}_cold"], figures[f"{by}_best"] = runs[0], min(runs[1:])
        figures[f"{by}_groups"] = len(report.rows)
        figures["contacts"] = report.total.measures["calls"]
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--dir", type=Path, help="Where the SQLite journal goes (kept).")
    args = parser.parse_args()
    results = {}
    if args.backend in ("sqlite", "both"):
        folder = args.dir or Path(tempfile.mkdtemp(prefix="callvault-analytics-"))
        path = folder / "journal.sqlite3"
        path.unlink(missing_ok=True)
        results["SQLite"] = run("sqlite", f"sqlite:///{path}", args.calls,
                                lambda total: load_sqlite(path, total))
    if args.backend in ("postgresql", "both"):
        schema = f"callvault_bench_{os.getpid()}"
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        text = url.render_as_string(hide_password=False)
        try:
            results["PostgreSQL"] = run("postgresql", text, args.calls,
                                        lambda total: load_postgres(text, total))
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
    print("\n| | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for key in ("calls", "contacts", "rollup_rows", "load", "rebuild", "agent_cold", "agent_best",
                "hour_cold", "hour_best"):
        cells = [f"{r[key]:,.0f}" if key in ("calls", "contacts", "rollup_rows") else f"{r[key]:.2f} s"
                 for r in results.values()]
        print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
