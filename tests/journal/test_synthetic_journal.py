"""The benchmarks' synthetic journal loader (benchmarks/synthetic_journal.py): what its
fast bulk load stores is exactly the synthetic calls, and it leaves the journal as
callvault's migrations make it — indexes, the analytics triggers, every call's hour
marked for the KPI rollups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from synthetic_journal import build_journal, synthetic_calls

from callvault.journal import Journal
from callvault.journal.schema import calls, kpi_rollup_dirty

CALLS = 3_000


def test_the_bulk_load_stores_exactly_the_synthetic_calls(journal_url: str) -> None:
    loaded = build_journal(journal_url, CALLS, seed=3)

    assert loaded.calls == CALLS
    expected = list(synthetic_calls(CALLS, seed=3))
    engine = sa.create_engine(journal_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.select(calls).order_by(calls.c.id)).mappings().all()
            hours = set(connection.execute(sa.select(kpi_rollup_dirty.c.hour)).scalars())
    finally:
        engine.dispose()
    assert len(stored) == CALLS
    for want, got in zip(expected, stored, strict=True):
        for name, value in want.items():
            if isinstance(value, float):  # a moment: stored to the microsecond
                assert got[name] == pytest.approx(value, abs=1e-6), (want["id"], name)
            else:
                assert got[name] == value, (want["id"], name)
    assert hours == {int(row["started_at"]) // 3600 * 3600 for row in expected}


def test_the_journal_is_left_as_migrated(journal_url: str) -> None:
    build_journal(journal_url, CALLS)

    engine = sa.create_engine(journal_url)
    try:
        names = {index["name"] for index in sa.inspect(engine).get_indexes("calls")}
        assert {index.name for index in calls.indexes} <= names
        with engine.begin() as connection:
            connection.execute(sa.delete(kpi_rollup_dirty))
            # The recreated trigger marks the hour of a call written after the load.
            connection.execute(
                sa.update(calls).where(calls.c.id == 1).values(comment="after the load")
            )
            marked = connection.execute(sa.select(kpi_rollup_dirty.c.hour)).scalars().all()
            started = connection.execute(
                sa.select(calls.c.started_at).where(calls.c.id == 1)
            ).scalar_one()
    finally:
        engine.dispose()
    assert marked == [int(started) // 3600 * 3600]
    with Journal.open(journal_url) as journal:  # opens without migrating anything further
        assert journal.count_calls() == CALLS
        assert journal.get_call(f"syn-1-{CALLS}") is not None
