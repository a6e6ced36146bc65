"""With no webhook configured, an attached journal saves as fast as a bare one: the active
webhooks are read once per ``REFRESH_S``, not once per call."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from webhook_helpers import T0, make_call

from callvault.journal import Journal
from callvault.webhooks import attach
from callvault.webhooks.model import REFRESH_S

CALLS = 1500


def _save_one_at_a_time(tmp_path: Path, name: str, *, attached: bool) -> tuple[float, int]:
    """Calls saved per second, and queries of the webhooks tables meanwhile."""
    calls = [make_call(f"{name}-{n}", start=T0 + n) for n in range(CALLS)]
    statements = 0

    def count(statement: str, *_: Any) -> None:
        nonlocal statements
        statements += "webhook" in statement

    with Journal.open(f"sqlite:///{tmp_path / name / 'journal.sqlite3'}") as journal:
        if attached:
            attach(journal)
        journal.save_many(calls[:100])
        # Every statement saving runs is on the journal's own SQLite connection: with no
        # webhook active, not even SQLAlchemy's engine is made.
        connection = journal._sqlite
        assert connection is not None
        connection.set_trace_callback(count)
        started = time.perf_counter()
        for call in calls[100:]:
            journal.save(call)
        elapsed = time.perf_counter() - started
        connection.set_trace_callback(None)
        assert journal._engine is None
    return (CALLS - 100) / elapsed, statements


def test_no_webhook_costs_no_query_per_save(tmp_path: Path) -> None:
    bare_rate, bare_queries = _save_one_at_a_time(tmp_path, "bare", attached=False)
    rate, queries = _save_one_at_a_time(tmp_path, "attached", attached=True)
    elapsed = (CALLS - 100) / rate
    assert bare_queries == 0
    # The active webhooks were read while warming up; they are read again at most once
    # per REFRESH_S — never once per save (that would be 1,400 queries).
    assert queries <= 1 + elapsed / REFRESH_S, (queries, elapsed)
    # The rate itself is tests/journal/test_save_rate.py's (its floor holds for both);
    # on a shared machine two runs differ more than this listener costs.
    print(f"{bare_rate:,.0f} calls/s bare, {rate:,.0f} attached with no webhook")
