"""The libpcap fast path hands out exactly what the pure-Python reader does, damage included."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from capfiles import (
    TESTDATA,
    pcap_bytes,
    pcap_header,
    pcap_record,
    public_captures,
    read_all,
    sample_frames,
)

from callvault.capture import libpcap

needs_pcapy = pytest.mark.skipif(not libpcap.available(), reason="pcapy-ng is not installed")


def assert_same(fast, slow):
    assert fast.frames == slow.frames
    assert np.array_equal(fast.ts, slow.ts)
    assert np.array_equal(fast.linktype, slow.linktype)
    assert fast.sizes == slow.sizes
    assert (fast.position, fast.packets) == (slow.position, slow.packets)
    assert (fast.error and (fast.error.offset, fast.error.reason)) == (
        slow.error and (slow.error.offset, slow.error.reason)
    )


@needs_pcapy
@pytest.mark.testdata
@pytest.mark.parametrize("name", public_captures(".pcap", ".cap"))
def test_real_pcaps_read_the_same_both_ways(name):
    path = TESTDATA / name
    fast = read_all(path, batch_packets=100)
    slow = read_all(path, batch_packets=100, use_libpcap=False)
    assert fast.engine == "libpcap"
    assert_same(fast, slow)


@needs_pcapy
def test_damage_late_in_the_file_is_found_after_libpcap_gave_up(tmp_path):
    """libpcap raises on the cut record and drops the batch in hand (packets 300-399); the
    Python reader reads them again from the end of the last delivered batch.
    """
    frames = sample_frames(1000)
    data, offsets = pcap_bytes(frames)
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[: offsets[345] + 20])

    fast = read_all(path, batch_packets=100)
    slow = read_all(path, batch_packets=100, use_libpcap=False)

    assert fast.engine == "python"  # handed over
    assert fast.frames == frames[:345]
    assert fast.sizes == [100, 100, 100, 45]
    assert fast.error.offset == offsets[345]
    assert_same(fast, slow)


@needs_pcapy
def test_records_longer_than_the_snaplen_are_not_cut(tmp_path):
    """libpcap would cut them to the header's snaplen; the file holds all their bytes."""
    frames = [bytes([i]) * (50 + 100 * (i % 2)) for i in range(10)]
    path = tmp_path / "long.pcap"
    path.write_bytes(
        pcap_header(snaplen=100) + b"".join(pcap_record(i, 0, f) for i, f in enumerate(frames))
    )
    fast = read_all(path, batch_packets=4)
    assert fast.frames == frames
    assert_same(fast, read_all(path, batch_packets=4, use_libpcap=False))


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (pcap_header(">"), "other byte order"),
        (pcap_header(nano=True), "nanoseconds"),
        (pcap_header(version=(2, 2)), "old length fields"),
        (pcap_header(linktype=189), "USB pseudo-header"),
    ],
)
def test_files_libpcap_would_alter_go_to_the_python_reader(tmp_path, header, why):
    order = ">" if header[0] == 0xA1 else "<"
    path = tmp_path / "x.pcap"
    path.write_bytes(header + pcap_record(1, 2, b"frame", order))
    got = read_all(path)
    assert (got.engine, got.frames) == ("python", [b"frame"]), why


def test_without_pcapy_the_python_reader_reads_everything(tmp_path, monkeypatch):
    monkeypatch.setattr(libpcap, "pcapy", None)
    data, _ = pcap_bytes(sample_frames(50))
    path = tmp_path / "x.pcap"
    path.write_bytes(data)
    got = read_all(path, batch_packets=16)
    assert (got.engine, got.packets, got.sizes) == ("python", 50, [16, 16, 16, 2])


@needs_pcapy
def test_pcapy_batch_layout(tmp_path):
    """What the fast path relies on: next_batch() returns native uint32 (sec, usec, offset,
    caplen) records, and raises on a cut record instead of returning the packets before it.
    """
    import pcapy

    data, offsets = pcap_bytes([b"abc", b"defgh", b"ij"])
    path = tmp_path / "x.pcap"
    path.write_bytes(data[: offsets[2] + 17])
    handle = pcapy.open_offline(str(path))
    with pytest.raises(pcapy.PcapError):
        handle.next_batch(10)
    path.write_bytes(data)
    blob, meta = pcapy.open_offline(str(path)).next_batch(10)
    records = struct.unpack("=12I", meta)
    assert records[:4] == (1_700_000_000, 0, records[2], 3)
    assert blob[records[2] : records[2] + 3] == b"abc"
    assert records[8:] == (1_700_000_002, 2, records[10], 2)
