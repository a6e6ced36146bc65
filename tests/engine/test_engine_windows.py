"""The engine tells its caller where each window of capture time ends (journal commits)."""

from __future__ import annotations

from pathlib import Path

from callvault.calls.model import Call
from callvault.config import Settings
from callvault.engine import WINDOW_S, ingest_file
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
