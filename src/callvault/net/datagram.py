"""What the network layer hands up: UDP datagrams in bulk, and in-order stream data."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

IPV6_ID_BASE = 1 << 32
"""Address ids below this are IPv4 addresses as integers; IPv6 addresses get ids from here up."""


@lru_cache(maxsize=65536)
def _packed(text: str) -> bytes:
    return ipaddress.ip_address(text.strip("[]")).packed


class AddressTable:
    """Maps IP addresses to compact integer ids usable in NumPy arrays, and back.

    An IPv4 address's id is its 32-bit value, so the vectorised path needs no lookup;
    IPv6 addresses are numbered in order of appearance from IPV6_ID_BASE.
    """

    def __init__(self) -> None:
        self._v6_ids: dict[bytes, int] = {}
        self._v6_addrs: list[bytes] = []

    def id_of(self, packed: bytes) -> int:
        """Id of a packed address (4 or 16 bytes)."""
        if len(packed) == 4:
            return int.from_bytes(packed, "big")
        if packed[:12] == b"\x00" * 10 + b"\xff\xff":
            return int.from_bytes(packed[12:], "big")
        found = self._v6_ids.get(packed)
        if found is None:
            found = IPV6_ID_BASE + len(self._v6_addrs)
            self._v6_ids[packed] = found
            self._v6_addrs.append(packed)
        return found

    def id_of_text(self, text: str) -> int:
        """Id of an address written as text; raises ValueError for a non-address."""
        return self.id_of(_packed(text))

    def text(self, address_id: int) -> str:
        """The address as text (IPv6 compressed, no brackets)."""
        if address_id < IPV6_ID_BASE:
            return str(ipaddress.IPv4Address(address_id))
        return str(ipaddress.IPv6Address(self._v6_addrs[address_id - IPV6_ID_BASE]))


@dataclass(slots=True)
class DatagramBatch:
    """UDP payloads of one packet batch, in capture order; datagram i is
    ``data[start[i] : start[i] + length[i]]`` sent from ``src:sport`` to ``dst:dport``.
    """

    data: bytes
    ts: np.ndarray
    """float64 seconds since the Unix epoch."""
    start: np.ndarray
    """int64 offset of the payload in ``data``."""
    length: np.ndarray
    """int64 payload length."""
    src: np.ndarray
    """uint64 address id (AddressTable) of the sender."""
    dst: np.ndarray
    """uint64 address id of the receiver."""
    sport: np.ndarray
    """int64 UDP source port."""
    dport: np.ndarray
    """int64 UDP destination port."""
    lead: np.ndarray | None = None
    """None, or a (2, datagrams) uint64 array: the first 16 bytes of each payload as two
    big-endian words (past the end of a shorter payload: any bytes). The decoder hands them
    over where the reader's frame prefixes held them for every datagram, so that telling
    RTP from SIP and reading RTP headers need no gather over the batch's bytes."""

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def payload(self, i: int) -> bytes:
        s = int(self.start[i])
        return self.data[s : s + int(self.length[i])]

    @classmethod
    def empty(cls) -> DatagramBatch:
        i64 = np.zeros(0, dtype=np.int64)
        u64 = np.zeros(0, dtype=np.uint64)
        return cls(b"", np.zeros(0, dtype=np.float64), i64, i64, u64, u64, i64, i64)


@dataclass(frozen=True, slots=True)
class StreamData:
    """In-order bytes of one direction of a TCP connection (or one WebSocket message).

    ``transport`` is "tcp", "ws" (one whole WebSocket text/binary message in ``data``)
    or "tls" (encrypted: only counted, never parsed).
    """

    ts: float
    src: int
    sport: int
    dst: int
    dport: int
    data: bytes
    transport: str
    gap_before: bool = False
    """Bytes are missing between the previous chunk of this direction and this one."""


@dataclass(slots=True)
class NetCounters:
    """Packets the network layer did not hand up, by reason (shown in the ingest summary)."""

    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n
