"""The engine tells its caller where each window of capture time ends (journal commits)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callvault import engine
from callvault.calls.model import Call
from callvault.config import Settings
from callvault.engine import WINDOW_S, Engine, _group_order, ingest_file
from callvault.net.datagram import DatagramBatch
from callvault.synth import demo_calls, write_capture

T0 = 1_767_225_600.0


def test_every_call_is_followed_by_a_window_end(tmp_path: Path) -> None:
    plans = demo_calls(T0)
    path = tmp_path / "demo.pcap"
    write_capture(path, plans)
    calls: list[Call] = []
    windows: list[int] = []  # calls delivered when each window ended
    settings = Settings(record_audio=False)
    summary = ingest_file(
        path, settings, calls.append, on_window=lambda: windows.append(len(calls))
    )
    assert summary.calls == len(calls) == len(plans)
    assert windows[-1] == len(calls)  # the last call is followed by a window end
    assert windows == sorted(windows)
    # Calls end along the capture: they are delivered over many windows, never all at the close.
    assert len(set(windows)) > len(plans) // 2
    span = max(c.ended_at or c.started_at for c in calls) - min(c.started_at for c in calls)
    assert len(windows) >= span / WINDOW_S / 2


@pytest.mark.parametrize("windows", [1, 3, 5000])
def test_group_order_keeps_each_stream_together_in_arrival_order(windows: int) -> None:
    rng = np.random.default_rng(windows)
    n = 16_000
    window = np.sort(rng.integers(0, windows, n)).astype(np.int64) + 1_000_000
    stream = rng.integers(0, 700, n)
    k1 = (stream * 7919).astype(np.uint64)
    k2 = (stream * 104_729 + 3).astype(np.uint64)
    k3 = (stream % 13).astype(np.uint64)
    order = _group_order(window, k1, k2, k3)
    assert np.array_equal(np.sort(order), np.arange(n))
    w, s = window[order], stream[order]
    assert (np.diff(w) >= 0).all()  # windows ascending
    change = np.flatnonzero((np.diff(w) != 0) | (np.diff(s) != 0)) + 1
    runs = np.split(order, change)
    keys = [(int(window[r[0]]), int(stream[r[0]])) for r in runs]
    assert len(keys) == len(set(keys))  # one run per (window, stream)
    assert all((np.diff(r) > 0).all() for r in runs)  # arrival order inside a run


@pytest.mark.parametrize("windows", [1, 3])
def test_keys_that_share_a_hash_are_still_grouped_apart(
    windows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two streams whose key words hash alike (a hash with 7 values here) are told apart
    by their words: the groups are those of a sort on the words themselves."""
    monkeypatch.setattr(engine, "_mix", lambda k1, k2, k3: (k1 ^ k2 ^ k3) % np.uint64(7))
    rng = np.random.default_rng(windows)
    n = 4_000
    window = np.sort(rng.integers(0, windows, n)).astype(np.int64)
    stream = rng.integers(0, 40, n)
    k1 = (stream * 7919).astype(np.uint64)
    k2 = (stream * 104_729 + 3).astype(np.uint64)
    k3 = (stream % 13).astype(np.uint64)
    order, starts, (group_window, *words) = engine._sorted_groups(window, k1, k2, k3)
    expected = np.lexsort((k3, k2, k1, window))
    assert np.array_equal(order, expected)
    keys = np.stack((window, k1.astype(np.int64), k2.astype(np.int64), k3.astype(np.int64)))
    change = np.flatnonzero((np.diff(keys[:, expected], axis=1) != 0).any(axis=0)) + 1
    assert np.array_equal(starts, np.concatenate(([0], change)))
    assert np.array_equal(group_window, window[expected][starts])
    for got, k in zip(words, (k1, k2, k3), strict=True):
        assert np.array_equal(got, k[expected][starts])


def test_skip_counts_are_python_ints() -> None:
    """The summary's counts go to JSON as they are (a NumPy integer would not)."""
    junk = b"\x00" * 20
    batch = DatagramBatch(
        junk * 3,
        np.array([T0, T0 + 0.1, T0 + 0.2]),
        np.array([0, 20, 40]),
        np.array([20, 20, 20]),
        np.array([1, 1, 1], dtype=np.uint64),
        np.array([2, 2, 2], dtype=np.uint64),
        np.array([5000, 5000, 5000]),
        np.array([6000, 6000, 6000]),
    )
    engine_ = Engine(Settings(record_audio=False), lambda call: None)
    engine_.feed_datagrams(batch)
    summary = engine_.close()
    assert summary.skipped == {"udp neither SIP nor RTP": 3}
    assert all(type(n) is int for n in summary.skipped.values())
