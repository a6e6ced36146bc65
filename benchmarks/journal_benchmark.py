#!/usr/bin/env python3
"""The call journal at scale: bulk import rate, and filtered-list and client-history
latency on a synthetic journal of 10 million calls, on SQLite and on PostgreSQL.

Builds the journal once per backend (``synthetic_journal.build_journal``: a year of a
500-agent call center) into benchmarks/out/ (SQLite) or the database
``callvault_bench_<N>`` (PostgreSQL), reused while its marker file is there; then runs
each query kind ``--repeat`` times with fresh parameters through the same
``Journal.page_calls`` / ``count_calls`` / ``CallFilter`` code the API uses, and prints
p50/p95 per kind and backend (the page of 50 calls, and the API's default capped count).

    .venv/bin/python benchmarks/journal_benchmark.py                    # 10,000,000 calls
    .venv/bin/python benchmarks/journal_benchmark.py --calls 100000     # a smoke test
    .venv/bin/python benchmarks/journal_benchmark.py --backends sqlite --repeat 50
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import sqlalchemy as sa  # noqa: E402
from synthetic_journal import (  # noqa: E402
    AGENTS,
    CHANNELS,
    END,
    QUEUES,
    REPEAT_CALLERS,
    TEAMS,
    TRACKED,
    build_journal,
    extension_of,
    repeat_caller,
)

from callvault.api.scope import ClientFilter  # noqa: E402
from callvault.journal import CallFilter, Journal  # noqa: E402
from callvault.journal.filters import SORT_KEY_LABEL, number_forms  # noqa: E402
from callvault.journal.schema import calls  # noqa: E402

PAGE = 50
COUNT_CAP = 1_000
"""As the API's ``count=capped``."""
DAY = 86400.0
OUT = HERE / "out"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


def journal_url(backend: str, n: int, postgres: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{OUT / f'journal-{n}.sqlite3'}"
    return f"{postgres}/callvault_bench_{n}"


def ensure_built(backend: str, n: int, postgres: str) -> dict[str, Any]:
    """The journal of ``n`` calls on ``backend``, built unless its marker says it is."""
    marker = OUT / f"journal-{n}.{backend}.json"
    if marker.exists():
        return dict(json.loads(marker.read_text()), reused=True)
    OUT.mkdir(parents=True, exist_ok=True)
    url = journal_url(backend, n, postgres)
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{OUT / f'journal-{n}.sqlite3'}{suffix}").unlink(missing_ok=True)
    else:
        admin = sa.create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS callvault_bench_{n}"))
            connection.execute(sa.text(f"CREATE DATABASE callvault_bench_{n}"))
        admin.dispose()
    print(f"building {n:,} calls on {backend} …", file=sys.stderr, flush=True)
    loaded = build_journal(url, n)
    built = {
        "calls": n,
        "load_s": round(loaded.load_s, 1),
        "index_s": round(loaded.index_s, 1),
        "calls_per_s": round(loaded.rate),
        "load_calls_per_s": round(n / loaded.load_s),
        "built": time.strftime("%Y-%m-%d %H:%M"),
    }
    marker.write_text(json.dumps(built))
    print(f"  {built}", file=sys.stderr, flush=True)
    return dict(built, reused=False)


def customer(rnd: random.Random) -> str:
    """A repeat caller's number, as often as callers call (busy numbers more often)."""
    return repeat_caller(int(REPEAT_CALLERS * rnd.random() ** 2.2))


Query = Callable[[random.Random, Journal, int], CallFilter]


def _cursor_at(journal: Journal, wanted: CallFilter, depth: int) -> CallFilter:
    """``wanted`` continued from its ``depth``-th call (found with an offset: untimed)."""
    page = journal.page_calls(replace(wanted, limit=1, offset=depth))
    if page.next_cursor is None:
        return wanted
    return replace(wanted, cursor=page.next_cursor)


def _deep_latest(rnd: random.Random, journal: Journal, n: int) -> CallFilter:
    """Page through the whole journal, newest first, from a call a random depth in (ids
    follow start times here, so the cursor is read from the row, untimed)."""
    ident = rnd.randint(1, max(1, n - PAGE))
    with journal._engine.connect() as connection:  # noqa: SLF001 (benchmark set-up only)
        started = connection.execute(
            sa.select(calls.c.started_at).where(calls.c.id == ident)
        ).scalar_one()
    wanted = CallFilter(limit=PAGE)
    return replace(wanted, cursor=wanted.cursor_of({SORT_KEY_LABEL: started, "id": ident}))


QUERIES: dict[str, Query] = {
    "latest calls (no filter)": lambda rnd, j, n: CallFilter(limit=PAGE),
    "all calls, deep cursor page": _deep_latest,
    "agent, last 30 days": lambda rnd, j, n: CallFilter(
        agent_id=rnd.randint(1, AGENTS), since=END - 30 * DAY, limit=PAGE
    ),
    "agent, deep cursor page (n / 5,000 calls in)": lambda rnd, j, n: _cursor_at(
        j, CallFilter(agent_id=rnd.randint(1, AGENTS), limit=PAGE), n // 5000
    ),
    "agent by name": lambda rnd, j, n: CallFilter(
        agent=f"Agent {rnd.randint(1, AGENTS):03d}", limit=PAGE
    ),
    "team, missed": lambda rnd, j, n: CallFilter(
        team_id=rnd.randint(1, TEAMS), status="missed", limit=PAGE
    ),
    "two queues, inbound, talk ≥ 60 s": lambda rnd, j, n: CallFilter(
        queue_id=tuple(rnd.sample(range(1, QUEUES + 1), 2)),
        direction="inbound",
        min_talk_ms=60_000,
        limit=PAGE,
    ),
    "missed/busy/rejected, last 7 days": lambda rnd, j, n: CallFilter(
        status=("missed", "busy", "rejected"), since=END - 7 * DAY, limit=PAGE
    ),
    "recorded sales": lambda rnd, j, n: CallFilter(
        has_recording=True, outcome="sale", limit=PAGE
    ),
    "tracked number's channel + campaign": lambda rnd, j, n: CallFilter(
        channel=CHANNELS[(t := rnd.randint(1, TRACKED)) % len(CHANNELS)],
        campaign=f"campaign-{t % 13:02d}",
        limit=PAGE,
    ),
    "comment text, last 7 days": lambda rnd, j, n: CallFilter(
        comment=rnd.choice(("invoice", "callback", "router", "discount")),
        since=END - 7 * DAY,
        limit=PAGE,
    ),
    "one day sorted by duration": lambda rnd, j, n: CallFilter(
        since=(day := END - rnd.randint(1, 300) * DAY),
        until=day + DAY,
        sort="duration",
        limit=PAGE,
    ),
    "agent's extension as a party": lambda rnd, j, n: CallFilter(
        party=extension_of(rnd.randint(1, AGENTS)), since=END - 7 * DAY, limit=PAGE
    ),
    "customer number as a party": lambda rnd, j, n: CallFilter(
        party=customer(rnd), limit=PAGE
    ),
    "client history (/api/clients/{n}/calls)": lambda rnd, j, n: ClientFilter(
        client=number_forms(customer(rnd)), limit=PAGE
    ),
    "client history, busiest callers": lambda rnd, j, n: ClientFilter(
        client=number_forms(repeat_caller(rnd.randint(0, 9))), limit=PAGE
    ),
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(url: str, n: int, repeat: int, seed: int) -> list[dict[str, Any]]:
    """Each query kind ``repeat`` times with fresh parameters, then all of it again with the
    same parameters: the first pass is *cold* (those calls' pages may not be in memory yet),
    the second *warm*."""
    results = []
    with Journal.open(url) as journal:
        for name, make in QUERIES.items():
            rnd = random.Random(f"{seed}-{name}")
            wanted = [make(rnd, journal, n) for _ in range(repeat)]
            for run in ("cold", "warm"):
                page_ms, count_ms, rows = [], [], []
                for one in wanted:
                    began = time.perf_counter()
                    page = journal.page_calls(one)
                    page_ms.append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    journal.count_calls(one, cap=COUNT_CAP)
                    count_ms.append((time.perf_counter() - began) * 1000)
                    rows.append(len(page.calls))
                results.append({
                    "query": name,
                    "run": run,
                    "page_p50_ms": round(statistics.median(page_ms), 1),
                    "page_p95_ms": round(percentile(page_ms, 0.95), 1),
                    "count_p50_ms": round(statistics.median(count_ms), 1),
                    "count_p95_ms": round(percentile(count_ms, 0.95), 1),
                    "mean_rows": round(statistics.fmean(rows), 1),
                })
                print(f"  {name}: {results[-1]}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, no database")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"calls": args.calls, "machine": platform.platform(), "backends": {}}
    for backend in args.backends.split(","):
        built = ensure_built(backend, args.calls, args.postgres)
        entry: dict[str, Any] = {"build": built}
        if not args.build_only:
            print(f"querying {backend} …", file=sys.stderr, flush=True)
            url = journal_url(backend, args.calls, args.postgres)
            entry["queries"] = measure(url, args.calls, args.repeat, args.seed)
        report["backends"][backend] = entry
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"journal-benchmark-{args.calls}.json").write_text(json.dumps(report, indent=2))
    print(markdown(report))


def markdown(report: dict[str, Any]) -> str:
    lines = ["| backend | calls/s (load only) | calls/s (with index build) | load s | index s |",
             "|---|---|---|---|---|"]
    for backend, entry in report["backends"].items():
        b = entry["build"]
        lines.append(f"| {backend} | {b['load_calls_per_s']:,} | {b['calls_per_s']:,} | "
                     f"{b['load_s']} | {b['index_s']} |")
    backends = [b for b, e in report["backends"].items() if "queries" in e]
    if backends:
        lines += ["", "| query | " + " | ".join(
            f"{b} page p50 / p95 ms (cold; warm) | {b} capped count p50 / p95 ms (cold; warm)"
            for b in backends) + " |",
            "|---|" + "---|---|" * len(backends)]
        by_name = {b: {(q["query"], q.get("run", "cold")): q
                       for q in report["backends"][b]["queries"]} for b in backends}
        for name in QUERIES:
            cells = []
            for b in backends:
                runs = [by_name[b][name, run] for run in ("cold", "warm")
                        if (name, run) in by_name[b]]
                for kind in ("page", "count"):
                    cells.append("; ".join(
                        f"{q[f'{kind}_p50_ms']} / {q[f'{kind}_p95_ms']}" for q in runs))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
