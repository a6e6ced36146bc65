"""The pcapng file format (draft-ietf-opsawg-pcapng): sections of typed blocks.

Packets come from Enhanced Packet Blocks (EPB), Simple Packet Blocks (SPB) and the obsolete
Packet Block (PB); Section Header and Interface Description Blocks set the byte order, link
types and timestamp units; every other block (name resolution, statistics, decryption secrets,
custom, unknown) is checked for its framing and skipped.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass

import numpy as np

from callvault.capture.arrays import (
    Parsed,
    Piece,
    extend_run,
    fields,
    gather,
    headers,
    to_seconds,
)
from callvault.capture.pcapfile import LONG_RUN, MAX_SNAPLEN, MAX_STREAK, MIN_STREAK
from callvault.errors import CaptureError

SHB = 0x0A0D0D0A
"""Section Header Block; its type reads the same in both byte orders."""
IDB = 0x00000001
"""Interface Description Block."""
PB = 0x00000002
"""Packet Block (obsolete): like an EPB with a 16-bit interface id and a drops count."""
SPB = 0x00000003
"""Simple Packet Block: no timestamp, always interface 0."""
NRB = 0x00000004
ISB = 0x00000005
EPB = 0x00000006
"""Enhanced Packet Block."""
DSB = 0x0000000A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
SHB_MAGIC = b"\x0a\x0d\x0d\x0a"

OPT_ENDOFOPT = 0
IF_TSRESOL = 9
"""Timestamp unit: 10^-v seconds, or 2^-(v & 0x7f) if the top bit is set (default 6)."""
IF_TSOFFSET = 14
"""Seconds (signed 64-bit) to add to every timestamp of the interface."""

MAX_BLOCK = 16 * 1024 * 1024
"""Wireshark's limit on a block's size: a bigger one is taken as corrupt."""
MIN_LENGTH = {SHB: 28, IDB: 20, PB: 32, SPB: 16, EPB: 32}
EPB_HEADER_LEN = 28
"""Type, length, interface, timestamp (high, low), captured and original length."""


@dataclass(frozen=True, slots=True)
class Interface:
    """What an Interface Description Block says about the packets that name it."""

    linktype: int
    snaplen: int
    per_second: int = 1_000_000
    offset_s: int = 0


def block_length_problem(length: int) -> str | None:
    if length < 12:
        return f"corrupt: pcapng block length {length} is below the 12-byte minimum"
    if length % 4:
        return f"corrupt: pcapng block length {length} is not a multiple of 4"
    if length > MAX_BLOCK:
        return f"corrupt: pcapng block length {length} is over the {MAX_BLOCK}-byte limit"
    return None


def walk(data: bytes, pos: int, limit: int, head: struct.Struct) -> tuple[array, int]:
    """Offsets of up to ``limit`` consecutive packet blocks from ``pos`` on (stopping at any
    other block), and the offset after them: the hot loop of the reader. Runs of blocks of one
    type and length are taken with NumPy, as in pcapfile.walk.
    """
    offsets = array("q")
    append = offsets.append
    unpack = head.unpack_from
    last, same, eager = -1, 0, MIN_STREAK
    try:
        while len(offsets) < limit:
            for _ in range(limit - len(offsets)):
                kind, length = unpack(data, pos)
                if kind != EPB and kind != SPB and kind != PB:
                    return offsets, pos
                append(pos)
                pos += length
                if length != last:
                    last, same = length, 0
                elif (same := same + 1) == eager:
                    break
            else:
                break
            pos, found = extend_run(data, pos, last, limit - len(offsets), offsets, 0, 8)
            eager = MIN_STREAK if found >= LONG_RUN else min(2 * eager, MAX_STREAK)
            last, same = -1, 0
    except struct.error:
        pass
    if pos > len(data):
        pos = offsets.pop()
    return offsets, pos


def forward_fill(values: np.ndarray, initial: float) -> np.ndarray:
    """NaNs replaced by the last number before them (``initial`` before the first)."""
    last = np.where(np.isnan(values), -1, np.arange(len(values)))
    np.maximum.accumulate(last, out=last)
    return np.where(last >= 0, values[np.maximum(last, 0)], initial)


def parse_options(data: bytes, start: int, end: int, order: str) -> dict[int, bytes] | None:
    """The options between ``start`` and ``end`` (first of each code); None if malformed."""
    found: dict[int, bytes] = {}
    pos = start
    while pos + 4 <= end:
        code, length = struct.unpack_from(order + "HH", data, pos)
        pos += 4
        if code == OPT_ENDOFOPT:
            break
        if pos + length > end:
            return None
        found.setdefault(code, data[pos : pos + length])
        pos += (length + 3) & ~3
    return found


class PcapngParser:
    """Finds the packets in windows of a pcapng file's bytes; keeps the section's state."""

    record_estimate = 256

    def __init__(self, path: str) -> None:
        self.path = path
        self._order = "<"
        self._head: struct.Struct | None = None
        self._interfaces: list[Interface] = []
        self._last_ts0: float | None = None
        self._last_ts = 0.0

    def parse(self, data: bytes, base: int, limit: int) -> Parsed:
        """Up to ``limit`` packets of ``data`` (the capture from byte ``base``); returns them,
        the bytes used, an error found right after them, and the size of an incomplete block.
        """
        pieces: list[Piece] = []
        count = pos = need = 0
        error = None
        while True:
            if self._head is not None:
                offsets, end = walk(data, pos, limit - count, self._head)
                if offsets:
                    piece, bad = self._packets(data, np.frombuffer(offsets, dtype=np.int64), base)
                    pieces.append(piece)
                    count += len(piece)
                    if bad is not None:
                        return self._merge(data, pieces), offsets[len(piece)], bad, 0
                pos = end
                if count >= limit:
                    break
            advance, need, error = self._other_block(data, pos, base)
            if error or need:
                break
            pos += advance
        return self._merge(data, pieces), pos, error, need

    def truncated(self, tail: bytes, offset: int) -> CaptureError:
        if len(tail) < 8:
            where = f"a pcapng block header ({len(tail)} of 8 bytes)"
        else:
            where = f"a pcapng block ({len(tail)} of {self._length(tail, 0)} bytes)"
        return CaptureError(self.path, f"truncated: the capture ends inside {where}", offset)

    def _length(self, data: bytes, pos: int) -> int:
        order = self._order
        if data[pos : pos + 4] == SHB_MAGIC and len(data) >= pos + 12:
            order = "<" if data[pos + 8 : pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        return int(struct.unpack_from(order + "I", data, pos + 4)[0])

    def _other_block(
        self, data: bytes, pos: int, base: int
    ) -> tuple[int, int, CaptureError | None]:
        """Handle the non-packet block at ``pos``: (its length, 0, None), or (0, bytes needed,
        None) if it is incomplete, or (0, 0, error).
        """
        if len(data) - pos < 12:
            return 0, 12, None
        kind = struct.unpack_from(self._order + "I", data, pos)[0]
        if data[pos : pos + 4] == SHB_MAGIC:
            kind = SHB
            bom = data[pos + 8 : pos + 12]
            if bom not in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
                return (
                    0,
                    0,
                    self._error(
                        "corrupt: section header block with a bad byte-order "
                        f"magic ({bom.hex(' ')})",
                        base + pos,
                    ),
                )
        elif self._head is None:
            return (
                0,
                0,
                self._error("corrupt: a pcapng block before the first section header", base + pos),
            )
        length = self._length(data, pos)
        problem = block_length_problem(length) or self._short(kind, length)
        if problem:
            return 0, 0, self._error(problem, base + pos)
        if len(data) - pos < length:
            return 0, length, None
        if kind == SHB:
            self._order = "<" if data[pos + 8] == 0x4D else ">"
        trailer = struct.unpack_from(self._order + "I", data, pos + length - 4)[0]
        if trailer != length:
            return (
                0,
                0,
                self._error(
                    f"corrupt: pcapng block length mismatch (header says "
                    f"{length}, trailer says {trailer})",
                    base + pos,
                ),
            )
        problem = self._section(data, pos) if kind == SHB else None
        if kind == IDB:
            problem = self._interface(data, pos, length)
        return (0, 0, self._error(problem, base + pos)) if problem else (length, 0, None)

    @staticmethod
    def _short(kind: int, length: int) -> str | None:
        least = MIN_LENGTH.get(kind, 12)
        if length < least:
            return f"corrupt: pcapng block of type {kind:#x} is {length} bytes, under its {least}"
        return None

    def _section(self, data: bytes, pos: int) -> str | None:
        major, minor = struct.unpack_from(self._order + "HH", data, pos + 12)
        if major != 1:
            return f"unsupported pcapng version {major}.{minor}"
        self._head = struct.Struct(self._order + "II")
        self._interfaces = []
        self._tables()
        self._last_ts0 = None
        return None

    def _interface(self, data: bytes, pos: int, length: int) -> str | None:
        linktype, _, snaplen = struct.unpack_from(self._order + "HHI", data, pos + 8)
        options = parse_options(data, pos + 16, pos + length - 4, self._order)
        if options is None:
            return "corrupt: interface description block with a malformed option"
        resol = options.get(IF_TSRESOL, b"\x06")
        offset = options.get(IF_TSOFFSET, bytes(8))
        if len(resol) != 1 or len(offset) != 8:
            return "corrupt: interface description block with a malformed option"
        exponent = resol[0] & 0x7F
        per_second = 2**exponent if resol[0] & 0x80 else 10**exponent
        if per_second > 10**18:
            return f"unsupported timestamp resolution (if_tsresol {resol[0]:#04x})"
        offset_s = struct.unpack(self._order + "q", offset)[0]
        self._interfaces.append(Interface(linktype, snaplen, per_second, offset_s))
        self._tables()
        return None

    def _tables(self) -> None:
        ifs = self._interfaces
        self._linktypes = np.array([i.linktype for i in ifs], dtype=np.int64)
        self._per_second = np.array([i.per_second for i in ifs], dtype=np.uint64)
        self._offset_s = np.array([i.offset_s for i in ifs], dtype=np.int64)
        self._snaplen0 = ifs[0].snaplen if ifs and ifs[0].snaplen else MAX_SNAPLEN

    def _packets(self, data: bytes, o: np.ndarray, base: int) -> tuple[Piece, CaptureError | None]:
        """The packet blocks at offsets ``o``, up to the first one that is not well formed."""
        head = headers(data, o, EPB_HEADER_LEN, self._order).astype(np.int64)
        kind, length, iface, caplen = head[:, 0], head[:, 1], head[:, 2], head[:, 5]
        framed = (length >= 12) & (length % 4 == 0) & (length <= MAX_BLOCK)
        trailer = gather(fields(data, self._order, 4), o + np.where(framed, length, 12) - 4)
        spb = kind == SPB
        if (kind == PB).any():  # its interface id is 16 bits, then a 16-bit drops count
            iface = np.where(
                kind == PB, iface & 0xFFFF if self._order == "<" else iface >> 16, iface
            )
        if spb.any():  # the original length where an EPB has its interface; no timestamp
            caplen = np.where(
                spb, np.minimum(np.minimum(iface, length - 16), self._snaplen0), caplen
            )
            iface = np.where(spb, 0, iface)
        room = length - np.where(spb, 16, 32) - ((caplen + 3) & ~3)
        bad = ~framed | (trailer != length) | (room < 0) | (caplen > MAX_SNAPLEN)
        bad |= iface >= len(self._interfaces)
        error = None
        if bad.any():
            k = int(np.argmax(bad))
            error = self._packet_error(k, length, trailer, room, caplen, iface, base + int(o[k]))
            o, head, iface, caplen, spb = o[:k], head[:k], iface[:k], caplen[:k], spb[:k]
        ts = self._timestamps(head[:, 3], head[:, 4], iface, spb)
        start = o + np.where(spb, 12, EPB_HEADER_LEN)
        return Piece(data, ts, start, caplen, self._linktypes[iface]), error

    def _packet_error(
        self,
        k: int,
        length: np.ndarray,
        trailer: np.ndarray,
        room: np.ndarray,
        caplen: np.ndarray,
        iface: np.ndarray,
        offset: int,
    ) -> CaptureError:
        n = len(self._interfaces)
        problem = (
            block_length_problem(int(length[k]))
            or (
                trailer[k] != length[k]
                and f"corrupt: pcapng block length mismatch (header says "
                f"{length[k]}, trailer says {trailer[k]})"
            )
            or (
                caplen[k] > MAX_SNAPLEN
                and f"corrupt: a packet block claims {caplen[k]} captured "
                f"bytes (at most {MAX_SNAPLEN} are possible)"
            )
            or (
                room[k] < 0
                and f"corrupt: a {length[k]}-byte packet block cannot hold its "
                f"{caplen[k]} captured bytes"
            )
            or f"corrupt: a packet block names interface {iface[k]} but the section has {n}"
        )
        return self._error(problem, offset)

    def _timestamps(
        self, high: np.ndarray, low: np.ndarray, iface: np.ndarray, spb: np.ndarray
    ) -> np.ndarray:
        """Seconds of each packet from its interface's units and offset; an SPB gets the time
        of the packet before it on interface 0 (else of the packet before it at all).
        """
        ticks = (high.astype(np.uint64) << np.uint64(32)) | low.astype(np.uint64)
        one = len(iface) and iface[0] == iface.min() == iface.max()
        per_second = self._per_second[iface[0]] if one else self._per_second[iface]
        offset_s = self._offset_s[iface[0]] if one else self._offset_s[iface]
        whole = ticks // per_second
        frac = (ticks - whole * per_second).astype(np.int64)
        ts = to_seconds(whole.astype(np.int64) + offset_s, frac, per_second.astype(np.int64))
        if spb.any():
            ts[spb] = np.nan
            previous = forward_fill(ts, self._last_ts)
            on0 = np.flatnonzero(iface == 0)
            fallback = self._last_ts0 if self._last_ts0 is not None else np.nan
            filled = forward_fill(ts[on0], fallback)
            ts[on0] = np.where(np.isnan(filled), previous[on0], filled)
        if len(ts):
            on0 = np.flatnonzero(iface == 0) if not one or iface[0] else np.array([len(ts) - 1])
            if len(on0):
                self._last_ts0 = float(ts[on0[-1]])
            self._last_ts = float(ts[-1])
        return ts

    def _merge(self, data: bytes, pieces: list[Piece]) -> Piece:
        if len(pieces) == 1:
            return pieces[0]
        empty = np.zeros(0, dtype=np.int64)
        return Piece(
            data,
            np.concatenate([p.ts for p in pieces] or [np.zeros(0)]),
            np.concatenate([p.start for p in pieces] or [empty]),
            np.concatenate([p.caplen for p in pieces] or [empty]),
            np.concatenate([p.linktype for p in pieces] or [empty]),
        )

    def _error(self, reason: str, offset: int) -> CaptureError:
        return CaptureError(self.path, reason, offset)
