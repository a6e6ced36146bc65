"""`callvault capture` on the loopback interface: a real SIPp call (uac plays RTP, uas echoes
it) captured live, its journal row written while the capture runs, its recording equal to
what SIPp sent; SIGTERM in the middle of a second call saves that call too."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_helpers import PACKETS, Loop, free_udp_ports, journal_calls, payload, wait_for

from callvault.calls.model import CallStatus
from callvault.journal import Journal
from callvault.ops.stats import read_stats


def _start_capture(tmp: Path, db: str, *args: str) -> tuple[subprocess.Popen[str], Path]:
    log = tmp / "capture.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "callvault", "capture", "--interface", "lo", "--data-dir",
             str(tmp / "data"), "--db", db, "--format", "json", "--progress", *args],
            stdout=subprocess.PIPE, stderr=out, text=True,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if "recording from lo" in log.read_text():
            return proc, log
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("callvault capture did not start: " + log.read_text())


def test_a_sipp_call_is_captured_live_and_a_call_in_progress_is_saved_on_sigterm(
    can_capture: None, tmp_path: Path, journal_url: str
) -> None:
    uac, uas, uac_media, uas_media = free_udp_ports(4)
    loop = Loop(uac, uas, uac_media, uas_media, tmp_path)
    Journal.open(journal_url).close()  # migrated before the capture and the reads race
    capture, log = _start_capture(tmp_path, journal_url, "--filter", loop.bpf, "--record")
    server = loop.uas()
    try:
        first_out, _ = loop.uac(pause_ms=1100).communicate(timeout=20)
        assert "Successful call" in first_out and "1 dead call" not in first_out
        # written as it ended (BYE + linger), while the capture still runs
        calls = wait_for(lambda: journal_calls(journal_url), 15,
                         "the first call's journal row", log)
        assert capture.poll() is None
        second = loop.uac(pause_ms=8000)
        data = tmp_path / "data"
        wait_for(lambda: any(s.calls_in_progress == 1 and s.calls_finished == 1
                             for s in read_stats(data)), 15, "the second call in progress", log)
        capture.send_signal(signal.SIGTERM)
        out, _ = capture.communicate(timeout=20)
    finally:
        for proc in (capture, server, locals().get("second")):
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.communicate()
    assert capture.returncode == 0, log.read_text()
    summary = json.loads(out)

    (call,) = calls
    assert call.status is CallStatus.ANSWERED
    assert call.source == "capture:lo"
    assert call.caller.number == "2001" and call.callee.number == "3001"
    assert call.codecs == ("PCMU/8000",)
    assert call.answered_at is not None and call.ended_at is not None
    assert 1.0 <= call.ended_at - call.answered_at < 3.0
    by_from = {s.src_port: s for s in call.streams}
    assert by_from[uac_media].packets == PACKETS  # what SIPp played
    assert by_from[uas_media].packets == PACKETS  # what the uas echoed
    assert by_from[uac_media].dst_port == uas_media

    # the recording: caller's channel holds exactly the bytes SIPp sent
    rec = call.recording
    assert rec is not None and rec.encoding == "ulaw"
    raw = (data / "recordings" / rec.path).read_bytes()
    assert raw[22] == 2  # stereo: caller left, callee right
    frames = raw[raw.index(b"data") + 8 :]
    left = frames[0::2]
    at = 0
    for k in range(PACKETS):  # every packet's audio, in order (SIPp's pacing may leave gaps)
        found = left.find(payload(k), at)
        assert found >= 0, f"packet {k} is not in the recording"
        at = found + len(payload(k))
    sent = b"".join(payload(k) for k in range(PACKETS))

    # SIGTERM in the middle of the second call: saved, not lost
    saved = journal_calls(journal_url)
    assert len(saved) == 2
    interrupted = next(c for c in saved if c.uid != call.uid)
    assert interrupted.status is CallStatus.ANSWERED
    assert interrupted.ended_at is not None

    # counters: the progress line, the closing summary, the stats file
    text = log.read_text()
    assert "callvault capture: stopping; saving the calls in progress" in text
    assert re.search(r"capture lo: [\d,]+ packets, \d+ calls in progress, \d+ saved; "
                     r"drops: kernel 0, interface 0, own 0; skipped \d+", text)
    assert summary["kernel_dropped"] == 0 and summary["own_dropped"] == {}
    assert summary["kernel_received"] > 0 and summary["packets"] > 2 * PACKETS
    assert summary["statuses"] == {"answered": 2}
    (stats,) = read_stats(data)
    assert not stats.running and stats.calls_finished == 2
    assert stats.packets_read == summary["packets"]
    assert stats.bytes_recorded >= len(sent) * 2


def _run(*args: str, user: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(user or []), sys.executable, "-m", "callvault", "capture", *args],
                          capture_output=True, text=True, timeout=60)


def test_a_missing_interface_or_a_bad_filter_is_one_line(can_capture: None,
                                                         tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    missing = _run("--interface", "nosuchif0", *data)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "callvault: error: there is no network interface 'nosuchif0': list them with "
        "`ip link` (or capture on 'any')"
    ]
    bad = _run("--interface", "lo", "--filter", "udp prot 5060", *data)
    assert bad.returncode == 1
    (line,) = bad.stderr.strip().splitlines()
    assert line.startswith("callvault: error: capture filter 'udp prot 5060' is not valid BPF")


def test_no_permission_says_how_to_get_it(can_capture: None, tmp_path: Path) -> None:
    setpriv = shutil.which("setpriv")
    if setpriv is None or not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid():
        pytest.skip("needs root and setpriv to run the capture as an unprivileged user")
    tmp_path.chmod(0o777)
    denied = _run("--interface", "lo", "--data-dir", str(tmp_path),
                  user=[setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"])
    assert denied.returncode == 1, denied.stderr
    assert denied.stderr.strip().splitlines() == [
        "callvault: error: no permission to capture on lo: run as root, or give the program "
        "CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip on the Python "
        "interpreter)"
    ]
