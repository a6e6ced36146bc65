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
from callvault.net.numbers import AF_INET, ETHERTYPE_IPV4, IPPROTO_UDP, VLAN_TPIDS, VXLAN_PORT

_IPV4_UDP = np.dtype(
    {
        "names": ["version_ihl", "total_length", "flags_offset", "protocol", "src", "dst",
                  "sport", "dport", "udp_length"],
        "formats": ["u1", ">u2", ">u2", "u1", ">u4", ">u4", ">u2", ">u2", ">u2"],
        "offsets": [0, 2, 6, 9, 12, 16, 20, 22, 24],
        "itemsize": 28,
    }
)  # fmt: skip
"""An IPv4 header without options (RFC 791) followed by a UDP header (RFC 768)."""
_UDP = np.dtype({"names": ["sport", "dport", "udp_length"], "formats": [">u2"] * 3, "itemsize": 8})
_ETHERNET_IPV4_UDP = np.dtype(
    {
        "names": ["ethertype", *_IPV4_UDP.names],
        "formats": [">u2", *(_IPV4_UDP.fields[name][0] for name in _IPV4_UDP.names)],
        "offsets": [12, *(14 + _IPV4_UDP.fields[name][1] for name in _IPV4_UDP.names)],
        "itemsize": 14 + _IPV4_UDP.itemsize,
    }
)
"""An untagged Ethernet header's EtherType with the IPv4/UDP record after it: the common
frame's three gathers (two bytes of EtherType, then the record) made one."""


class _Views:
    """Views of a bytes object with an item starting at every byte offset, for gathers.

    Gathering a whole 28-byte header record per frame in one go and reading its fields
    afterwards costs about as much as gathering a single unaligned integer.
    """

    def __init__(self, data: bytes) -> None:
        if len(data) < _IPV4_UDP.itemsize:
            data = data + bytes(_IPV4_UDP.itemsize - len(data))
        self.u8 = np.frombuffer(data, dtype=np.uint8)
        self.ipv4_udp = np.ndarray((len(data) - 27,), dtype="V28", buffer=data, strides=(1,))
        self.udp = np.ndarray((len(data) - 7,), dtype="V8", buffer=data, strides=(1,))
        self.plain = (
            np.ndarray((len(data) - 41,), dtype="V32", buffer=data, offset=10, strides=(1,))
            if len(data) >= 42
            else None
        )
        size = _ETHERNET_IPV4_UDP.itemsize
        self.ethernet_ipv4_udp = (
            np.ndarray((len(data) - size + 1,), dtype=f"V{size}", buffer=data, strides=(1,))
            if len(data) >= size
            else None
        )

    @staticmethod
    def _at(view: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        # Offsets past the end come from frames too short for the field; their result is
        # masked out by the caller's length checks, so clipping only has to keep them in range.
        last = view.shape[0] - 1
        if offsets.shape[0] and int(offsets.max()) > last:
            offsets = np.minimum(offsets, last)
        return view[offsets]

    def u16_at(self, offsets: np.ndarray) -> np.ndarray:
        # Two byte gathers beat one unaligned 16-bit gather by 3x.
        high = self._at(self.u8, offsets).astype(np.int64)
        return (high << 8) | self._at(self.u8, offsets + 1)

    def u32_at(self, offsets: np.ndarray) -> np.ndarray:
        return (self.u16_at(offsets) << 16) | self.u16_at(offsets + 2)

    def ipv4_udp_at(self, offsets: np.ndarray) -> np.ndarray:
        return self._at(self.ipv4_udp, offsets).view(_IPV4_UDP)

    def udp_at(self, offsets: np.ndarray) -> np.ndarray:
        return self._at(self.udp, offsets).view(_UDP)

    def plain_at(self, start: np.ndarray) -> np.ndarray:
        """Bytes 10 to 41 of each frame as four rows of native uint64, word i of every frame
        in row i (contiguous, so the arithmetic on a word runs at full speed; see
        ``_plain_ethernet``)."""
        assert self.plain is not None
        words = self._at(self.plain, start).view(">u8").reshape(-1, 4)
        return words.T.astype(np.uint64, order="C")

    def ethernet_ipv4_udp_at(self, offsets: np.ndarray) -> np.ndarray:
        assert self.ethernet_ipv4_udp is not None
        return self._at(self.ethernet_ipv4_udp, offsets).view(_ETHERNET_IPV4_UDP)


def _ethernet(views: _Views, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offset of the network header, ethertype) after up to two VLAN tags."""
    ethertype = views.u16_at(start + 12)
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


def _ethernet_headers(
    views: _Views, start: np.ndarray
) -> tuple[np.ndarray | int, np.ndarray, np.ndarray]:
    """``_ethernet`` and the IPv4/UDP records after it, for Ethernet frames, in one gather
    where a frame is untagged (the usual case) and as ``_ethernet`` does it where it is not;
    the network header's offset is a plain 14 where every frame is untagged IPv4.

    An offset past the end is clipped as ``_at`` clips it, so each record holds the bytes the
    separate gathers would read wherever the frame is long enough for them to be used.
    """
    headers = views.ethernet_ipv4_udp_at(start)
    ethertype = np.ascontiguousarray(headers["ethertype"])
    is_ipv4 = ethertype == ETHERTYPE_IPV4
    if bool(is_ipv4.all()):
        return 14, is_ipv4, headers
    other = np.flatnonzero(~is_ipv4)
    kind = ethertype[other]
    tagged = other[(kind == VLAN_TPIDS[0]) | (kind == VLAN_TPIDS[1]) | (kind == VLAN_TPIDS[2])]
    offset = np.full(start.shape, 14, dtype=np.int64)
    if tagged.size:
        offset[tagged], is_ipv4[tagged] = _ethernet(views, start[tagged])
        headers[tagged] = views.ethernet_ipv4_udp_at(start[tagged] + offset[tagged] - 14)
    return offset, is_ipv4, headers


def _int64(field: np.ndarray) -> np.ndarray:
    """A header field of every record as int64: copied out of the records first, as the
    conversion from a big-endian field strided across records is twice as slow."""
    return np.ascontiguousarray(field).astype(np.int64)


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


def _all_ethernet(linktype: np.ndarray) -> bool:
    return int(linktype[0]) == LINKTYPE_ETHERNET and bool((linktype == LINKTYPE_ETHERNET).all())


_TYPE_VERSION_IHL = np.uint64(0x0000_FFFF_FF00_0000)
"""Word 0 of ``_plain_ethernet``: the EtherType and the IPv4 version and header length..."""
_IPV4_NO_OPTIONS = np.uint64(ETHERTYPE_IPV4 << 32 | 0x45 << 24)
"""...as in an IPv4 packet (untagged) with a 20-byte header."""
_FRAGMENT_PROTOCOL = np.uint64(0x0000_3FFF_00FF_0000)
"""Word 1: the fragment bits and offset, and the protocol..."""
_UDP_NOT_FRAGMENT = np.uint64(IPPROTO_UDP << 16)
"""...as in a UDP datagram that is not a fragment (MF clear, offset 0)."""


def _plain_ethernet(views: _Views, batch: PacketBatch) -> tuple[np.ndarray, DatagramBatch] | None:
    """``decode_udp`` for a batch of Ethernet frames none of which is VLAN-tagged or IPv4
    with options (None for any other batch): the common capture, in a fifth fewer
    instructions than the general path (fewer, contiguous NumPy steps).

    Bytes 10 to 41 of every frame are gathered as four big-endian words, whose fields cover
    the Ethernet type and the IPv4 and UDP headers: word 0 holds the EtherType, version and
    header length, and total length; word 1 the fragment field and protocol; word 2 the
    addresses; word 3 the ports and UDP length. A frame too short for them is not taken
    (its UDP header would not be whole), so what is read past it does not matter.
    """
    start = batch.start
    words = views.plain_at(start) if batch.prefix is None else _plain_words(batch.prefix)
    head, frag, addresses, udp = words[:4]
    ok = (head & _TYPE_VERSION_IHL) == _IPV4_NO_OPTIONS
    if not bool(ok.all()):
        ethertype = head >> np.uint64(32) & np.uint64(0xFFFF)
        ipv4 = ethertype == ETHERTYPE_IPV4
        if bool((ipv4 & ~ok).any()):  # some IPv4 header has options
            return None
        if bool(np.isin(ethertype[~ipv4], VLAN_TPIDS).any()):
            return None
    frame_end = start + batch.caplen
    if int(frame_end.max()) > len(batch.data):
        frame_end = np.minimum(frame_end, len(batch.data))
    udp_length = (udp >> np.uint64(16) & np.uint64(0xFFFF)).view(np.int64)
    dport = (udp >> np.uint64(32) & np.uint64(0xFFFF)).view(np.int64)
    ok &= (frag & _FRAGMENT_PROTOCOL) == _UDP_NOT_FRAGMENT
    ok &= udp_length >= 8
    ok &= udp_length <= (head & np.uint64(0xFFFF)).view(np.int64) - 20
    payload = start + 42
    ok &= payload <= frame_end
    ok &= dport != VXLAN_PORT
    rows = None if bool(ok.all()) else np.flatnonzero(ok)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    picked = pick(payload)
    return ok, DatagramBatch(
        data=batch.data,
        ts=pick(batch.ts),
        start=picked,
        length=np.minimum(pick(udp_length) - 8, pick(frame_end) - picked),
        src=pick(addresses) >> np.uint64(32),
        dst=pick(addresses) & np.uint64(0xFFFF_FFFF),
        sport=(pick(udp) >> np.uint64(48)).view(np.int64),
        dport=pick(dport),
        lead=None if words.shape[0] == 4 else words[4:] if rows is None else words[4:, rows],
    )


def _plain_words(prefix: np.ndarray) -> np.ndarray:
    """``_Views.plain_at`` from the frames' first bytes the reader gathered
    (``PacketBatch.prefix``), with two words more: bytes 42 to 57, the start of the UDP
    payload (``DatagramBatch.lead``). No gather over the batch's bytes."""
    return prefix[:, 10:58].view(">u8").T.astype(np.uint64, order="C")


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
    if views.plain is not None and _all_ethernet(batch.linktype):
        decoded = _plain_ethernet(views, batch)
        if decoded is not None:
            return decoded
    start = batch.start
    frame_end = np.minimum(start + batch.caplen, len(batch.data))
    if views.ethernet_ipv4_udp is not None and _all_ethernet(batch.linktype):
        l3_offset, ok, headers = _ethernet_headers(views, start)
        ip = start + l3_offset
    else:
        l3_offset, ok = _link_all(views, batch)
        ip = start + l3_offset
        headers = views.ipv4_udp_at(ip)
    version_ihl = np.ascontiguousarray(headers["version_ihl"])
    ihl: np.ndarray | int = 20
    if not bool((version_ihl == 0x45).all()):  # not every header is 20 bytes of IPv4
        ihl = (version_ihl & 0x0F).astype(np.int64) * 4
        ok &= (version_ihl >> 4) == 4
        ok &= ihl >= 20
    ok &= (_int64(headers["flags_offset"]) & 0x3FFF) == 0  # neither MF nor a fragment offset
    ok &= np.ascontiguousarray(headers["protocol"]) == IPPROTO_UDP
    sport = _int64(headers["sport"])
    dport = _int64(headers["dport"])
    udp_length = _int64(headers["udp_length"])
    if not isinstance(ihl, int):
        with_options = np.flatnonzero(ok & (ihl > 20))
        if with_options.size:  # the UDP header is further on than the record assumed
            moved = views.udp_at(ip[with_options] + ihl[with_options])
            sport[with_options] = moved["sport"]
            dport[with_options] = moved["dport"]
            udp_length[with_options] = moved["udp_length"]

    udp = ip + ihl
    ok &= udp_length >= 8
    ok &= udp_length <= _int64(headers["total_length"]) - ihl
    ok &= udp + 8 <= frame_end
    ok &= dport != VXLAN_PORT

    rows = None if bool(ok.all()) else np.flatnonzero(ok)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    payload = pick(udp) + 8
    datagrams = DatagramBatch(
        data=batch.data,
        ts=pick(batch.ts),
        start=payload,
        length=np.minimum(pick(udp_length) - 8, pick(frame_end) - payload),
        src=np.ascontiguousarray(pick(headers["src"])).astype(np.uint64),
        dst=np.ascontiguousarray(pick(headers["dst"])).astype(np.uint64),
        sport=pick(sport),
        dport=pick(dport),
    )
    return ok, datagrams
