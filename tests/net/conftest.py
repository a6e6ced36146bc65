"""Fixtures for the network layer: real captures from ../shared/testdata as PacketBatches."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.capture.batch import PacketBatch
from callvault.net import NetDecoder, StreamData
from callvault.net.datagram import DatagramBatch

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "pcaps"


def _pcap_frames(raw: bytes) -> Iterator[tuple[float, bytes, int]]:
    """(time, frame, link type) of a classic pcap file (either byte order, us or ns)."""
    magic = raw[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    scale = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    linktype = struct.unpack_from(order + "I", raw, 20)[0] & 0x0FFFFFFF
    pos = 24
    while pos + 16 <= len(raw):
        sec, frac, caplen, _ = struct.unpack_from(order + "IIII", raw, pos)
        yield sec + frac * scale, raw[pos + 16 : pos + 16 + caplen], linktype
        pos += 16 + caplen


def _pcapng_frames(raw: bytes) -> Iterator[tuple[float, bytes, int]]:
    """(time, frame, link type) of the enhanced/simple packet blocks of a pcapng file."""
    order = "<" if raw[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    interfaces: list[int] = []
    pos = 0
    while pos + 12 <= len(raw):
        kind, size = struct.unpack_from(order + "II", raw, pos)
        if kind == 0x0A0D0D0A:
            interfaces = []
        elif kind == 1:
            interfaces.append(struct.unpack_from(order + "H", raw, pos + 8)[0])
        elif kind == 6:
            iface, high, low, caplen = struct.unpack_from(order + "IIII", raw, pos + 8)
            ts = ((high << 32) | low) * 1e-6
            yield ts, raw[pos + 28 : pos + 28 + caplen], interfaces[iface]
        elif kind == 3:
            length = struct.unpack_from(order + "I", raw, pos + 8)[0]
            yield 0.0, raw[pos + 12 : pos + 12 + min(length, size - 16)], interfaces[0]
        pos += size


def read_batches(path: Path, batch_packets: int = 1 << 17) -> list[PacketBatch]:
    """The capture's frames as PacketBatches (the project's reader when it exists)."""
    try:
        from callvault.capture import open_capture  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        with open_capture(path, batch_packets) as reader:
            return list(reader)
    raw = path.read_bytes()
    frames = list(_pcapng_frames(raw) if raw[:4] == b"\x0a\x0d\x0d\x0a" else _pcap_frames(raw))
    batches = []
    for first in range(0, len(frames), batch_packets):
        chunk = frames[first : first + batch_packets]
        caplen = np.array([len(f) for _, f, _ in chunk], dtype=np.int64)
        start = np.concatenate(([0], np.cumsum(caplen)[:-1])).astype(np.int64)
        batches.append(
            PacketBatch(
                b"".join(f for _, f, _ in chunk),
                np.array([t for t, _, _ in chunk], dtype=np.float64),
                start,
                caplen,
                np.array([lt for _, _, lt in chunk], dtype=np.int64),
            )
        )
    return batches


class Decoded:
    """Everything a NetDecoder handed up for one capture."""

    def __init__(self, decoder: NetDecoder, batches: list[PacketBatch]) -> None:
        self.decoder = decoder
        self.datagrams: list[DatagramBatch] = []
        self.streams: list[StreamData] = []
        for batch in batches:
            datagrams, streams = decoder.decode(batch)
            self.datagrams.append(datagrams)
            self.streams.extend(streams)
        self.streams.extend(decoder.flush())
        self.frames = sum(len(b) for b in batches)

    @property
    def counters(self) -> dict[str, int]:
        return self.decoder.counters.skipped

    def payloads(self) -> list[bytes]:
        return [d.payload(i) for d in self.datagrams for i in range(len(d))]

    def ports(self) -> list[tuple[int, int]]:
        return [
            (int(p), int(q)) for d in self.datagrams for p, q in zip(d.sport, d.dport, strict=True)
        ]


@pytest.fixture
def capture() -> Callable[..., Decoded]:
    """Decode a file of ../shared/testdata/pcaps (skips where the test data is absent)."""

    def decode(name: str, *, fast_path: bool = True, batch_packets: int = 1 << 17) -> Decoded:
        path = TESTDATA / name
        if not path.exists():
            pytest.skip(f"test capture {name} not found under {TESTDATA}")
        return Decoded(NetDecoder(fast_path=fast_path), read_batches(path, batch_packets))

    return decode
