"""The classic libpcap file format (tcpdump.org/manpages/pcap-savefile.5.html,
draft-ietf-opsawg-pcap): a 24-byte file header, then records of a 16-byte header and the frame.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass

import numpy as np

from callvault.capture.arrays import (
    FIRST_PROBE,
    Parsed,
    Piece,
    headers,
    prefixes,
    same_key_run,
    to_seconds,
)
from callvault.capture.batch import PREFIX_LEN
from callvault.errors import CaptureError

MAGIC_MICRO = 0xA1B2C3D4
"""Timestamps in seconds and microseconds."""
MAGIC_NANO = 0xA1B23C4D
"""Timestamps in seconds and nanoseconds."""
MAGIC_MODIFIED = 0xA1B2CD34
"""Alexey Kuznetzov's patched libpcap: 24-byte record headers (not read here)."""
FILE_HEADER_LEN = 24
RECORD_HEADER_LEN = 16
MAX_SNAPLEN = 262144
"""libpcap's MAXIMUM_SNAPLEN: a record claiming more is corrupt."""
MIN_STREAK, MAX_STREAK, LONG_RUN = 8, 1024, 64
"""Blocks of one length seen in a row before the pcapng reader looks for a run of them with
NumPy (doubling up to MAX_STREAK after each run shorter than LONG_RUN)."""
LINKTYPE_MASK = 0x03FFFFFF
"""The link type proper; bits above it announce an FCS length (draft-ietf-opsawg-pcap 4)."""


@dataclass(frozen=True, slots=True)
class PcapHeader:
    """The 24-byte pcap file header."""

    byte_order: str
    """"<" or ">": how the file's integers are stored."""
    per_second: int
    """Timestamp fractions per second: 1,000,000 or 1,000,000,000."""
    version: tuple[int, int]
    snaplen: int
    linktype: int

    @classmethod
    def parse(cls, path: str, head: bytes) -> PcapHeader:
        """The header at the start of ``head`` (which starts with a pcap magic)."""
        if len(head) < FILE_HEADER_LEN:
            raise CaptureError(
                path,
                "truncated: the capture ends inside the pcap file header "
                f"({len(head)} of {FILE_HEADER_LEN} bytes)",
                0,
            )
        order = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        magic, major, minor, _, _, snaplen, linktype = struct.unpack_from(order + "IHHiIII", head)
        if major != 2:
            raise CaptureError(path, f"unsupported pcap version {major}.{minor}", 4)
        per_second = 1_000_000_000 if magic == MAGIC_NANO else 1_000_000
        return cls(order, per_second, (major, minor), snaplen, linktype & LINKTYPE_MASK)


def is_pcap(head: bytes) -> bool:
    """Whether ``head`` starts with a pcap magic (microseconds or nanoseconds, either order)."""
    return head[:4] in (
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\x3c\x4d",
    )


ALL_LANES = (0, 1, 2, 3)
"""The bytes of a caplen field."""


def low_lane(byte_order: str) -> tuple[int]:
    """The caplen byte that tells most record lengths apart: the least significant one."""
    return (0,) if byte_order == "<" else (3,)


def walk(
    data: bytes,
    pos: int,
    limit: int,
    caplen_at: struct.Struct,
    lanes: tuple[int, ...] = ALL_LANES,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Offsets and lengths (header included) of up to ``limit`` whole records from ``pos``
    on, and the offset after them.

    The hot loop of the pure-Python reader: one unpack per record; where a record has the
    length of the one before it, or of the last run (a call center's runs of G.711 RTP
    packets are broken by single SIP or RTCP records), the run of equal records from it on is
    measured at C speed (a strided slice of the caplen byte, or ``same_key_run``) and kept
    as (count, length), expanded once at the end. Runs compare only the caplen bytes
    ``lanes``: with fewer than all four, a record in a run may have another length than the
    one returned, and the caller checks (``chained``).
    """
    first = pos
    counts, lengths = array("q"), array("q")
    unpack = caplen_at.unpack_from
    end = len(data)
    last = hot = -1
    count = 0
    low = 8 + lanes[0] if len(lanes) == 1 else 0
    add_count, add_length = counts.append, lengths.append
    try:
        while count < limit:
            caplen = unpack(data, pos + 8)[0]
            size = RECORD_HEADER_LEN + caplen
            run = 1
            if caplen in (last, hot):
                todo = (end - pos) // size
                if todo > limit - count:
                    todo = limit - count
                if todo > 1:
                    if low:
                        # byte_run, inlined (a call per run is a fifth of the walk): the
                        # low caplen byte of every record of the run taken with one strided
                        # slice, probes growing from FIRST_PROBE records
                        at = pos + low
                        byte = data[at : at + 1]
                        run, probe = 0, FIRST_PROBE
                        while True:
                            k = probe if probe < todo else todo
                            found = k - len(data[at : at + (k - 1) * size + 1 : size].lstrip(byte))
                            run += found
                            if found < k or k == todo:
                                break
                            at += k * size
                            todo -= k
                            probe *= 4
                    else:
                        run = same_key_run(data, pos, size, todo, data[pos + 8 : pos + 12], 8)
                    if run > 1:
                        hot = caplen
            add_count(run)
            add_length(size)
            pos += run * size
            count += run
            last = caplen
    except struct.error:
        pass
    if pos > end:  # the last record runs past the data: it is not whole
        counts.pop()
        pos -= lengths.pop()
    size_of = np.repeat(np.frombuffer(lengths, dtype=np.int64), np.frombuffer(counts, np.int64))
    offsets = np.cumsum(size_of)
    offsets += first
    offsets -= size_of
    return offsets, size_of, pos


def chained(lengths: np.ndarray, caplen: np.ndarray) -> bool:
    """Whether the records' caplen fields agree with the ``lengths`` ``walk`` returned."""
    return bool((caplen == lengths - RECORD_HEADER_LEN).all())


class PcapParser:
    """Finds the records in windows of a pcap file's bytes."""

    record_estimate = 256
    """Bytes per record assumed until the file shows its own."""

    def __init__(self, path: str, header: PcapHeader) -> None:
        self.path = path
        self.header = header
        self._caplen_at = struct.Struct(header.byte_order + "I")
        self._lanes: tuple[int, ...] = low_lane(header.byte_order)
        """The caplen bytes runs compare: the low one, until a window shows records whose
        lengths differ only above it next to each other (then all four, for good)."""

    def parse(self, data: bytes, base: int, limit: int) -> Parsed:
        """Up to ``limit`` records of ``data`` (the capture from byte ``base``).

        Returns the records, the bytes of ``data`` they use, an error found right after them
        and, if a record runs past ``data``, how many bytes it needs.
        """
        offsets, lengths, end = walk(data, 0, limit, self._caplen_at, self._lanes)
        head = self._headers(data, offsets)
        if self._lanes != ALL_LANES and not chained(lengths, head[:, 2]):
            self._lanes = ALL_LANES  # lengths that share a low byte sit side by side here
            offsets, lengths, end = walk(data, 0, limit, self._caplen_at)
            head = self._headers(data, offsets)
        piece = self._piece(data, offsets, lengths, head)
        too_long = np.flatnonzero(piece.caplen > MAX_SNAPLEN)
        if len(too_long):
            cut = too_long[0]
            piece = self._piece(data, offsets[:cut], lengths[:cut], head[:cut])
            end = int(offsets[too_long[0]])
        need = self._record_len(data, end)
        if need > RECORD_HEADER_LEN + MAX_SNAPLEN:
            return piece, end, self._too_long(base + end, need - RECORD_HEADER_LEN), 0
        return piece, end, None, need if end < len(data) else 0

    def truncated(self, tail: bytes, offset: int) -> CaptureError:
        """The capture ends with ``tail``, an incomplete record."""
        need = self._record_len(tail, 0)
        what = "packet record header" if need == RECORD_HEADER_LEN else "packet record"
        return CaptureError(
            self.path,
            f"truncated: the capture ends inside a {what} ({len(tail)} of {need} bytes)",
            offset,
        )

    def _record_len(self, data: bytes, pos: int) -> int:
        if len(data) - pos < RECORD_HEADER_LEN:
            return RECORD_HEADER_LEN
        return RECORD_HEADER_LEN + int(self._caplen_at.unpack_from(data, pos + 8)[0])

    def _too_long(self, offset: int, caplen: int) -> CaptureError:
        return CaptureError(
            self.path,
            f"corrupt: a packet record claims {caplen} captured bytes "
            f"(at most {MAX_SNAPLEN} are possible)",
            offset,
        )

    def _headers(self, data: bytes, offsets: np.ndarray) -> np.ndarray:
        """The records' headers as rows of uint32, each with the frame's first PREFIX_LEN bytes
        after it: one gather serves the reader and the decoder (it costs the same as the
        headers alone)."""
        return headers(data, offsets, RECORD_HEADER_LEN + PREFIX_LEN, self.header.byte_order)

    def _piece(
        self, data: bytes, offsets: np.ndarray, lengths: np.ndarray, head: np.ndarray
    ) -> Piece:
        """The records at ``offsets``, of ``lengths`` as ``walk`` found them (the chain: their
        caplen fields say the same, checked), with their headers ``head``."""
        return Piece(
            data=data,
            ts=to_seconds(head[:, 0], head[:, 1], self.header.per_second),
            start=offsets + RECORD_HEADER_LEN,
            caplen=lengths - RECORD_HEADER_LEN,
            linktype=np.full(len(offsets), self.header.linktype, dtype=np.int64),
            prefix=prefixes(head, RECORD_HEADER_LEN),
        )
