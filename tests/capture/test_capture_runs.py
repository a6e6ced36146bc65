"""Records in runs of one length: the pure-Python reader measures a run at C speed, and the
reader hands a file over from libpcap to it where runs are long; what comes out is the same."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from capfiles import pcap_bytes, read_all
from test_capture_libpcap import assert_same, needs_pcapy

from callvault.capture import reader
from callvault.capture.arrays import same_key_run
from callvault.capture.pcapfile import ALL_LANES, chained, low_lane, walk

CAPLEN = struct.Struct("<I")


def _call_center_frames(count: int, seed: int = 3) -> list[bytes]:
    """Runs of 214-byte frames (G.711 RTP) broken by single frames of other lengths."""
    rng = np.random.default_rng(seed)
    frames = []
    while len(frames) < count:
        frames += [rng.bytes(214) for _ in range(int(rng.integers(0, 60)))]
        frames.append(rng.bytes(int(rng.choice([58, 305, 402, 636]))))
    return frames[:count]


def _walk_one_by_one(data: bytes, limit: int) -> tuple[list[int], int]:
    """The record chain followed a record at a time: whole records only, at most ``limit``."""
    offsets, pos = [], 0
    while len(offsets) < limit and pos + 16 <= len(data):
        end = pos + 16 + CAPLEN.unpack_from(data, pos + 8)[0]
        if end > len(data):
            break
        offsets.append(pos)
        pos = end
    return offsets, pos


@pytest.mark.parametrize("seed", range(40))
def test_walk_finds_the_chain_a_record_at_a_time_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([0, 3, 5, 5, 5, 5, 7, 214, 214, 214], size=int(rng.integers(0, 300)))
    if seed % 5 == 0:
        sizes[len(sizes) // 2 :] = 5  # one long run, past the first probes
    data = b"".join(struct.pack("<IIII", 0, 0, n, n) + rng.bytes(int(n)) for n in sizes)
    data = data[: int(rng.integers(len(data) // 2, len(data) + 1))] + rng.bytes(seed % 3)
    for limit in (1, 2, 7, 100, 10**6):
        offsets, lengths, pos = walk(data, 0, limit, CAPLEN)
        assert (offsets.tolist(), pos) == _walk_one_by_one(data, limit)
        assert lengths.tolist() == [16 + CAPLEN.unpack_from(data, o + 8)[0] for o in offsets]


def test_a_run_ends_at_the_first_record_whose_key_differs_in_any_byte() -> None:
    size = 20
    key = bytes([1, 2, 3, 4])
    for changed in range(4):
        records = [bytearray(size) for _ in range(300)]
        for record in records:
            record[8:12] = key
        records[250][8 + changed] ^= 0x80
        data = b"".join(records)
        assert same_key_run(data, 0, size, 300, key, 8) == 250
        assert same_key_run(data, 0, size, 100, key, 8) == 100


@pytest.mark.parametrize("seed", range(20))
def test_a_low_byte_walk_is_the_chain_wherever_the_chain_check_passes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([5, 214, 214, 214, 214, 470, 726], size=int(rng.integers(0, 400)))
    for order in "<>":
        caplen_at = struct.Struct(order + "I")
        data = b"".join(
            struct.pack(order + "IIII", 0, 0, n, n) + rng.bytes(int(n)) for n in sizes
        )
        exact = walk(data, 0, 10**6, caplen_at, ALL_LANES)
        offsets, lengths, pos = walk(data, 0, 10**6, caplen_at, low_lane(order))
        caplen = np.array([caplen_at.unpack_from(data, o + 8)[0] for o in offsets], np.int64)
        if chained(lengths, caplen):
            assert (offsets.tolist(), pos) == (exact[0].tolist(), exact[2])
        else:  # a 470 or 726 inside a run of 214s: their low bytes agree
            assert set(sizes.tolist()) & {470, 726}


@pytest.mark.parametrize("order", "<>")
def test_lengths_alike_in_their_low_byte_side_by_side_are_read_exactly(tmp_path, order) -> None:
    rng = np.random.default_rng(11)
    frames = [rng.bytes(214 + 256 * int(rng.integers(0, 3) == 0)) for _ in range(3000)]
    data = pcap_bytes(frames, order)[0]
    path = tmp_path / "alike.pcap"
    path.write_bytes(data)
    read = read_all(path, batch_packets=500, use_libpcap=False)
    assert read.frames == frames
    assert read.error is None


@needs_pcapy
def test_long_runs_hand_the_file_over_to_the_python_reader(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(reader, "HANDOVER_SAMPLE", 1000)
    data, _ = pcap_bytes(_call_center_frames(5000))
    path = tmp_path / "runs.pcap"
    path.write_bytes(data)
    handed = read_all(path, batch_packets=1000)
    assert handed.engine == "python"
    assert_same(handed, read_all(path, batch_packets=1000, use_libpcap=False))


@needs_pcapy
def test_mixed_lengths_stay_with_libpcap(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(reader, "HANDOVER_SAMPLE", 1000)
    rng = np.random.default_rng(5)
    data, _ = pcap_bytes([rng.bytes(int(n)) for n in rng.integers(40, 400, size=5000)])
    path = tmp_path / "mixed.pcap"
    path.write_bytes(data)
    kept = read_all(path, batch_packets=1000)
    assert kept.engine == "libpcap"
    assert_same(kept, read_all(path, batch_packets=1000, use_libpcap=False))
