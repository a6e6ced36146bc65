"""The write path's shortcuts give what saving calls one by one gives: new calls in one
``executemany`` per table, the fused timestamp processor, uids looked up in padded lists."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from journal_calls import T0

from callvault.calls.model import Call, CallStatus
from callvault.journal import Journal
from callvault.journal.schema import Timestamp
from callvault.journal.writer import _sqlite_timestamp


def test_the_fused_timestamp_gives_sqlalchemys_text() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    chain = Timestamp().dialect_impl(dialect).bind_processor(dialect)
    assert chain is not None
    rng = random.Random(7)
    moments = [None, 0.0, 1e-6, 59.999999, 951782400.25, 4102444800.0]
    moments += [rng.uniform(0, 4e9) for _ in range(2000)]
    moments += [round(rng.uniform(1.6e9, 1.8e9), 6) for _ in range(2000)]
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
        assert journal.get_call("many-1299") is not None
