"""`callvault health` for monitoring, and callvault's own drops: when the engine cannot keep
up, the reader lets whole batches go, counts them by reason and says so everywhere."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from callvault.capture.live import LiveCaptureError, LiveInterface
from callvault.cli import cli
from callvault.config import Settings
from callvault.ops import capture_recorder
from callvault.ops.capture_recorder import QUEUE_FULL, CaptureRecorder
from callvault.ops.metrics import render
from callvault.ops.stats import RecorderStats, stats_path, write_stats


def test_health_exits_1_with_the_reasons_when_degraded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    ok = runner.invoke(cli, ["health", "--data-dir", str(data)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("health: ok\n")
    assert "no recorder has run on this data directory" in ok.output
    write_stats(data, RecorderStats("eth1-rec", "capture", "eth1",
                                    heartbeat_at=time.time() - 120))
    write_stats(data, RecorderStats("clean", "siprec", "udp", running=False))
    bad = runner.invoke(cli, ["health", "--data-dir", str(data), "--format", "json"])
    assert bad.exit_code == 1
    report = json.loads(bad.output)
    assert report["status"] == "degraded"
    (reason,) = report["reasons"]
    assert re.fullmatch(r"recorder eth1-rec: no heartbeat for 12\d s", reason)
    assert {r["name"]: r["up"] for r in report["recorders"]} == {"eth1-rec": False,
                                                                  "clean": False}
    text = runner.invoke(cli, ["health", "--data-dir", str(data)])
    assert "recorder eth1-rec (capture, eth1): DOWN" in text.output
    assert "recorder clean (siprec, udp): stopped" in text.output


def test_a_slow_engine_drops_whole_batches_and_counts_them(
    backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        LiveInterface.open("lo", "udp and port 9").close()
    except LiveCaptureError as exc:
        pytest.skip(f"live capture on lo is not possible here: {exc}")
    settings = backend_settings
    real_feed = capture_recorder.Engine.feed

    def slow_feed(self, batch):  # type: ignore[no-untyped-def]
        time.sleep(0.3)  # an engine far slower than the line
        real_feed(self, batch)

    monkeypatch.setattr(capture_recorder.Engine, "feed", slow_feed)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        port = sink.getsockname()[1]
        recorder = CaptureRecorder(settings, "lo", f"udp and dst port {port}", name="slow",
                                   record=False, queue_packets=8)
        recorder.open()
        runner = threading.Thread(target=recorder.run)
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while not stats_path(settings.data_dir, "slow").exists():  # its loop runs
                assert time.monotonic() < deadline, "the recorder did not start"
                time.sleep(0.05)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for burst in range(12):  # a burst every 100 ms: one batch each
                    for i in range(5):
                        s.sendto(b"burst %d packet %d" % (burst, i), ("127.0.0.1", port))
                    time.sleep(0.1)
        finally:
            recorder.stop()
            runner.join(20)
    stats = recorder.stats
    dropped = stats.own_dropped.get(QUEUE_FULL, 0)
    assert dropped > 0 and stats.own_dropped["batches"] > 0
    assert stats.packets_read + dropped == 60  # every packet either read or counted
    assert stats.kernel_dropped == 0
    page = render(settings, None)
    assert (f'callvault_packets_dropped_total{{recorder="slow",source="capture",'
            f'where="callvault",reason="queue full"}} {dropped}') in page


def _free_ports(n: int) -> tuple[int, ...]:
    held = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        held.append(s)
    ports = tuple(s.getsockname()[1] for s in held)
    for s in held:
        s.close()
    return ports


@pytest.mark.parametrize("failures", [2, 1000])
def test_calls_wait_for_a_journal_that_is_away(
    backend_settings: Settings, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    """The database answers again: the call is saved late, not lost. It never does: the
    recorder ends saying how many calls it could not save (exit 1 in the CLI)."""
    try:
        LiveInterface.open("lo", "udp and port 9").close()
    except LiveCaptureError as exc:
        pytest.skip(f"live capture on lo is not possible here: {exc}")
    from lo_replay import loopback_call, send

    from callvault.errors import JournalError
    from callvault.journal import Journal

    settings = replace(backend_settings, bye_linger_s=0.2)
    real_save = Journal.save_many
    attempts = []

    def flaky_save(self, calls, **kw):  # type: ignore[no-untyped-def]
        attempts.append(len(calls))
        if len(attempts) <= failures:
            raise JournalError("journal unreachable (test)")
        return real_save(self, calls, **kw)

    monkeypatch.setattr(Journal, "save_many", flaky_save)
    ports = _free_ports(4)
    bpf = "udp and (" + " or ".join(f"port {p}" for p in ports) + ")"
    recorder = CaptureRecorder(settings, "lo", bpf, name="flaky", record=False)
    recorder.open()
    runner = threading.Thread(target=recorder.run)
    runner.start()
    try:
        sent = send([loopback_call(f"flaky-{failures}@test", ports, time.time())])
        deadline = time.monotonic() + 15  # the loaded test machine can be slow
        while len(attempts) <= min(failures, 3) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        recorder.stop()
        runner.join(20)
    assert recorder.stats.packets_read == sent, recorder.stats
    monkeypatch.setattr(Journal, "save_many", real_save)
    with Journal.open(settings.journal_url) as journal:
        saved = journal.list_calls()
    if failures == 2:
        assert attempts[:3] == [1, 1, 1]  # tried again each window until it answered
        assert recorder.failure is None and recorder.stats.error is None, recorder.stats
        assert [c.sip_call_id for c in saved] == ["flaky-2@test"]
        assert recorder.stats.calls_finished == 1
    else:
        assert saved == []
        assert recorder.failure == (
            "1 finished calls could not be saved: journal: journal unreachable (test)"
        )
        assert recorder.stats.error == recorder.failure and not recorder.stats.running
