"""The vectorised common case: unfragmented IPv4/UDP frames decoded for a whole batch at once.

Every header field is read with one NumPy gather over the batch's bytes (unaligned big-endian
views with a stride of one byte), so no Python runs per packet. A frame the fast path does not
fully understand is left to the per-packet slow path, which decodes it (or counts why not) the
same way; tests hold the two to identical output.
"""

from __future__ import annotations

import numpy as np

from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    PacketBatch,
)
from callvault.net.datagram import DatagramBatch

ETHERTYPE_IPV4 = 0x0800
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
"""IEEE 802.1Q C-tag, IEEE 802.1ad S-tag, and the pre-standard QinQ tag."""
VXLAN_PORT = 4789
"""RFC 7348: VXLAN rides on UDP to this port; the slow path looks inside."""
AF_INET = 2
"""Address family of IPv4 in the NULL/LOOP link header, on every BSD and Linux."""


class _Views:
    """Big-endian unsigned views of a bytes object at every byte offset."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 8:
            data = data + bytes(8 - len(data))
        self.u8 = np.frombuffer(data, dtype=np.uint8)
        self.u16 = np.ndarray((len(data) - 1,), dtype=">u2", buffer=data, strides=(1,))
        self.u32 = np.ndarray((len(data) - 3,), dtype=">u4", buffer=data, strides=(1,))
        self.u64 = np.ndarray((len(data) - 7,), dtype=">u8", buffer=data, strides=(1,))

    @staticmethod
    def _at(view: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        # Offsets past the end come from frames too short for the field; their result is
        # masked out by the caller's length checks, so clipping only has to keep them in range.
        last = view.shape[0] - 1
        if offsets.shape[0] and int(offsets.max()) > last:
            offsets = np.minimum(offsets, last)
        return view[offsets]

    def u8_at(self, offsets: np.ndarray) -> np.ndarray:
        return self._at(self.u8, offsets)

    def u16_at(self, offsets: np.ndarray) -> np.ndarray:
        return self._at(self.u16, offsets)

    def u32_at(self, offsets: np.ndarray) -> np.ndarray:
        return self._at(self.u32, offsets)

    def u64_at(self, offsets: np.ndarray) -> np.ndarray:
        return self._at(self.u64, offsets)


def _ethernet(views: _Views, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offset of the network header, ethertype) after up to two VLAN tags."""
    ethertype = views.u16_at(start + 12).astype(np.int64)
    offset = np.full(start.shape, 14, dtype=np.int64)
    for _ in range(2):
        tagged = np.flatnonzero(
            (ethertype == VLAN_TPIDS[0])
            | (ethertype == VLAN_TPIDS[1])
            | (ethertype == VLAN_TPIDS[2])
        )
        if tagged.size == 0:
            break
        offset[tagged] += 4
        ethertype[tagged] = views.u16_at(start[tagged] + offset[tagged] - 2)
    return offset, ethertype == ETHERTYPE_IPV4


def _link(views: _Views, start: np.ndarray, linktype: int) -> tuple[np.ndarray, np.ndarray]:
    """(offset of the IPv4 header, mask of frames whose link header announces IPv4)."""
    if linktype == LINKTYPE_ETHERNET:
        return _ethernet(views, start)
    n = start.shape[0]
    if linktype == LINKTYPE_LINUX_SLL:
        return np.full(n, 16, np.int64), views.u16_at(start + 14) == ETHERTYPE_IPV4
    if linktype == LINKTYPE_LINUX_SLL2:
        return np.full(n, 20, np.int64), views.u16_at(start) == ETHERTYPE_IPV4
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4):
        return np.zeros(n, np.int64), np.ones(n, dtype=bool)
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        family = views.u32_at(start)
        # NULL stores the family in the capturing host's byte order: accept both.
        return np.full(n, 4, np.int64), (family == AF_INET) | (family == AF_INET << 24)
    return np.zeros(n, np.int64), np.zeros(n, dtype=bool)


def _link_all(views: _Views, batch: PacketBatch) -> tuple[np.ndarray, np.ndarray]:
    linktype = batch.linktype
    first = int(linktype[0])
    if bool((linktype == first).all()):
        return _link(views, batch.start, first)
    offset = np.zeros(len(batch), np.int64)
    is_ip = np.zeros(len(batch), dtype=bool)
    for value in np.unique(linktype).tolist():
        rows = np.flatnonzero(linktype == value)
        offset[rows], is_ip[rows] = _link(views, batch.start[rows], value)
    return offset, is_ip


def decode_udp(batch: PacketBatch) -> tuple[np.ndarray, DatagramBatch]:
    """Decode the frames that are plain IPv4/UDP; return (mask of those frames, their datagrams).

    A frame qualifies when its link header announces IPv4 (Ethernet with at most two VLAN
    tags, Linux SLL/SLL2, raw IPv4, NULL/LOOP), the IPv4 header is well formed and not a
    fragment (MF=0, offset 0), the protocol is UDP with 8 <= length <= the IP payload length,
    the destination port is not VXLAN's, and the capture holds both headers. The payload is
    bounded by the UDP length and by the captured length, and stays in ``batch.data``.
    """
    n = len(batch)
    if n == 0:
        return np.zeros(0, dtype=bool), DatagramBatch.empty()
    views = _Views(batch.data)
    start = batch.start
    frame_end = np.minimum(start + batch.caplen, len(batch.data))
    l3_offset, ok = _link_all(views, batch)
    ip = start + l3_offset

    head = views.u64_at(ip)  # version/IHL, TOS, total length, identification, flags/offset
    ihl = ((head >> np.uint64(56)) & np.uint64(0x0F)).astype(np.int64) * 4
    total_length = ((head >> np.uint64(32)) & np.uint64(0xFFFF)).astype(np.int64)
    ok &= (head >> np.uint64(60)) == 4
    ok &= (head & np.uint64(0x3FFF)) == 0  # neither MF nor a fragment offset
    ok &= ihl >= 20
    ok &= views.u8_at(ip + 9) == 17
    addresses = views.u64_at(ip + 12)  # source and destination address

    udp = ip + ihl
    udp_head = views.u64_at(udp)  # source port, destination port, length, checksum
    udp_length = ((udp_head >> np.uint64(16)) & np.uint64(0xFFFF)).astype(np.int64)
    dport = ((udp_head >> np.uint64(32)) & np.uint64(0xFFFF)).astype(np.int64)
    ok &= udp_length >= 8
    ok &= udp_length <= total_length - ihl
    ok &= udp + 8 <= frame_end
    ok &= dport != VXLAN_PORT

    rows = None if bool(ok.all()) else np.flatnonzero(ok)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    payload = pick(udp) + 8
    length = np.minimum(pick(udp_length) - 8, pick(frame_end) - payload)
    sport = (pick(udp_head) >> np.uint64(48)).astype(np.int64)
    datagrams = DatagramBatch(
        data=batch.data,
        ts=pick(batch.ts),
        start=payload,
        length=length,
        src=pick(addresses) >> np.uint64(32),
        dst=pick(addresses) & np.uint64(0xFFFFFFFF),
        sport=sport,
        dport=pick(dport),
    )
    return ok, datagrams
