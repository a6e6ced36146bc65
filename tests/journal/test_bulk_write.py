"""The write path's shortcuts give what saving calls one by one gives: new calls in one
``executemany`` per table, the fused timestamp processor, uids looked up in padded lists."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from journal_calls import T0

from callvault.calls.model import Call, CallStatus
from callvault.journal import Journal, rows
from callvault.journal.schema import Timestamp, calls, events, streams
from callvault.journal.writer import _sqlite_timestamp


def test_the_fused_timestamp_gives_sqlalchemys_text() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    chain = Timestamp().dialect_impl(dialect).bind_processor(dialect)
    assert chain is not None
    rng = random.Random(7)
    moments: list[Any] = [None, 0.0, 1e-6, 59.999999, 951782400.25, 4102444800.0, 1_700_000_000]
    moments += [rng.uniform(0, 4e9) for _ in range(3000)]  # past the cache of seconds' texts
    moments += [round(rng.uniform(1.6e9, 1.8e9), 6) for _ in range(3000)]
    # Half a microsecond either side of a second's end: rounded half to even, carried over.
    moments += [n + k / 1e6 + 5e-7 for n in (0, 86_399, 1.7e9) for k in (0, 1, 999_998, 999_999)]
    moments += [-1.5, -1e-7, datetime(2026, 11, 23, 1, 22, 5, 999_999, tzinfo=UTC)]
    moments += [datetime(2026, 11, 23, 2, 0, tzinfo=timezone(timedelta(hours=1)))]
    for moment in moments:
        assert _sqlite_timestamp(moment) == chain(moment), moment


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the three tables, ids included, ``created_at`` left out."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = {}
            for table in ("calls", "streams", "events"):
                result = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
                keep = [i for i, name in enumerate(result.keys()) if name != "created_at"]
                tables[table] = [tuple(row[i] for i in keep) for row in result]
            return tables
    finally:
        engine.dispose()


def _saved(path: Path, chunks: list[list[Call]], one_by_one: bool) -> dict[str, list]:  # type: ignore[type-arg]
    url = f"sqlite:///{path}"
    with Journal.open(url) as journal:
        for chunk in chunks:
            copies = [dataclasses.replace(call) for call in chunk]
            if one_by_one:
                for call in copies:
                    journal.save(call)
            else:
                journal.save_many(copies)
    return _rows(url)


def test_chunks_save_as_calls_one_by_one_do(
    tmp_path: Path, make_call: Callable[..., Call]
) -> None:
    fresh = [make_call(f"c{n}", start=T0 + n) for n in range(6)]
    again = make_call("c2", status=CallStatus.MISSED, answered_at=None, events=[])
    twice = make_call("d0", start=T0 + 50)
    chunks = [
        fresh[:4],  # all new: the bulk path
        [fresh[4], again, fresh[5]],  # one stored already: one by one
        [twice, make_call("d1", start=T0 + 51), dataclasses.replace(twice, sip_code=486)],
        [make_call("bare", streams=[], events=[])],
    ]
    bulk = _saved(tmp_path / "bulk.sqlite3", chunks, one_by_one=False)
    single = _saved(tmp_path / "single.sqlite3", chunks, one_by_one=True)
    assert bulk == single
    assert [row[1] for row in bulk["calls"]] == ["c0", "c1", "c2", "c3", "c4", "c5", "d0", "d1",
                                                  "bare"]  # fmt: skip


def test_more_calls_than_one_uid_lookup_takes(
    tmp_path: Path, make_call: Callable[..., Call]
) -> None:
    calls = [make_call(f"many-{n}", start=T0 + n) for n in range(1300)]
    with Journal.open(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal:
        ids = journal.save_many(calls, batch=1300)
        assert ids == list(range(1, 1301))
        assert [call.id for call in calls] == ids
        # Rows go in 16 (then 4) to a statement, in order: each uid has its place's id.
        for n in (0, 15, 16, 1295, 1299):
            found = journal.get_call(f"many-{n}")
            assert found is not None and found.id == n + 1


def _temp_store(journal: Journal) -> int:
    with journal.engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA temp_store").scalar_one())


def test_statement_journals_in_memory_only_while_writing(
    tmp_path: Path, make_call: Callable[..., Call]
) -> None:
    with Journal.open(f"sqlite:///{tmp_path / 'j.sqlite3'}") as journal:
        journal.save_many([make_call(f"m{n}", start=T0 + n) for n in range(3)])
        journal.save(make_call("m1", start=T0 + 1))  # stored already: one by one
        assert _temp_store(journal) == 0
        broken = make_call("broken", start=T0 + 9)
        broken.status = "not a status"  # type: ignore[assignment]
        with pytest.raises(ValueError, match="not a status"):
            journal.save_many([make_call("m9", start=T0 + 8), broken])
        assert _temp_store(journal) == 0
        assert journal.get_call("m9") is None  # the failed transaction left nothing behind
        assert journal.count_calls() == 3


def test_rows_name_every_column_of_their_tables() -> None:
    for table, columns in (
        (calls, rows.CALL_COLUMNS),
        (streams, rows.STREAM_COLUMNS),
        (events, rows.EVENT_COLUMNS),
    ):
        assert sorted(columns) == sorted(c.name for c in table.c if c.name != "id"), table.name
