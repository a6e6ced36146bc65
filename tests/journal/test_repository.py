"""The journal as the engine and the commands use it: save, read back, find, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from journal_calls import T0

from callvault.calls.model import Call, CallEvent, CallStatus, Direction, MediaStream, Party, Side
from callvault.errors import JournalError
from callvault.journal import Journal


def assert_same_call(got: Call | None, want: Call) -> None:
    """Equal in every field; times to within a microsecond (what the journal keeps)."""
    assert got is not None
    assert _normalised(dataclasses.asdict(got)) == _normalised(dataclasses.asdict(want))
    assert type(got.status) is CallStatus and type(got.direction) is Direction


def _normalised(value: Any) -> Any:
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-6, rel=0)
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_normalised(item) for item in value)
    return value


def table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("calls", "streams", "events")
            }
    finally:
        engine.dispose()


def test_every_field_round_trips(journal: Journal, make_call: Callable[..., Call]) -> None:
    call = make_call()
    call_id = journal.save(call)
    assert call.id == call_id
    stored = journal.get_call(call_id)
    assert_same_call(stored, call)
    assert stored is not None
    assert [s.ssrc for s in stored.streams] == [0xFEEDBEEF, 0xBEEF]  # order kept, 32 bits
    assert [e.kind for e in stored.events] == ["dtmf", "hold", "resume", "transfer"]
    assert (stored.ring_ms, stored.talk_ms, stored.duration_ms) == (4500, 60501, 65001)


def test_times_keep_their_microseconds_exactly(journal: Journal) -> None:
    call = Call(
        uid="exact",
        sip_call_id=None,
        started_at=1714567890.000001,
        ringing_at=1714567890.999999,
        answered_at=1714567891.5,
        ended_at=1714568000.123457,
        events=[CallEvent(kind="dtmf", at=1714567895.000002)],
        streams=[MediaStream(1, "::1", 1, "::1", 2, Side.CALLER, first_at=0.000001, last_at=1.0)],
    )
    journal.save(call)
    assert journal.get_call("exact") == call


def test_a_bare_call_round_trips(journal: Journal) -> None:
    """Nothing but the required fields: every optional one comes back empty, not invented."""
    call = Call(uid="rtp-only", sip_call_id=None, started_at=T0, status=CallStatus.UNSIGNALLED)
    journal.save(call)
    stored = journal.get_call("rtp-only")
    assert stored == call
    assert stored is not None and stored.caller == Party() and stored.codecs == ()


def test_saving_a_stored_uid_replaces_the_row_in_place(
    journal: Journal, journal_url: str, make_call: Callable[..., Call]
) -> None:
    first_id = journal.save(make_call("again"))
    journal.save(make_call("other", start=T0 + 100))
    update = make_call(
        "again",
        status=CallStatus.MISSED,
        sip_code=487,
        answered_at=None,
        streams=[make_call().streams[1]],
        events=[],
    )
    assert journal.save(update) == first_id
    assert update.id == first_id
    assert_same_call(journal.get_call("again"), update)
    assert journal.count_calls() == 2
    # The old streams and events are gone, not orphaned.
    assert table_counts(journal_url) == {"calls": 2, "streams": 3, "events": 4}


def test_save_many_returns_ids_in_order_and_commits_in_batches(
    journal: Journal, make_call: Callable[..., Call]
) -> None:
    calls = [make_call(f"c{n}", start=T0 + n) for n in range(5)]
    ids = journal.save_many(iter(calls), batch=2)
    assert ids == [call.id for call in calls] and len(set(ids)) == 5
    assert [call.uid for call in journal.list_calls()] == ["c4", "c3", "c2", "c1", "c0"]


def test_get_call_by_id_uid_or_call_id(journal: Journal, make_call: Callable[..., Call]) -> None:
    first = make_call("uid-a", sip_call_id="shared@pbx")
    second = make_call("uid-b", start=T0 + 60, sip_call_id="shared@pbx")
    journal.save_many([first, second])
    assert second.id is not None
    assert journal.get_call(second.id) == journal.get_call(str(second.id)) == second
    assert journal.get_call("uid-a") == first
    assert journal.get_call("shared@pbx") == second  # the most recent of one Call-ID
    assert journal.get_call("nobody") is None
    assert journal.get_call(99999) is None
    assert journal.get_call("9" * 30) is None  # beyond any id, and no uid or Call-ID


def test_an_id_wins_over_a_uid_that_looks_like_one(
    journal: Journal, make_call: Callable[..., Call]
) -> None:
    by_id = make_call("first")
    looks_like_an_id = make_call("1", start=T0 + 1)
    journal.save_many([by_id, looks_like_an_id])
    assert by_id.id == 1
    assert journal.get_call("1") == by_id


def test_a_failed_save_is_a_journal_error_and_the_journal_goes_on(
    journal: Journal, make_call: Callable[..., Call]
) -> None:
    broken = make_call("broken")
    broken.streams[0].src_ip = None  # type: ignore[assignment]
    with pytest.raises(JournalError, match="cannot write to the journal"):
        journal.save(broken)
    assert journal.count_calls() == 0  # nothing half-written
    journal.save(make_call("fine"))
    assert journal.count_calls() == 1


def test_saves_from_many_threads(journal: Journal, make_call: Callable[..., Call]) -> None:
    def save_some(worker: int) -> None:
        for n in range(25):
            journal.save(make_call(f"w{worker}-{n}", start=T0 + n))

    threads = [threading.Thread(target=save_some, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert journal.count_calls() == 100


def test_reopening_keeps_what_was_saved(journal_url: str, make_call: Callable[..., Call]) -> None:
    with Journal.open(journal_url) as journal:
        journal.save(make_call())
    with Journal.open(journal_url) as journal:
        assert_same_call(journal.get_call("call-1"), make_call(id=1))
