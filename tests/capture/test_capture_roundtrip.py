"""Writer → reader round trips for every format variant, and the readers' bookkeeping."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import subprocess
import threading

import numpy as np
import pytest
from capfiles import (
    CUSTOM,
    DSB,
    ISB,
    NRB,
    block,
    epb,
    idb,
    pb,
    read_all,
    sample_frames,
    sample_times,
    shb,
    spb,
)

from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
)
from callvault.capture.writer import PcapngWriter, PcapWriter

FRAMES = sample_frames(300)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("byte_order", ["little", "big"])
@pytest.mark.parametrize("nanosecond", [False, True], ids=["usec", "nsec"])
@pytest.mark.parametrize("use_libpcap", [True, False], ids=["libpcap", "python"])
def test_pcap_round_trip(tmp_path, gz, byte_order, nanosecond, use_libpcap):
    times = sample_times(len(FRAMES), 10**9 if nanosecond else 10**6)
    path = tmp_path / ("x.pcap.gz" if gz else "x.pcap")
    with PcapWriter(path, LINKTYPE_RAW, nanosecond=nanosecond, byte_order=byte_order) as w:
        for ts, frame in zip(times, FRAMES, strict=True):
            w.write(ts, frame)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == gz

    got = read_all(path, batch_packets=64, use_libpcap=use_libpcap)

    assert got.error is None
    assert got.frames == FRAMES
    assert got.ts.tolist() == times
    assert set(got.linktype.tolist()) == {LINKTYPE_RAW}
    assert got.sizes == [64, 64, 64, 64, 44]
    assert (got.packets, got.position, got.size) == (300, path.stat().st_size, path.stat().st_size)
    served_by_libpcap = use_libpcap and not gz and not nanosecond and byte_order == "little"
    assert got.engine == ("libpcap" if served_by_libpcap else "python")


@pytest.mark.parametrize("nanosecond", [False, True])
def test_write_many_writes_what_write_does(tmp_path, nanosecond):
    times = sample_times(len(FRAMES), 10**9 if nanosecond else 10**6)
    one, many = tmp_path / "one.pcap", tmp_path / "many.pcap"
    with PcapWriter(one, nanosecond=nanosecond, snaplen=1000) as w:
        for ts, frame in zip(times, FRAMES, strict=True):
            w.write(ts, frame)
    with PcapWriter(many, nanosecond=nanosecond, snaplen=1000) as w:
        w.write_many(np.array(times[:100]), FRAMES[:100])
        w.write_many(times[100:], FRAMES[100:])
    assert one.read_bytes() == many.read_bytes()


def test_write_many_of_equal_frames_as_an_array(tmp_path):
    frames = np.random.default_rng(1).integers(0, 256, size=(1000, 214), dtype=np.uint8)
    times = sample_times(1000)
    with PcapWriter(tmp_path / "a.pcap") as w:
        w.write_many(times, frames)
    with PcapWriter(tmp_path / "b.pcap") as w:
        w.write_many(times, [row.tobytes() for row in frames])
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()
    assert read_all(tmp_path / "a.pcap").frames == [row.tobytes() for row in frames]


def test_snaplen_cuts_frames_and_keeps_the_wire_length(tmp_path):
    path = tmp_path / "cut.pcap"
    with PcapWriter(path, snaplen=100) as w:
        w.write(1.0, bytes(range(200)))
        w.write(2.0, b"short", orig_len=1200)
    data = path.read_bytes()
    assert struct.unpack_from("<II", data, 24 + 8) == (100, 200)
    assert struct.unpack_from("<II", data, 24 + 116 + 8) == (5, 1200)
    assert read_all(path).frames == [bytes(range(100)), b"short"]


def test_writer_into_an_open_binary_file_leaves_it_open():
    sink = io.BytesIO()
    with PcapWriter(sink, gzip=True) as w:
        w.write(1.5, b"frame")
    assert not sink.closed
    assert gzip.decompress(sink.getvalue())[24:] == struct.pack("<IIII", 1, 500000, 5, 5) + b"frame"


def test_writer_rejects_what_the_format_cannot_hold(tmp_path):
    with PcapWriter(tmp_path / "x.pcap") as w:
        with pytest.raises(ValueError):
            w.write(-5.0, b"x")
        with pytest.raises(ValueError):
            w.write_many([2.0**33], [b"x"])
    with pytest.raises(ValueError):
        PcapWriter(tmp_path / "y.pcap", byte_order="middle")
    with PcapngWriter(tmp_path / "x.pcapng") as w:
        with pytest.raises(ValueError):
            w.write(1.0, b"no interface yet")
        w.add_interface(LINKTYPE_ETHERNET)
        with pytest.raises(ValueError):
            w.write_simple(b"x", interface=1)
        with pytest.raises(ValueError):
            w.write_many([-1.0], [b"before 1970"])


def write_mixed_pcapng(path, byte_order="little", gz=None):
    """Three interfaces (Ethernet µs, raw IP ns with if_tsoffset, SLL in 2^-20 s units),
    packets spread over them, Simple Packet Blocks between; returns what a reader must give.
    """
    times = sample_times(len(FRAMES))
    expected = []
    with PcapngWriter(path, byte_order=byte_order, gzip=gz) as w:
        eth = w.add_interface(LINKTYPE_ETHERNET)
        raw = w.add_interface(LINKTYPE_RAW, tsresol=9, tsoffset=1_600_000_000)
        sll = w.add_interface(LINKTYPE_LINUX_SLL, tsresol=0x80 | 20, snaplen=64)
        last_eth = 0.0
        for i, (ts, frame) in enumerate(zip(times, FRAMES, strict=True)):
            if i % 10 == 9:
                w.write_simple(frame)
                expected.append((last_eth, frame, LINKTYPE_ETHERNET))
                continue
            interface = (eth, raw, sll)[i % 3]
            w.write(ts, frame, interface)
            if interface == sll:
                ts, frame = round(ts * 2**20) / 2**20, frame[:64]
            if interface == eth:
                last_eth = ts
            expected.append(
                (ts, frame, (LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL)[i % 3])
            )
    return expected


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("byte_order", ["little", "big"])
def test_pcapng_round_trip_with_mixed_interfaces(tmp_path, gz, byte_order):
    path = tmp_path / ("x.pcapng.gz" if gz else "x.pcapng")
    expected = write_mixed_pcapng(path, byte_order)

    got = read_all(path, batch_packets=50)

    assert got.error is None
    assert got.frames == [frame for _, frame, _ in expected]
    assert got.linktype.tolist() == [lt for _, _, lt in expected]
    assert got.ts.tolist() == [ts for ts, _, _ in expected]
    assert got.sizes == [50] * 6
    assert got.position == got.size == path.stat().st_size


@pytest.mark.tshark
def test_pcapng_times_agree_with_tshark(tmp_path):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    path = tmp_path / "mixed.pcapng"
    write_mixed_pcapng(path)
    out = subprocess.run(
        [
            "tshark",
            "-r",
            str(path),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    got = read_all(path)
    assert len(rows) == len(got.frames)
    # tshark gives an SPB no time (it prints the epoch); compare the timed packets.
    timed = [i for i in range(len(rows)) if i % 10 != 9]
    assert [float(rows[i][0]) for i in timed] == pytest.approx(got.ts[timed].tolist(), abs=1e-9)
    assert [int(r[1]) for r in rows] == [len(f) for f in got.frames]


def test_pcapng_sections_blocks_and_byte_orders(tmp_path):
    """Two sections of opposite byte orders; name resolution, statistics, decryption secrets,
    custom and unknown blocks are skipped; an obsolete Packet Block is read; an SPB that opens a
    section takes the time of the packet before it.
    """
    first = (
        shb("<")
        + block(NRB, b"\x00" * 8)
        + idb(LINKTYPE_ETHERNET, "<")
        + idb(LINKTYPE_NULL, "<", tsresol=3)
        + epb(0, 1_000_000_500_000, b"one")
        + block(ISB, bytes(12))
        + pb(1, 1_000_000_600, b"two")
        + block(DSB, b"keys")
        + block(CUSTOM, b"\x00\x00\x7f\xffpen")
        + block(0x1234, b"unknown")
    )
    second = (
        shb(">")
        + idb(LINKTYPE_RAW, ">", tsresol=9)
        + spb(b"three", ">")
        + epb(0, 2_000_000_000_000_000_001, b"four", ">")
        + spb(b"five", ">")
    )
    path = tmp_path / "sections.pcapng"
    path.write_bytes(first + second)

    got = read_all(path, batch_packets=2)

    assert got.error is None
    assert got.frames == [b"one", b"two", b"three", b"four", b"five"]
    assert got.linktype.tolist() == [
        LINKTYPE_ETHERNET,
        LINKTYPE_NULL,
        LINKTYPE_RAW,
        LINKTYPE_RAW,
        LINKTYPE_RAW,
    ]
    assert got.ts.tolist() == [
        1_000_000.5,
        1_000_000.6,
        1_000_000.6,
        2_000_000_000.000000001,
        2_000_000_000.000000001,
    ]
    assert got.sizes == [2, 2, 1]


def test_iterating_stops_early_and_close_is_safe(tmp_path):
    path = tmp_path / "x.pcap"
    with PcapWriter(path) as w:
        w.write_many(sample_times(1000), sample_frames(1000))
    from callvault.capture.reader import open_capture

    with open_capture(path, batch_packets=100) as reader:
        first = next(iter(reader))
        assert len(first) == 100 and reader.packets == 100
        assert 0 < reader.position < reader.size
    reader.close()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_reading_from_a_pipe(tmp_path, gz):
    """A pipe cannot be read at an offset or measured: it is read front to back, size 0."""
    path = tmp_path / "x.pcap"
    with PcapWriter(path, gzip=gz) as w:
        w.write_many(sample_times(len(FRAMES)), FRAMES)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(path.read_bytes()))
    feeder.start()
    try:
        got = read_all(fifo, batch_packets=100)
    finally:
        feeder.join()
    assert (got.error, got.frames, got.size, got.engine) == (None, FRAMES, 0, "python")
