"""Recording windows: pause/resume/stop/start of a call in progress leave exactly the span
outside the windows silent in the file, sample for sample; a call never recorded has no file;
every change is a "recording" call event."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callvault.calls.model import Call
from callvault.capture.reader import open_capture
from callvault.codecs.g711 import decode_ulaw
from callvault.config import Settings
from callvault.engine import Engine
from callvault.recording.policy import RecordingPolicy, parse_rule
from callvault.recording.recorder import ControlError, Recorder
from callvault.synth import SynthCall, SynthParty, _tone_frames, write_capture
from callvault.vault.filesystem import FilesystemVault

START = 1_767_225_600.0
RING_S = 1.0
TALK_S = 12.0
TALK_AT = START + RING_S + 0.020
"""When the caller's first RTP packet is sent (the synthetic call's talk start)."""


def capture(tmp_path: Path, n: int = 1) -> Path:
    calls = [
        SynthCall(
            f"ctl-{i}@test",
            SynthParty("4512345678", "10.0.0.1", rtp_port=20000 + 4 * i),
            SynthParty(f"100{i}", "10.0.0.2", rtp_port=30000 + 4 * i),
            START + 30 * i,
            ring_s=RING_S,
            talk_s=TALK_S,
        )
        for i in range(n)
    ]
    path = tmp_path / "calls.pcap"
    write_capture(path, calls)
    return path


def run(
    path: Path,
    data_dir: Path,
    controls: list[tuple[float, str]] = (),  # type: ignore[assignment]
    policy: RecordingPolicy | None = None,
    live: list | None = None,  # type: ignore[type-arg]
) -> tuple[list[Call], Settings]:
    """Feed the capture in small batches; each control is applied once the capture clock has
    passed its time (as a live recorder would, while the audio is still held)."""
    settings = Settings(data_dir=data_dir)
    recorder = Recorder(FilesystemVault(settings.recordings_dir), "wav", policy=policy)
    calls: list[Call] = []
    uids: list[str] = []

    def on_live(event: str, call: Call) -> None:
        if event == "started":
            uids.append(call.uid)
        if live is not None:
            live.append((event, call, recorder.state(call.uid)))

    engine = Engine(settings, calls.append, recorder=recorder, on_live=on_live)
    pending = sorted(controls)
    with open_capture(path, batch_packets=40) as reader:
        for batch in reader:
            engine.feed(batch)
            while pending and engine.correlator.now >= pending[0][0]:
                at, action = pending.pop(0)
                engine.control(uids[0], action, at, by="alice")
    engine.close()
    return calls, settings


def channels(settings: Settings, call: Call) -> np.ndarray:
    assert call.recording is not None
    data = (settings.recordings_dir / call.recording.path).read_bytes()
    start = data.index(b"data") + 8
    return np.frombuffer(data[start:], dtype=np.uint8).reshape(-1, 2)


def sent(
    call: Call, first_at: float, length: int, hz: float, talk_at: float = TALK_AT
) -> np.ndarray:
    """The µ-law codes a synthetic party sent (packets every 20 ms from ``first_at`` to the
    talk's end), laid on the call's timeline and cut to the recording file's span."""
    frames = _tone_frames(hz)
    n = int((talk_at + TALK_S - first_at) / 0.02)
    audio = np.frombuffer(b"".join(frames[i % len(frames)] for i in range(n)), np.uint8)
    assert call.recording is not None
    first = round((call.recording.started_at - call.started_at) * 8000)
    timeline = np.full(first + length + len(audio), 0xFF, np.uint8)
    at = round((first_at - call.started_at) * 8000)
    timeline[at : at + len(audio)] = audio
    return timeline[first : first + length]


def position(call: Call, at: float) -> int:
    assert call.recording is not None
    return round((at - call.started_at) * 8000) - round(
        (call.recording.started_at - call.started_at) * 8000
    )


def test_pause_resume_leaves_exactly_the_paused_span_silent(tmp_path: Path) -> None:
    pause_at, resume_at = TALK_AT + 3.2371, TALK_AT + 6.5013
    (call,), settings = run(
        capture(tmp_path), tmp_path / "data", [(pause_at, "pause"), (resume_at, "resume")]
    )
    codes = channels(settings, call)
    caller = sent(call, TALK_AT, codes.shape[0], 440.0)
    callee = sent(call, TALK_AT + 0.003, codes.shape[0], 330.0)
    p0, p1 = position(call, pause_at), position(call, resume_at)
    assert 0 < p0 < p1 < codes.shape[0]
    # outside the paused span: exactly what was sent; inside: digital silence, both channels
    for got, expected in ((codes[:, 0], caller), (codes[:, 1], callee)):
        assert np.array_equal(got[:p0], expected[:p0])
        assert np.array_equal(got[p1:], expected[p1:])
        assert not decode_ulaw(got[p0:p1].tobytes()).any()
        assert decode_ulaw(expected[p0:p1].tobytes()).any()  # there was audio to leave out
    # the sample just before and after the span are audio again
    assert decode_ulaw(codes[p0 - 1 : p0, 0].tobytes()).any()
    assert decode_ulaw(codes[p1 : p1 + 1, 0].tobytes()).any()
    recording = [(e.value, e.at, e.detail) for e in call.events if e.kind == "recording"]
    assert recording == [("paused", pause_at, "alice"), ("resumed", resume_at, "alice")]
    assert call.audio_issue is None


def test_on_demand_call_starts_recording_at_start_and_stops(tmp_path: Path) -> None:
    start_at, stop_at = TALK_AT + 2.0, TALK_AT + 5.0
    live: list = []  # type: ignore[type-arg]
    (call,), settings = run(
        capture(tmp_path),
        tmp_path / "data",
        [(start_at, "start"), (stop_at, "stop")],
        policy=RecordingPolicy("on-demand"),
        live=live,
    )
    codes = channels(settings, call)
    assert call.recording is not None
    # the file begins where the recording started, ends where it stopped: 3 s of audio
    assert call.recording.started_at == pytest.approx(start_at, abs=1 / 8000)
    assert codes.shape[0] == position(call, stop_at)
    caller = sent(call, TALK_AT, codes.shape[0], 440.0)
    assert np.array_equal(codes[:, 0], caller)
    assert [e.value for e in call.events if e.kind == "recording"] == ["started", "stopped"]
    states = [state for event, _, state in live]
    assert states[0] == "not recorded" and "recording" in states and states[-1] == "stopped"


def test_a_call_policy_does_not_record_has_no_file(tmp_path: Path) -> None:
    policy = RecordingPolicy("all", [parse_rule("callee=1000 skip")])
    (call,), _ = run(capture(tmp_path), tmp_path / "data", policy=policy)
    assert call.recording is None
    assert call.audio_issue == "not recorded"
    assert not list((tmp_path / "data").rglob("*.wav*"))
    assert not [e for e in call.events if e.kind == "recording"]


def test_policy_start_is_an_event_and_records_whole(tmp_path: Path) -> None:
    policy = RecordingPolicy("none", [parse_rule("direction=inbound callee=1000 record")])
    (call,), settings = run(capture(tmp_path), tmp_path / "data", policy=policy)
    assert call.recording is not None
    events = [(e.value, e.detail) for e in call.events if e.kind == "recording"]
    assert events == [("started", "policy")]
    codes = channels(settings, call)
    assert np.array_equal(codes[:, 0], sent(call, TALK_AT, codes.shape[0], 440.0))


def test_control_refuses_what_does_not_apply(tmp_path: Path) -> None:
    recorder = Recorder(FilesystemVault(tmp_path), "wav")
    with pytest.raises(ControlError, match="no call"):
        recorder.control("nope", "pause", START)
    with pytest.raises(ControlError, match="unknown action"):
        recorder.control("nope", "rewind", START)
    call = Call("u1", "c1", START)
    recorder.begin(call)
    with pytest.raises(ControlError, match="it is recording"):
        recorder.control("u1", "resume", START + 1)
    assert recorder.control("u1", "pause", START + 1) == "paused"
    with pytest.raises(ControlError, match="it is paused"):
        recorder.control("u1", "pause", START + 2)
    off = Recorder(FilesystemVault(tmp_path), "wav", policy=RecordingPolicy("none"))
    off.begin(call)
    with pytest.raises(ControlError, match="switched off by policy"):
        off.control("u1", "start", START + 1)


def test_stop_then_start_again_continues_after_silence(tmp_path: Path) -> None:
    stop_at, start_at = TALK_AT + 2.0, TALK_AT + 9.5  # longer than the audio held in memory
    (call,), settings = run(
        capture(tmp_path), tmp_path / "data", [(stop_at, "stop"), (start_at, "start")]
    )
    codes = channels(settings, call)
    caller = sent(call, TALK_AT, codes.shape[0], 440.0)
    p0, p1 = position(call, stop_at), position(call, start_at)
    assert np.array_equal(codes[:p0, 0], caller[:p0])
    assert not decode_ulaw(codes[p0:p1].tobytes()).any()
    assert np.array_equal(codes[p1:, 0], caller[p1:])
    assert [e.value for e in call.events if e.kind == "recording"] == ["stopped", "started"]
