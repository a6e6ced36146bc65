"""Fixtures for the network layer: real captures from ../shared/testdata as PacketBatches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from callvault.capture.batch import PacketBatch
from callvault.capture.reader import open_capture
from callvault.net import NetDecoder, StreamData
from callvault.net.datagram import DatagramBatch

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "pcaps"


def read_batches(path: Path, batch_packets: int = 1 << 17) -> list[PacketBatch]:
    """The capture's frames as PacketBatches, read by the project's capture reader."""
    with open_capture(path, batch_packets) as reader:
        return list(reader)


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
