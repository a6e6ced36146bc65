"""The RTP timestamp decides where audio goes: loss, reordering, duplicates, SSRC changes,
timestamp jumps and clock drift leave the timeline exact."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tests.recording.conftest import record, wav_codes

from callvault.capture.reader import open_capture
from callvault.capture.writer import PcapWriter
from callvault.recording.clock import MAX_SKEW_S, StreamClock
from callvault.synth import SynthCall, SynthParty, write_capture

T0 = 1_767_225_600.0
CALLER_PORT = 40002
RTP = 42  # Ethernet 14 + IPv4 20 + UDP 8

Frames = list[tuple[float, bytes]]


def frames_of(path: Path) -> Frames:
    out: Frames = []
    with open_capture(path) as reader:
        for batch in reader:
            out.extend((float(batch.ts[i]), batch.frame(i)) for i in range(len(batch)))
    return out


def write(path: Path, frames: Frames) -> Path:
    with PcapWriter(path) as w:
        for ts, frame in frames:
            w.write(ts, frame)
    return path


def is_caller_rtp(frame: bytes) -> bool:
    return (
        len(frame) > RTP + 12
        and struct.unpack_from("!H", frame, 34)[0] == CALLER_PORT
        and (frame[RTP] >> 6 == 2)
        and frame[RTP + 1] & 0x7F == 0
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("timeline")
    call = SynthCall(
        "timeline@test",
        SynthParty("+4533000001", "198.51.100.1", rtp_port=CALLER_PORT),
        SynthParty("2001", "10.0.0.1", rtp_port=16002),
        T0,
        ring_s=1.0,
        talk_s=6.0,
        ssrc_caller=0x1111,
        ssrc_callee=0x2222,
    )
    path = folder / "base.pcap"
    write_capture(path, [call])
    (got,), _, settings = record(path, folder / "data")
    return frames_of(path), got, wav_codes(settings, got)


def mutated(baseline, tmp_path: Path, change: Callable[[Frames], Frames]):  # type: ignore[no-untyped-def]
    frames, base_call, base_codes = baseline
    path = write(tmp_path / "mutated.pcap", change(list(frames)))
    (got,), summary, settings = record(path, tmp_path / "data")
    codes = wav_codes(settings, got)
    shift = round((got.recording.started_at - base_call.recording.started_at) * 8000)
    return base_codes, codes, shift, summary


def caller_indexes(frames: Frames) -> list[int]:
    return [i for i, (_, f) in enumerate(frames) if is_caller_rtp(f)]


def aligned(base: np.ndarray, codes: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Both recordings on the baseline's sample positions, as long as both last."""
    assert shift >= 0
    n = min(base.shape[0] - shift, codes.shape[0])
    return base[shift : shift + n], codes[:n]


def test_lost_packets_become_silence_of_their_length(baseline, tmp_path: Path) -> None:
    frames = baseline[0]
    caller = caller_indexes(frames)
    lost = set(caller[5::7])

    base, codes, shift, summary = mutated(
        baseline, tmp_path, lambda f: [x for i, x in enumerate(f) if i not in lost]
    )
    assert shift == 0
    t_first = frames[caller[0]][0]
    start = round((t_first - baseline[1].recording.started_at) * 8000)
    expected = base[:, 0].copy()
    for k, i in enumerate(caller):
        if i in lost:
            expected[start + 160 * k : start + 160 * (k + 1)] = 0xFF
    n = codes.shape[0]  # the file ends with the last audio: a lost last packet shortens it
    assert base.shape[0] - 160 <= n <= base.shape[0]
    assert np.array_equal(codes[:, 0], expected[:n])
    assert set(expected[n:].tolist()) <= {0xFF}
    assert np.array_equal(codes[:, 1], base[:n, 1])  # the other party untouched


def test_reordered_packets_are_put_right(baseline, tmp_path: Path) -> None:
    caller = caller_indexes(baseline[0])

    def swap_pairs(f: Frames) -> Frames:
        for a, b in zip(caller[10:200:2], caller[11:200:2], strict=True):
            (ta, fa), (tb, fb) = f[a], f[b]
            f[a], f[b] = (ta, fb), (tb, fa)  # b's packet arrives first
        return f

    base, codes, shift, _ = mutated(baseline, tmp_path, swap_pairs)
    assert shift == 0 and np.array_equal(codes, base)


def test_duplicated_packets_change_nothing(baseline, tmp_path: Path) -> None:
    caller = set(caller_indexes(baseline[0])[::3])

    def duplicate(f: Frames) -> Frames:
        out: Frames = []
        for i, (ts, frame) in enumerate(f):
            out.append((ts, frame))
            if i in caller:
                out.append((ts + 0.0005, frame))
        return out

    base, codes, shift, _ = mutated(baseline, tmp_path, duplicate)
    assert shift == 0 and np.array_equal(codes, base)


@pytest.mark.parametrize("change", ["new ssrc", "timestamp jump"])
def test_ssrc_change_and_timestamp_jump_continue_the_channel(
    baseline, tmp_path: Path, change: str
) -> None:
    caller = caller_indexes(baseline[0])
    middle = set(caller[len(caller) // 2 :])

    def rewrite(f: Frames) -> Frames:
        out: Frames = []
        for i, (ts, frame) in enumerate(f):
            if i in middle:
                b = bytearray(frame)
                if change == "new ssrc":
                    struct.pack_into("!I", b, RTP + 8, 0xABCDEF)
                    struct.pack_into(
                        "!I",
                        b,
                        RTP + 4,
                        (struct.unpack_from("!I", b, RTP + 4)[0] + 777_777) & 0xFFFFFFFF,
                    )
                else:
                    struct.pack_into(
                        "!I",
                        b,
                        RTP + 4,
                        (struct.unpack_from("!I", b, RTP + 4)[0] + 2_000_000_000) & 0xFFFFFFFF,
                    )
                frame = bytes(b)
            out.append((ts, frame))
        return out

    base, codes, shift, _ = mutated(baseline, tmp_path, rewrite)
    base, codes = aligned(base, codes, shift)
    assert np.array_equal(codes, base)


def test_clock_drift_never_separates_the_channels() -> None:
    """A sender whose RTP clock runs 1 % fast for an hour stays within MAX_SKEW of real time."""
    clock = StreamClock(8000, 8000)
    packets = 180_000  # 1 h of 20 ms packets
    arrival = np.arange(packets) * 160
    rtp_ts = (
        np.arange(packets) * 1616 // 10 + 4_000_000_000
    ) & 0xFFFFFFFF  # 161.6 per packet, wraps
    positions = np.concatenate(
        [
            clock.positions(rtp_ts[i : i + 5000], arrival[i : i + 5000])
            for i in range(0, packets, 5000)
        ]
    )
    assert np.abs(positions - arrival).max() <= MAX_SKEW_S * 8000
    assert (np.diff(positions) >= -MAX_SKEW_S * 8000).all()


def test_reordered_and_duplicate_timestamps_map_to_the_same_place() -> None:
    clock = StreamClock(8000, 8000)
    rtp_ts = np.array([1000, 1320, 1160, 1160, 1480])
    arrival = np.array([800, 1130, 1140, 1150, 1290])
    assert clock.positions(rtp_ts, arrival).tolist() == [800, 1120, 960, 960, 1280]


def test_the_recording_is_written_while_the_call_runs(tmp_path: Path) -> None:
    """Half-way through a call its recording is already on disk, readable, seconds behind."""
    import soundfile

    from callvault.config import Settings
    from callvault.engine import Engine
    from callvault.recording.recorder import Recorder
    from callvault.vault.filesystem import FilesystemVault

    call = SynthCall("long@test", SynthParty("+4533000002", "198.51.100.2", rtp_port=40004),
                     SynthParty("2002", "10.0.0.2", rtp_port=16004), T0, ring_s=1.0, talk_s=40.0)
    path = tmp_path / "long.pcap"
    write_capture(path, [call])
    settings = Settings(data_dir=tmp_path / "data")
    engine = Engine(settings, lambda c: None,
                    recorder=Recorder(FilesystemVault(settings.recordings_dir)))
    talk_start = T0 + call.ring_s
    seen_partial = []
    with open_capture(path, batch_packets=500) as reader:
        for batch in reader:
            engine.feed(batch)
            now = float(batch.ts[-1])
            partial = list(settings.recordings_dir.rglob("*.wav.part"))
            if partial and now > talk_start + 25:
                info = soundfile.info(str(partial[0]))  # the header is valid mid-call
                seen_partial.append((now - talk_start, info.duration))
    engine.close()
    assert seen_partial, "no recording on disk before the call ended"
    elapsed, duration = seen_partial[0]
    assert elapsed - 12 < duration <= elapsed  # at most seconds behind the call
    assert not list(settings.recordings_dir.rglob("*.part"))
    assert len(list(settings.recordings_dir.rglob("*.wav"))) == 1
