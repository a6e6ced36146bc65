"""The engine tells its caller where each window of capture time ends (journal commits)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callvault.calls.model import Call
from callvault.config import Settings
from callvault.engine import WINDOW_S, _group_order, ingest_file
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
