"""The live controller with a real live board on both backends: a recorder's calls appear on
the board as they start and are answered, an operator's pause and resume go round through
the database into the recording (and its call events), and the board is empty once the
calls are over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.recording.test_recording_control import (
    TALK_AT,
    capture,
    channels,
    position,
)

from callvault.calls.model import Call
from callvault.capture.reader import open_capture
from callvault.codecs.g711 import decode_ulaw
from callvault.config import Settings
from callvault.engine import Engine
from callvault.live.board import LiveBoard
from callvault.live.controller import LiveController
from callvault.recording.policy import RecordingPolicy
from callvault.recording.recorder import Recorder
from callvault.vault.filesystem import FilesystemVault


@pytest.fixture
def board(journal_url: str) -> Iterator[LiveBoard]:
    with LiveBoard.open(journal_url) as opened:
        yield opened


def recorder_engine(
    tmp_path: Path, controller: LiveController, calls: list[Call], policy=None
) -> tuple[Engine, Settings]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "rec")
    recorder = Recorder(FilesystemVault(settings.recordings_dir), "wav", policy=policy)

    def on_call(call: Call) -> None:
        calls.append(call)
        controller.on_call(call)

    engine = Engine(settings, on_call, recorder=recorder, on_live=controller.on_live)
    controller.attach(engine)
    return engine, settings


def test_calls_requests_and_their_end_go_round_the_board(board: LiveBoard, tmp_path: Path) -> None:
    clock = [TALK_AT]
    controller = LiveController(board, "rec-1", "capture", clock=lambda: clock[0])
    calls: list[Call] = []
    engine, settings = recorder_engine(tmp_path, controller, calls)
    pause_at, resume_at = TALK_AT + 3.0, TALK_AT + 6.5
    seen: list[tuple[str, str, str | None]] = []
    asked: set[str] = set()
    with open_capture(capture(tmp_path), batch_packets=40) as reader:
        for batch in reader:
            engine.feed(batch)
            clock[0] = engine.correlator.now
            controller.step()  # the controller's thread: news out, requests in
            controller.apply()  # the engine's thread: requests applied
            controller.step()  # and acknowledged
            for live in board.calls():
                seen.append((live.call_id, live.recording, live.requested))
                for at, action in ((pause_at, "pause"), (resume_at, "resume")):
                    if action not in asked and clock[0] >= at:
                        asked.add(action)
                        board.request(live.call_id, action, "supervisor", now=at)
    engine.close()
    controller.stop()
    assert board.calls() == []  # over: off the board
    (call,) = calls
    states = [state for _, state, _ in seen]
    assert states[0] == "recording" and "paused" in states and states[-1] == "recording"
    assert {uid for uid, _, _ in seen} == {call.uid}
    events = [(e.value, e.at, e.detail) for e in call.events if e.kind == "recording"]
    assert events == [("paused", pause_at, "supervisor"), ("resumed", resume_at, "supervisor")]
    codes = channels(settings, call)
    p0, p1 = position(call, pause_at), position(call, resume_at)
    assert not decode_ulaw(codes[p0:p1].tobytes()).any()
    assert decode_ulaw(codes[p0 - 160 : p0, 0].tobytes()).any()
    assert decode_ulaw(codes[p1 : p1 + 160, 0].tobytes()).any()
    assert controller.errors == 0


def test_a_refused_request_is_withdrawn(board: LiveBoard, tmp_path: Path) -> None:
    controller = LiveController(board, "rec-2", "siprec", clock=lambda: TALK_AT)
    calls: list[Call] = []
    engine, _ = recorder_engine(tmp_path, controller, calls, policy=RecordingPolicy("none"))
    with open_capture(capture(tmp_path), batch_packets=40) as reader:
        batches = iter(reader)
        engine.feed(next(batches))
        controller.step()
        (live,) = board.calls()
        assert live.recording == "not recorded" and live.recorder == "rec-2"
        assert live.caller_number == "4512345678" and live.extension == "1000"
        board.request(live.call_id, "start", "supervisor", now=TALK_AT)
        controller.step()
        assert controller.apply() == 1
        controller.step()
        (live,) = board.calls()
        assert live.requested is None and live.recording == "not recorded"
        for batch in batches:
            engine.feed(batch)
    engine.close()
    controller.stop()
    assert calls[0].recording is None and board.calls() == []


def test_the_thread_heartbeats_and_stops_gracefully(board: LiveBoard, tmp_path: Path) -> None:
    controller = LiveController(board, "rec-3", "capture", poll_s=0.02, heartbeat_s=0.05)
    calls: list[Call] = []
    engine, _ = recorder_engine(tmp_path, controller, calls)
    controller.start()
    try:
        with open_capture(capture(tmp_path), batch_packets=40) as reader:
            engine.feed(next(iter(reader)))
        deadline = time.time() + 5
        while not board.calls() and time.time() < deadline:
            time.sleep(0.02)
        (live,) = board.calls()
        first = live.updated_at
        while board.calls()[0].updated_at == first and time.time() < deadline:
            time.sleep(0.02)
        assert board.calls()[0].updated_at > first  # the heartbeat
        assert board.stale("rec-3", 60) == []
    finally:
        engine.close()
        controller.stop()
    assert board.calls() == []
    assert np.all([c.uid for c in calls])
