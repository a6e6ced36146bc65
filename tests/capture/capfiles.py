"""Test helpers: read a capture whole, and build pcap/pcapng bytes by hand.

The builders are written from the format specs independently of callvault's writer, so the
reader is checked against something other than its own sibling.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from callvault.capture.reader import open_capture
from callvault.errors import CaptureError

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "pcaps"
"""Public captures (see SOURCES.md there), beside the repository: ../shared/testdata/pcaps."""


def public_captures(*suffixes: str) -> list:
    """Names of the public captures with these suffixes, as pytest parameters; one skipped
    parameter if the directory is absent.
    """
    if not TESTDATA.is_dir():
        return [pytest.param("", marks=pytest.mark.skip(reason=f"{TESTDATA} is absent"))]
    return sorted(p.name for p in TESTDATA.iterdir() if p.suffix in suffixes)


SHB, IDB, PB, SPB, NRB, ISB, EPB, DSB = 0x0A0D0D0A, 1, 2, 3, 4, 5, 6, 0x0A
CUSTOM = 0x00000BAD


@dataclass
class Read:
    """Everything a reader handed out for one file."""

    frames: list[bytes]
    ts: np.ndarray
    linktype: np.ndarray
    sizes: list[int]
    """Packets per batch."""
    error: CaptureError | None
    position: int
    size: int
    packets: int
    engine: str


def read_all(path: Path | str, batch_packets: int = 131072, **options: object) -> Read:
    """Read a capture to its end or its first error (which is kept, not raised)."""
    batches = []
    error = None
    with open_capture(path, batch_packets, **options) as reader:  # type: ignore[arg-type]
        try:
            for batch in reader:
                batches.append(batch)
        except CaptureError as exc:
            error = exc
        assert list(reader) == []  # iteration stays stopped after the end or an error
    return Read(
        frames=[b.frame(i) for b in batches for i in range(len(b))],
        ts=np.concatenate([b.ts for b in batches]) if batches else np.zeros(0),
        linktype=np.concatenate([b.linktype for b in batches]) if batches else np.zeros(0, int),
        sizes=[len(b) for b in batches],
        error=error,
        position=reader.position,
        size=reader.size,
        packets=reader.packets,
        engine=reader.engine,
    )


def sample_frames(count: int, seed: int = 7) -> list[bytes]:
    """Frames of varied lengths (0 to 1500 bytes) and contents."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([0, 1, 3, 42, 60, 214, 215, 342, 1500], size=count)
    return [rng.integers(0, 256, size=int(n), dtype=np.uint8).tobytes() for n in sizes]


def sample_times(
    count: int, per_second: int = 1_000_000, start: int = 1_700_000_000
) -> list[float]:
    """Increasing times that are exact in ``per_second`` units, as the reader computes them."""
    ticks = np.cumsum(np.random.default_rng(3).integers(1, 3 * per_second // 100, size=count))
    sec, frac = start + ticks // per_second, ticks % per_second
    if per_second <= 1_000_000:
        return [float((s * per_second + f) / per_second) for s, f in zip(sec, frac, strict=True)]
    return [float(s + f / per_second) for s, f in zip(sec, frac, strict=True)]


# --- pcap -------------------------------------------------------------------------------------


def pcap_header(
    order: str = "<",
    nano: bool = False,
    snaplen: int = 262144,
    linktype: int = 1,
    version: tuple[int, int] = (2, 4),
) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    return struct.pack(order + "IHHiIII", magic, *version, 0, 0, snaplen, linktype)


def pcap_record(
    sec: int, frac: int, frame: bytes, order: str = "<", caplen: int | None = None
) -> bytes:
    caplen = len(frame) if caplen is None else caplen
    return struct.pack(order + "IIII", sec, frac, caplen, len(frame)) + frame


def pcap_bytes(frames: list[bytes], order: str = "<") -> tuple[bytes, list[int]]:
    """A microsecond pcap of ``frames`` and the offset of each record."""
    out = [pcap_header(order)]
    offsets = []
    pos = 24
    for i, frame in enumerate(frames):
        offsets.append(pos)
        out.append(pcap_record(1_700_000_000 + i, i, frame, order))
        pos += 16 + len(frame)
    return b"".join(out), offsets


# --- pcapng -----------------------------------------------------------------------------------


def block(kind: int, body: bytes, order: str = "<") -> bytes:
    body += bytes(-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", kind, length) + body + struct.pack(order + "I", length)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def shb(order: str = "<", version: tuple[int, int] = (1, 0)) -> bytes:
    return block(SHB, struct.pack(order + "IHHq", 0x1A2B3C4D, *version, -1), order)


def idb(
    linktype: int,
    order: str = "<",
    snaplen: int = 0,
    tsresol: int | None = None,
    tsoffset: int | None = None,
) -> bytes:
    options = b""
    if tsresol is not None:
        options += option(9, bytes([tsresol]), order)
    if tsoffset is not None:
        options += option(14, struct.pack(order + "q", tsoffset), order)
    if options:
        options += bytes(4)
    return block(IDB, struct.pack(order + "HHI", linktype, 0, snaplen) + options, order)


def epb(interface: int, ticks: int, frame: bytes, order: str = "<") -> bytes:
    head = struct.pack(
        order + "IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame)
    )
    return block(EPB, head + frame, order)


def pb(interface: int, ticks: int, frame: bytes, order: str = "<") -> bytes:
    head = struct.pack(
        order + "HHIIII", interface, 0, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame)
    )
    return block(PB, head + frame, order)


def spb(frame: bytes, order: str = "<") -> bytes:
    return block(SPB, struct.pack(order + "I", len(frame)) + frame, order)
