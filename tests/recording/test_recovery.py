"""Crash recovery: a recorder killed with SIGKILL mid-call; ``recover`` then finds the
finished call intact and saves the interrupted one with its audio up to the crash, sample
for sample what was sent, marked interrupted; the live board is left empty."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.recording.test_recording_control import TALK_AT, capture, channels, sent

from callvault.config import Settings
from callvault.journal import Journal
from callvault.live.board import LiveBoard
from callvault.recording.recorder import HOLD_S
from callvault.recording.recovery import RecoveryError, recover, repair_wav

ROOT = Path(__file__).resolve().parents[2]
KILL_AT = TALK_AT + 30 + 7.0
"""Capture time the recorder reaches before it is killed: 7 s into the second call's talk."""

RECORDER = """
import sys, time
from pathlib import Path
from callvault.capture.reader import open_capture
from callvault.config import Settings
from callvault.engine import Engine
from callvault.journal import Journal
from callvault.live.board import LiveBoard
from callvault.live.controller import LiveController
from callvault.recording.recorder import Recorder
from callvault.vault.filesystem import FilesystemVault

url, data_dir, path, stop_at = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
settings = Settings(data_dir=data_dir)
journal = Journal.open(url)
board = LiveBoard.attach(journal)
controller = LiveController(board, "crash-rec", "capture")
recorder = Recorder(FilesystemVault(settings.recordings_dir), "wav", recoverable=True, flush_s=1.0)

def on_call(call):
    journal.save(call)
    controller.on_call(call)

engine = Engine(settings, on_call, recorder=recorder, on_live=controller.on_live)
controller.attach(engine)
with open_capture(path, batch_packets=40) as reader:
    for batch in reader:
        engine.feed(batch)
        controller.step()
        if engine.correlator.now >= stop_at:
            break
print("READY", flush=True)
time.sleep(120)
"""


def test_kill_9_mid_call_then_recover(journal_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = capture(tmp_path, n=2)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", RECORDER, journal_url, str(data_dir), str(path), str(KILL_AT)],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"READY"
        partials = list(data_dir.rglob("*.part"))
        assert len(partials) == 1  # the second call, being recorded
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    settings = Settings(data_dir=data_dir)
    with Journal.open(journal_url) as journal:
        board = LiveBoard.attach(journal)
        (live,) = board.calls()  # left by the dead recorder
        report = recover(journal, data_dir, board, recorder="crash-rec", older_than_s=0)
        assert board.calls() == []
        (interrupted,) = report.calls
        assert interrupted.uid == live.call_id
        finished = [c for c in journal.list_calls() if c.uid != live.call_id]
        stored = journal.get_call(live.call_id)
    # the finished call: intact, exactly what was sent
    (first,) = finished
    assert first.end_cause == "bye" and first.recording is not None
    codes = channels(settings, first)
    assert np.array_equal(codes[:, 0], sent(first, TALK_AT, codes.shape[0], 440.0))
    # the interrupted call: saved, marked, its audio up to the crash
    assert stored is not None and stored.end_cause == "interrupted"
    assert "interrupted" in (stored.audio_issue or "")
    assert [e.kind for e in stored.events if e.kind == "interrupted"] == ["interrupted"]
    assert stored.answered_at is not None and stored.caller.number == "4512345678"
    rec = stored.recording
    assert rec is not None and report.repaired == [rec.path]
    codes = channels(settings, stored)
    talk_at = TALK_AT + 30
    recovered_until = rec.started_at + codes.shape[0] / 8000
    # bounded buffering: held audio (HOLD_S), a flush interval (1 s) and a window (1 s)
    assert recovered_until >= KILL_AT - HOLD_S - 2.5
    assert recovered_until <= KILL_AT
    caller = sent(stored, talk_at, codes.shape[0], 440.0, talk_at=talk_at)
    callee = sent(stored, talk_at + 0.003, codes.shape[0], 330.0, talk_at=talk_at)
    assert np.array_equal(codes[:, 0], caller)
    assert np.array_equal(codes[:, 1], callee)
    # a valid WAV whose header says what is there; the sidecar is gone
    data = (settings.recordings_dir / rec.path).read_bytes()
    at = data.index(b"data")
    assert struct.unpack("<I", data[at + 4 : at + 8])[0] == len(data) - at - 8
    assert not list(data_dir.rglob("*.part*"))


def test_repair_cuts_to_whole_frames_and_refuses_what_is_not_wav(tmp_path: Path) -> None:
    from callvault.recording.wav import WavWriter

    path = tmp_path / "x.wav.part"
    with open(path, "w+b") as f:
        writer = WavWriter(f, 8000, 2, "pcm16")
        writer.write(b"\x01\x00\x02\x00" * 1000)
        f.flush()
        f.write(b"\x05\x00\x06")  # a frame cut short by the crash, header never updated
    info = repair_wav(path)
    assert (info.frames, info.encoding, info.channels) == (1000, "pcm16", 2)
    import soundfile

    audio, rate = soundfile.read(path, dtype="int16")
    assert rate == 8000 and audio.shape == (1000, 2) and (audio[:, 1] == 2).all()
    bad = tmp_path / "y.wav.part"
    bad.write_bytes(b"not a wav at all")
    with pytest.raises(RecoveryError, match="not a WAV file"):
        repair_wav(bad)


def test_nothing_to_recover_and_fresh_partials_left_alone(tmp_path: Path) -> None:
    class NoJournal:
        def save(self, call: object) -> None:
            raise AssertionError("nothing should be saved")

    assert recover(NoJournal(), tmp_path).calls == []
    partial = tmp_path / "recordings" / "2026" / "01" / "01" / "abc.wav.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"RIFF")
    report = recover(NoJournal(), tmp_path, older_than_s=60)
    assert report.skipped and "written" in report.skipped[0] and partial.exists()
