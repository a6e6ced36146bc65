"""Capture writers: pcap and pcapng, plain or gzip, streaming (memory stays at ~1 MiB).

    with PcapWriter("out.pcap.gz", nanosecond=True) as w:
        w.write(ts, frame)                 # one frame
        w.write_many(ts_array, frames)     # many at once: headers built with NumPy

Frames longer than the snaplen are cut to it (the original length is kept in the record).
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from collections.abc import Sequence
from types import TracebackType
from typing import BinaryIO

import numpy as np

from callvault.capture.batch import LINKTYPE_ETHERNET
from callvault.capture.pcapfile import MAGIC_MICRO, MAGIC_NANO, MAX_SNAPLEN
from callvault.capture.pcapng import (
    BYTE_ORDER_MAGIC,
    EPB,
    IDB,
    IF_TSOFFSET,
    IF_TSRESOL,
    SHB,
    SPB,
)

FLUSH_BYTES = 1 << 20
PADDING = (b"", b"\0", b"\0\0", b"\0\0\0")
"""pcapng pads packet data to 32 bits."""
Frames = Sequence[bytes] | np.ndarray
"""Frames for ``write_many``: byte strings, or a 2-D uint8 array of equal-length frames."""


def _order(byte_order: str) -> str:
    if byte_order not in ("little", "big"):
        raise ValueError(f'byte_order must be "little" or "big", not {byte_order!r}')
    return "<" if byte_order == "little" else ">"


def split_time(ts: float, per_second: int) -> tuple[int, int]:
    """(whole seconds, fraction in 1/per_second units) of ``ts``, rounded to the unit."""
    sec = math.floor(ts)
    frac = round((ts - sec) * per_second)
    if frac >= per_second:
        return sec + 1, frac - per_second
    return sec, frac


def split_times(ts: np.ndarray, per_second: int) -> tuple[np.ndarray, np.ndarray]:
    """``split_time`` for an array of times."""
    ts = np.asarray(ts, dtype=np.float64)
    sec = np.floor(ts)
    frac = np.rint((ts - sec) * per_second)
    carry = frac >= per_second
    return (sec + carry).astype(np.int64), (frac - carry * per_second).astype(np.int64)


class _Output:
    """Where the bytes go: a file (opened here or given), optionally through gzip."""

    def __init__(
        self, target: str | os.PathLike[str] | BinaryIO, gzip: bool | None, compresslevel: int
    ) -> None:
        if isinstance(target, str | os.PathLike):
            self._file: BinaryIO = open(target, "wb")  # noqa: SIM115 - closed in close()
            self._owned = True
            gzip = os.fspath(target).endswith(".gz") if gzip is None else gzip
        else:
            self._file, self._owned = target, False
        self._deflate = zlib.compressobj(compresslevel, zlib.DEFLATED, 31) if gzip else None

    def write(self, data: bytes | memoryview) -> None:
        self._file.write(self._deflate.compress(data) if self._deflate else data)

    def close(self) -> None:
        if self._deflate:
            self._file.write(self._deflate.flush())
            self._deflate = None
        self._file.flush()
        if self._owned:
            self._file.close()


class _Writer:
    """Buffering shared by both formats."""

    def __init__(
        self, target: str | os.PathLike[str] | BinaryIO, gzip: bool | None, compresslevel: int
    ) -> None:
        self._out = _Output(target, gzip, compresslevel)
        self._parts: list[bytes | memoryview] = []
        self._pending = 0
        self._closed = False
        self.packets = 0
        """Frames written so far."""

    def _add(self, *parts: bytes | memoryview) -> None:
        for part in parts:
            self._parts.append(part)
            self._pending += len(part)
        if self._pending >= FLUSH_BYTES:
            self.flush()

    def _add_block(self, block: bytes | memoryview) -> None:
        """A large piece: written as it is, not copied into the buffer."""
        if len(block) < FLUSH_BYTES:
            self._add(block)
        else:
            self.flush()
            self._out.write(block)

    def flush(self) -> None:
        """Hand everything written so far to the file (and the compressor)."""
        if self._parts:
            self._out.write(b"".join(self._parts))
            self._parts, self._pending = [], 0

    def close(self) -> None:
        """Flush and finish the gzip stream; close the file if it was opened here."""
        if not self._closed:
            self.flush()
            self._out.close()
            self._closed = True

    def __enter__(self) -> _Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _frame_list(frames: Frames) -> tuple[list[bytes] | np.ndarray, np.ndarray]:
    """The frames and their lengths (int64)."""
    if isinstance(frames, np.ndarray):
        if frames.ndim != 2 or frames.dtype != np.uint8:
            raise ValueError("an array of frames must be 2-D uint8 (one frame per row)")
        return frames, np.full(len(frames), frames.shape[1], dtype=np.int64)
    return list(frames), np.fromiter(map(len, frames), dtype=np.int64, count=len(frames))


def _records(
    head: np.ndarray,
    frames: list[bytes] | np.ndarray,
    lengths: np.ndarray,
    tails: np.ndarray | list[bytes] | None = None,
) -> bytes | memoryview:
    """Records of one ``head`` row, one frame and one of ``tails`` each, back to back.

    Frames of one length are laid out with a single NumPy copy; others are joined as slices.
    """
    n = len(lengths)
    head_u8 = head.view(np.uint8).reshape(n, -1)
    if n and not isinstance(tails, list) and (lengths == lengths[0]).all():
        body = (
            frames
            if isinstance(frames, np.ndarray)
            else np.frombuffer(b"".join(frames), dtype=np.uint8).reshape(n, int(lengths[0]))
        )
        columns = [head_u8, body] if tails is None else [head_u8, body, tails]
        return np.concatenate(columns, axis=1).reshape(-1).data
    if isinstance(frames, np.ndarray):
        frames = [row.tobytes() for row in frames]
    if isinstance(tails, np.ndarray):
        tails = [row.tobytes() for row in tails]
    heads = head_u8.tobytes()
    width = head_u8.shape[1]
    step = 2 if tails is None else 3
    parts: list[bytes] = [b""] * (n * step)
    parts[0::step] = [heads[i : i + width] for i in range(0, n * width, width)]
    parts[1::step] = frames
    if tails is not None:
        parts[2::step] = tails
    return b"".join(parts)


class PcapWriter(_Writer):
    """Writes a pcap file: microsecond (magic a1b2c3d4) or nanosecond (a1b23c4d) timestamps,
    little- or big-endian.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | BinaryIO,
        linktype: int = LINKTYPE_ETHERNET,
        *,
        nanosecond: bool = False,
        snaplen: int = MAX_SNAPLEN,
        byte_order: str = "little",
        gzip: bool | None = None,
        compresslevel: int = 1,
    ) -> None:
        """``gzip=None`` compresses when ``target`` is a path ending in ".gz"; level 1 is the
        default as it is several times faster than 6 and packets compress little further.
        """
        order = _order(byte_order)
        super().__init__(target, gzip, compresslevel)
        self.linktype = linktype
        self.snaplen = snaplen
        self.per_second = 1_000_000_000 if nanosecond else 1_000_000
        self._order = order
        self._record = struct.Struct(order + "IIII")
        magic = MAGIC_NANO if nanosecond else MAGIC_MICRO
        self._add(struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts: float, frame: bytes, orig_len: int | None = None) -> None:
        """One frame captured at ``ts`` (seconds since the epoch); ``orig_len`` is its length
        on the wire if more was sent than ``frame`` holds.
        """
        per_second = self.per_second
        sec = math.floor(ts)
        frac = round((ts - sec) * per_second)
        if frac >= per_second:
            sec, frac = sec + 1, frac - per_second
        size = wire = len(frame)
        if size > self.snaplen:
            size, frame = self.snaplen, frame[: self.snaplen]
        try:
            head = self._record.pack(sec, frac, size, orig_len or wire)
        except struct.error as exc:
            raise ValueError(f"time {ts} or length is out of the pcap format's range") from exc
        parts = self._parts
        parts.append(head)
        parts.append(frame)
        self.packets += 1
        self._pending += 16 + size
        if self._pending >= FLUSH_BYTES:
            self.flush()

    def write_many(self, ts: np.ndarray | Sequence[float], frames: Frames) -> None:
        """Many frames at once (``ts[i]`` for ``frames[i]``): the fast way to write millions."""
        frames, lengths = _frame_list(frames)
        sec, frac = split_times(np.asarray(ts), self.per_second)
        if len(sec) != len(lengths):
            raise ValueError(f"{len(sec)} times for {len(lengths)} frames")
        if len(sec) and (sec.min() < 0 or sec.max() > 0xFFFFFFFF):
            raise ValueError("a time is out of the pcap format's range (1970 to 2106)")
        if (lengths > self.snaplen).any():
            frames = [bytes(f[: self.snaplen]) for f in frames]
        head = np.empty((len(sec), 4), dtype=self._order + "u4")
        head[:, 0], head[:, 1] = sec, frac
        head[:, 2], head[:, 3] = np.minimum(lengths, self.snaplen), lengths
        self._add_block(_records(head, frames, np.minimum(lengths, self.snaplen)))
        self.packets += len(sec)


class PcapngWriter(_Writer):
    """Writes a pcapng file: one section, interfaces added as needed, EPBs and SPBs."""

    def __init__(
        self,
        target: str | os.PathLike[str] | BinaryIO,
        *,
        byte_order: str = "little",
        gzip: bool | None = None,
        compresslevel: int = 1,
    ) -> None:
        """``gzip=None`` compresses when ``target`` is a path ending in ".gz"; level 1 is the
        default as it is several times faster than 6 and packets compress little further.
        """
        order = _order(byte_order)
        super().__init__(target, gzip, compresslevel)
        self._order = order
        self._interfaces: list[tuple[int, int, int]] = []
        """(ticks per second, tsoffset, snaplen) of each interface."""
        self._epb = struct.Struct(order + "IIIIIII")
        self._u32 = struct.Struct(order + "I")
        self._add(struct.pack(order + "IIIHHqI", SHB, 28, BYTE_ORDER_MAGIC, 1, 0, -1, 28))

    def add_interface(
        self,
        linktype: int = LINKTYPE_ETHERNET,
        tsresol: int = 6,
        *,
        snaplen: int = 0,
        tsoffset: int = 0,
    ) -> int:
        """Describe an interface; returns its id for ``write``. ``tsresol`` is the if_tsresol
        byte: 6 for microseconds, 9 for nanoseconds, 0x80 | n for units of 2^-n seconds.
        ``tsoffset`` (if_tsoffset) is whole seconds added to every timestamp of the interface.
        """
        exponent = tsresol & 0x7F
        per_second = 2**exponent if tsresol & 0x80 else 10**exponent
        if not 0 <= tsresol <= 0xFF or per_second > 10**18:
            raise ValueError(f"unsupported tsresol {tsresol}")
        options = b""
        if tsresol != 6:
            options += struct.pack(self._order + "HHB3x", IF_TSRESOL, 1, tsresol)
        if tsoffset:
            options += struct.pack(self._order + "HHq", IF_TSOFFSET, 8, tsoffset)
        if options:
            options += bytes(4)
        length = 20 + len(options)
        self._add(
            struct.pack(self._order + "IIHHI", IDB, length, linktype, 0, snaplen),
            options,
            struct.pack(self._order + "I", length),
        )
        self._interfaces.append((per_second, tsoffset, snaplen or MAX_SNAPLEN))
        return len(self._interfaces) - 1

    def _interface(self, interface: int) -> tuple[int, int, int]:
        if not 0 <= interface < len(self._interfaces):
            raise ValueError(f"no interface {interface}: add_interface() it first")
        return self._interfaces[interface]

    def write(
        self, ts: float, frame: bytes, interface: int = 0, orig_len: int | None = None
    ) -> None:
        """One frame in an Enhanced Packet Block."""
        per_second, offset, snaplen = self._interface(interface)
        sec, frac = split_time(ts, per_second)
        ticks = (sec - offset) * per_second + frac
        if not 0 <= ticks < 1 << 64:
            raise ValueError(f"time {ts} is out of this interface's range")
        size = wire = len(frame)
        if size > snaplen:
            size, frame = snaplen, frame[:snaplen]
        pad = -size % 4
        length = 32 + size + pad
        high, low = divmod(ticks, 1 << 32)
        parts = self._parts
        parts.append(self._epb.pack(EPB, length, interface, high, low, size, orig_len or wire))
        parts.append(frame)
        parts.append(PADDING[pad] + self._u32.pack(length))
        self.packets += 1
        self._pending += length
        if self._pending >= FLUSH_BYTES:
            self.flush()

    def write_simple(self, frame: bytes, interface: int = 0) -> None:
        """One frame in a Simple Packet Block: no timestamp (a reader takes the interface's
        last one), always interface 0 — the only one an SPB can belong to.
        """
        if interface != 0:
            raise ValueError("a simple packet block always belongs to interface 0")
        snaplen = self._interface(0)[2]
        orig = len(frame)
        frame = frame[:snaplen]
        pad = -len(frame) % 4
        length = 16 + len(frame) + pad
        self._add(
            struct.pack(self._order + "III", SPB, length, orig),
            frame,
            bytes(pad) + struct.pack(self._order + "I", length),
        )
        self.packets += 1

    def write_many(
        self, ts: np.ndarray | Sequence[float], frames: Frames, interface: int = 0
    ) -> None:
        """Many frames at once on one interface, in Enhanced Packet Blocks."""
        per_second, offset, snaplen = self._interface(interface)
        frames, lengths = _frame_list(frames)
        sec, frac = split_times(np.asarray(ts), per_second)
        if len(sec) != len(lengths):
            raise ValueError(f"{len(sec)} times for {len(lengths)} frames")
        if len(sec) and not 0 <= sec.min() - offset <= sec.max() - offset < 2**63 // per_second:
            raise ValueError("a time is out of this interface's range")
        ticks = ((sec - offset) * per_second + frac).astype(np.uint64)
        if (lengths > snaplen).any():
            frames = [bytes(f[:snaplen]) for f in frames]
        caplen = np.minimum(lengths, snaplen)
        pad = -caplen % 4
        length = 32 + caplen + pad
        head = np.empty((len(sec), 7), dtype=self._order + "u4")
        head[:, 0], head[:, 1], head[:, 2] = EPB, length, interface
        head[:, 3], head[:, 4] = ticks >> np.uint64(32), ticks & np.uint64(0xFFFFFFFF)
        head[:, 5], head[:, 6] = caplen, lengths
        tails: np.ndarray | list[bytes]
        if len(caplen) and (caplen == caplen[0]).all():
            tails = np.zeros((len(sec), int(pad[0]) + 4), dtype=np.uint8)
            tails[:, -4:] = length.astype(self._order + "u4").view(np.uint8).reshape(-1, 4)
        else:
            tails = [
                bytes(int(p)) + struct.pack(self._order + "I", int(n))
                for p, n in zip(pad, length, strict=True)
            ]
        self._add_block(_records(head, frames, caplen, tails))
        self.packets += len(sec)
