"""Whatever a capture holds, the engine ends with calls and counted skips, never a crash."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.calls.model import Call
from callvault.capture.batch import PacketBatch
from callvault.config import Settings
from callvault.engine import Engine, ingest_file
from callvault.net.build import udp_frame
from callvault.synth import SynthCall, SynthParty, call_packets, write_capture

T0 = 1_767_225_600.0


def _template_frames() -> list[tuple[float, bytes]]:
    call = SynthCall(
        "fuzz@test",
        SynthParty("+4533000001", "198.51.100.1", rtp_port=40000),
        SynthParty("2001", "10.0.0.1", rtp_port=16000),
        T0,
        ring_s=0.5,
        talk_s=0.3,
        dtmf="1",
        hold=(0.05, 0.1),
    )
    return list(call_packets(call))


FRAMES = _template_frames()


def _batch(frames: list[tuple[float, bytes]]) -> PacketBatch:
    data = b"".join(f for _, f in frames)
    lengths = np.array([len(f) for _, f in frames], dtype=np.int64)
    return PacketBatch(
        data=data,
        ts=np.array([t for t, _ in frames], dtype=np.float64),
        start=np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64),
        caplen=lengths,
        linktype=np.ones(len(frames), dtype=np.int64),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_sip_and_rtp_never_crash_the_engine(data: st.DataObject) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    frames = []
    for ts, frame in FRAMES:
        frame = bytearray(frame)
        for _ in range(data.draw(st.integers(0, 3))):
            if frame:
                at = rng.randrange(42, len(frame)) if len(frame) > 42 else rng.randrange(len(frame))
                frame[at] = rng.randrange(256)
        if rng.random() < 0.1:
            frame = frame[: rng.randrange(len(frame) + 1)]
        frames.append((ts, bytes(frame)))
    calls: list[Call] = []
    engine = Engine(Settings(), calls.append)
    engine.feed(_batch(frames))
    engine.close()
    assert len(calls) <= 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=30))
def test_random_udp_payloads_never_crash_the_engine(payloads: list[bytes]) -> None:
    frames = [
        (T0 + i * 0.01, udp_frame("192.0.2.1", 5060 if i % 2 else 40000, "192.0.2.2", 5060, p))
        for i, p in enumerate(payloads)
    ]
    engine = Engine(Settings(), lambda c: None)
    engine.feed(_batch(frames))
    engine.close()


def test_mutated_capture_files_end_in_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "good.pcap"
    write_capture(
        path,
        [
            SynthCall(
                "x@test",
                SynthParty("1", "192.0.2.1"),
                SynthParty("2", "192.0.2.2"),
                T0,
                talk_s=2.0,
                dtmf="5",
            )
        ],
    )
    good = path.read_bytes()
    rng = random.Random(4475)
    for n in range(40):
        data = bytearray(good)
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        bad = tmp_path / f"bad{n}.pcap"
        bad.write_bytes(bytes(data[: rng.randrange(len(data) // 2, len(data) + 1)]))
        summary = ingest_file(bad, Settings(), lambda c: None)
        assert len(summary.errors) <= 1
