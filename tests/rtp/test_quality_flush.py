"""Deferred quality segments are flushed only for a stream whose numbers they change: a call
that ends in the middle of a batch leaves the other streams' segments of the batch for one
update."""

from __future__ import annotations

import numpy as np
import pytest

from callvault.rtp.quality import QualityTable

EPOCH = 1_700_000_000.0


def _batch(streams: int, packets: int) -> tuple[np.ndarray, ...]:
    """``streams`` clean 20 ms streams of ``packets`` packets each, stream after stream."""
    i = np.tile(np.arange(packets), streams)
    return (
        100 + i,
        1000 + 160 * i,
        EPOCH + 0.02 * i + np.repeat(np.arange(streams) * 0.001, packets),
        np.ones(streams * packets, dtype=bool),
        np.arange(streams * packets),
    )


def _counting(table: QualityTable) -> list[int]:
    """A list that grows by one with each update the table runs."""
    calls: list[int] = []
    update = table.update

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return update(*args, **kwargs)

    table.update = counted  # type: ignore[method-assign]
    return calls


def test_a_stream_without_deferred_packets_ends_without_a_flush() -> None:
    table = QualityTable()
    ended, going = table.open_slot(), table.open_slot()
    packets = _batch(2, 50)
    table.update([ended], [0], [50], *packets[:3], [8000], packets[3])  # an earlier batch
    updates = _counting(table)
    table.defer(np.array([going]), np.array([50]), np.array([100]), np.array([8000]), packets)
    assert table.result(ended).packets == 50
    table.release(ended)
    again = table.open_slot()  # the ended stream's slot, for a new stream
    table.defer(np.array([again]), np.array([0]), np.array([50]), np.array([8000]), packets)
    assert updates == []
    assert (table.result(going).packets, table.result(going).lost) == (50, 0)
    assert table.result(again).packets == 50
    assert len(updates) == 1  # both deferred segments in one update


@pytest.mark.parametrize("finish", ["result", "release"])
def test_a_stream_with_deferred_packets_flushes_them_first(finish: str) -> None:
    table = QualityTable()
    slot, other = table.open_slot(), table.open_slot()
    packets = _batch(2, 30)
    updates = _counting(table)
    table.defer(
        np.array([slot, other]),
        np.array([0, 30]),
        np.array([30, 60]),
        np.array([8000, 8000]),
        packets,
    )
    if finish == "result":
        assert table.result(slot).packets == 30
    else:
        table.release(slot)
    assert len(updates) == 1
    assert table.result(other).packets == 30
    assert len(updates) == 1
