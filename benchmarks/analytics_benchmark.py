"""Every KPI over a year of a 500-seat center, grouped by agent and by hour of day.

    .venv/bin/python benchmarks/analytics_benchmark.py --calls 200000 --backend sqlite
    .venv/bin/python benchmarks/analytics_benchmark.py --calls 10000000 \\
        --sqlite /work/bench-data/analytics-10000000.sqlite3 \\
        --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/callvault_analytics_10000000

Builds a synthetic journal of a year (``synthetic_journal.build_journal``: 500 agents in 25
teams, 12 queues, 40 tracked numbers, daily and weekly arrival patterns, repeat callers)
where the journal named holds no calls yet, and reuses it where it does (so a 10 M-call
journal is built once). Adds RTP quality (a stream) to one answered call in ten, builds
the KPI rollups (``analytics.rollups.rebuild``, timed; ``--keep-rollups`` keeps rollups
already made with the benchmark's settings when no streams were added), then times
``analytics.query.kpis`` for all KPIs over the year, by agent and by hour of day, through
a fresh engine: the first query after opening (cold for the database's caches, not for
the operating system's) and the best of three after it (warm).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from synthetic_journal import build_journal

from callvault.analytics import query, rollups
from callvault.analytics.kpis import KpiSettings
from callvault.journal import Journal
from callvault.journal.schema import calls

SETTINGS = KpiSettings(timezone="Europe/Copenhagen", deal_value=250)
POSTGRES_URL = os.environ.get(
    "CALLVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WARM_RUNS = 3


def timed(label: str, action: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``action``, print its wall-clock time and this process's CPU time (on SQLite that
    is the database's work too: on a busy machine, the figure the load does not inflate)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.3f} s (CPU {time.process_time() - cpu:.3f} s)", flush=True)
    return elapsed, result


def add_streams(engine: sa.Engine) -> int:
    """A stream with quality for one answered call in ten (none yet): MOS 3.3-4.4, loss
    0-2.2 %."""
    with engine.begin() as connection:
        if connection.exec_driver_sql("SELECT count(*) FROM streams").scalar_one():
            return 0
        return connection.execute(sa.text(
            "INSERT INTO streams (call_id, seq, ssrc, src_ip, src_port, dst_ip, dst_port, "
            "payload_types, packets, bytes, first_at, last_at, rtcp_packets, expected, lost, "
            "mos) SELECT id, 0, 1, '192.0.2.1', 4000, '192.0.2.2', 4002, '8', 1000, 160000, "
            "started_at, COALESCE(ended_at, started_at), 0, 1000, id % 23, "
            "3.3 + (id % 12) / 10.0 FROM calls WHERE status = 'answered' AND id % 10 = 0"
        )).rowcount


def prepare(url: str, total: int) -> dict[str, float]:
    """The journal at ``url`` with ``total`` calls (built if it holds none) and its streams."""
    figures: dict[str, float] = {}
    Journal.open(url).close()  # created, or brought to the migrations' head
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(calls)).scalar_one()
    engine.dispose()  # the build changes SQLite's journal mode: no other connection open
    if not count:
        figures["load"], _ = timed("journal built (synthetic_journal)",
                                        lambda: build_journal(url, total))
    figures["streams_s"], figures["streams"] = timed("streams added",
                                                     lambda: add_streams(engine))
    engine.dispose()
    return figures


def run(backend: str, url: str, total: int, *, keep_rollups: bool) -> dict[str, float]:
    print(f"{backend}: {url}", flush=True)
    figures = prepare(url, total)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        figures["calls"] = connection.execute(
            sa.select(sa.func.count()).select_from(calls)).scalar_one()
        first, last = connection.execute(
            sa.select(sa.func.min(calls.c.started_at), sa.func.max(calls.c.started_at))).one()
        stored = rollups.stored_state(connection)
    zone = SETTINGS.zone
    since = rollups.local_midnight(datetime.fromtimestamp(first, zone).date(), SETTINGS)
    until = rollups.local_midnight(
        datetime.fromtimestamp(last, zone).date() + timedelta(days=1), SETTINGS)
    if keep_rollups and stored == rollups.state_of(SETTINGS) and not figures["streams"]:
        figures["rebuild"], _ = timed("rollups refreshed", lambda: rollups.refresh(engine,
                                                                                    SETTINGS))
    else:
        figures["rebuild"], _ = timed("rollups rebuilt", lambda: rollups.rebuild(engine,
                                                                                  SETTINGS))
    with engine.connect() as connection:
        figures["rollup_rows"] = connection.execute(
            sa.text("SELECT count(*) FROM kpi_rollups")).scalar_one()
    engine.dispose()
    for by in ("agent", "hour"):
        fresh = sa.create_engine(url)  # a new pool: the first query opens its connection
        runs = []
        for attempt in range(1 + WARM_RUNS):
            elapsed, report = timed(
                f"all KPIs by {by} ({'cold' if attempt == 0 else 'warm'})",
                lambda by=by, fresh=fresh: query.kpis(fresh, since, until, by=by,
                                                      settings=SETTINGS))
            runs.append(elapsed)
        fresh.dispose()
        assert report.source == "rollups"
        assert report.total.measures["calls"] > 0.5 * figures["calls"]
        figures[f"{by}_cold"], figures[f"{by}_best"] = runs[0], min(runs[1:])
        figures[f"{by}_groups"] = len(report.rows)
        figures["contacts"] = report.total.measures["calls"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sqlite", type=Path, metavar="FILE",
                        help="The SQLite journal (built if new, reused if it holds calls).")
    parser.add_argument("--postgresql", metavar="URL",
                        help="The PostgreSQL journal (an existing database; built if empty).")
    parser.add_argument("--keep-rollups", action="store_true",
                        help="Refresh rollups made with the benchmark's settings, not rebuild.")
    args = parser.parse_args()
    results = {}
    if args.backend in ("sqlite", "both") or args.sqlite:
        path = args.sqlite or Path(tempfile.mkdtemp(prefix="callvault-analytics-")) / "j.sqlite3"
        results["SQLite"] = run("sqlite", f"sqlite:///{path}", args.calls,
                                keep_rollups=args.keep_rollups)
    if args.backend in ("postgresql", "both") or args.postgresql:
        if args.postgresql:
            results["PostgreSQL"] = run("postgresql", args.postgresql, args.calls,
                                        keep_rollups=args.keep_rollups)
        else:
            results["PostgreSQL"] = _in_scratch_schema(args.calls)
    print("\n| | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for key in ("calls", "contacts", "rollup_rows", "load", "rebuild", "agent_cold",
                "agent_best", "hour_cold", "hour_best"):
        counts = key in ("calls", "contacts", "rollup_rows")
        cells = ["-" if key not in r else f"{r[key]:,.0f}" if counts else f"{r[key]:.3f} s"
                 for r in results.values()]
        print(f"| {key} | " + " | ".join(cells) + " |")


def _in_scratch_schema(total: int) -> dict[str, float]:
    """The benchmark in a schema of its own in the test database, dropped afterwards."""
    schema = f"callvault_bench_{os.getpid()}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        return run("postgresql", url.render_as_string(hide_password=False), total,
                   keep_rollups=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


if __name__ == "__main__":
    main()
