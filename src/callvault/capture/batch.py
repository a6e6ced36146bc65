"""PacketBatch: many captured frames in one buffer, described by NumPy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Link-layer header types (tcpdump.org/linktypes.html), as stored in pcap/pcapng headers.
LINKTYPE_NULL = 0  # BSD loopback: 4-byte address family in host byte order
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101  # raw IPv4 or IPv6, version in the first nibble
LINKTYPE_LOOP = 108  # OpenBSD loopback: 4-byte address family in network byte order
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

PREFIX_LEN = 60
"""Bytes at the start of each frame a reader may gather for the decoder (``PacketBatch.prefix``):
an untagged Ethernet header, an IPv4 header without options and a UDP header take 42, and the
first 16 bytes of the UDP payload after them (an RTP packet's fixed header and 4 more) 58."""


@dataclass(frozen=True, slots=True)
class PacketBatch:
    """Up to a few hundred thousand frames read from one capture, in capture order.

    Frame i is ``data[start[i] : start[i] + caplen[i]]``.
    """

    data: bytes
    """All frames of the batch, back to back (or with gaps: only ``start``/``caplen`` count)."""
    ts: np.ndarray
    """float64 capture time of each frame, seconds since the Unix epoch."""
    start: np.ndarray
    """int64 offset of each frame in ``data``."""
    caplen: np.ndarray
    """int64 captured length of each frame (may be less than on the wire)."""
    linktype: np.ndarray
    """int64 link-layer header type (LINKTYPE_*) of each frame."""
    prefix: np.ndarray | None = None
    """None, or a (frames, PREFIX_LEN) uint8 array whose row i holds the first bytes of frame i
    (past the end of a shorter frame: any bytes). The pcap reader gathers them with the record
    headers, in the one pass it makes over the batch's records, so that the decoder reads a
    common frame's headers without a second gather over the whole batch."""

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def frame(self, i: int) -> bytes:
        s = int(self.start[i])
        return self.data[s : s + int(self.caplen[i])]
