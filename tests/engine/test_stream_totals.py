"""Stream totals in columns read and add up as a stream's own attributes do."""

from __future__ import annotations

import numpy as np

from callvault.calls.media import StreamState
from callvault.calls.totals import StreamTotals


def _groups(stream: StreamState, groups: list[tuple[int, int, int, float, int, int]]) -> None:
    """Add groups (pt, packets, bytes, last, seq first, seq last) one by one, as the engine's
    recorder path does."""
    for pt, n, size, last, seq_first, seq_last in groups:
        stream.packets += n
        stream.bytes += size
        stream.packets_by_pt[pt] = stream.packets_by_pt.get(pt, 0) + n
        stream.last_at = max(stream.last_at, last)
        if stream.seq_first is None:
            stream.seq_first = seq_first
        stream.seq_last = seq_last


def _snapshot(stream: StreamState) -> tuple[object, ...]:
    return (
        stream.packets,
        stream.bytes,
        stream.packets_by_pt,
        stream.last_at,
        stream.seq_first,
        stream.seq_last,
    )


def test_columns_add_a_window_as_groups_one_by_one() -> None:
    windows = [
        [(0, 3, 480, 1.5, 10, 12), (101, 2, 8, 1.4, 13, 14)],
        [(101, 1, 4, 2.0, 15, 15), (0, 4, 640, 2.5, 16, 19)],
        [(8, 1, 160, 2.6, 20, 20)],
    ]
    plain = StreamState((1, 4000, 2, 5000, 7), None, None, 1.0, 1.0)
    bound = StreamState((1, 4000, 2, 5000, 7), None, None, 1.0, 1.0)
    other = StreamState((3, 4002, 4, 5002, 9), None, None, 1.0, 1.0)
    totals = StreamTotals(capacity=1)  # grows as streams and lanes come
    totals.bind(bound)
    totals.bind(other)
    for groups in windows:
        _groups(plain, groups)
        lanes = np.array([totals.lane(bound, pt) for pt, *_ in groups] + [totals.lane(other, 0)])
        cols = [np.array([g[k] for g in groups] + [(0, 1, 160, 9.0, 1, 1)[k]]) for k in range(1, 6)]
        totals.add(lanes, *cols)
        assert _snapshot(bound) == _snapshot(plain)
    assert other.packets == 3 and other.seq_first == 1 and other.last_at == 9.0
    totals.unbind(bound)
    assert bound.row == -1 and totals.count == 1
    assert _snapshot(bound) == _snapshot(plain)
    bound.packets += 1  # its own attribute again
    assert bound.packets == plain.packets + 1


def test_find_gives_the_lane_of_a_known_key_only() -> None:
    totals = StreamTotals()
    stream = StreamState((1, 4000, 2, 5000, 7), None, None, 1.0, 1.0)
    totals.bind(stream)
    lane = totals.lane(stream, 0)
    totals.key(lane, (11, 22, 33), 12345)
    hashed = np.array([12345, 12345, 999], dtype=np.uint64)
    words = np.array([[11, 22, 33], [11, 22, 34], [11, 22, 33]], dtype=np.uint64)
    assert totals.find(hashed, words).tolist() == [lane, -1, -1]
    totals.unbind(stream)
    assert totals.find(hashed, words).tolist() == [-1, -1, -1]
