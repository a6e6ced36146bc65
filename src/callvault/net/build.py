"""Frame builders: the inverse of decoding, for tests, demo captures and benchmarks.

Each builder returns the bytes of one protocol unit with its payload inside; compose them
inside out: ``ethernet(ipv4(src, dst, IPPROTO_UDP, udp(5060, 5060, sip)))``. Addresses may be
text ("192.0.2.1", "2001:db8::1"), packed bytes or (IPv4) an int. ``udp_frame`` is the fast
one-call form for the common case.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from functools import lru_cache
from ipaddress import ip_address

import numpy as np

from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    PacketBatch,
)
from callvault.net.numbers import (
    ETHERTYPE_ERSPAN_2,
    ETHERTYPE_ERSPAN_3,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_QINQ,
    ETHERTYPE_VLAN,
    IPPROTO_AH,
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_IPIP,
    IPPROTO_IPV6,
    IPPROTO_ROUTING,
    IPPROTO_TCP,
    IPPROTO_UDP,
    PPP_IPV4,
    PPP_IPV6,
    TCP_ACK,
    TCP_PSH,
)

Address = str | bytes | int

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")

_IPV4_HEADER = struct.Struct("!BBHHHBBH4s4s")
_UDP_HEADER = struct.Struct("!HHHH")
_TCP_HEADER = struct.Struct("!HHIIBBHHH")


def checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum (the ones' complement of the ones' complement sum)."""
    if len(data) % 2:
        data += b"\x00"
    # 2**16 = 1 (mod 0xFFFF), so the sum of the 16-bit words is the number modulo 0xFFFF.
    total = int.from_bytes(data, "big") % 0xFFFF
    if total == 0 and any(data):
        total = 0xFFFF
    return ~total & 0xFFFF


@lru_cache(maxsize=4096)
def _packed_text(text: str) -> bytes:
    return ip_address(text).packed


def packed(address: Address) -> bytes:
    """An address as 4 or 16 packed bytes."""
    if isinstance(address, bytes):
        return address
    if isinstance(address, int):
        return address.to_bytes(4, "big")
    return _packed_text(address)


# Link layers -------------------------------------------------------------------------------


def ethernet(
    payload: bytes,
    *,
    ethertype: int = ETHERTYPE_IPV4,
    src: bytes = MAC_A,
    dst: bytes = MAC_B,
    vlans: Sequence[int] = (),
    tpids: Sequence[int] | None = None,
) -> bytes:
    """Ethernet II with VLAN tags outermost first; two tags are QinQ (802.1ad outside)."""
    if tpids is None:
        tpids = [ETHERTYPE_QINQ] * (len(vlans) - 1) + [ETHERTYPE_VLAN] if vlans else []
    tags = b"".join(
        struct.pack("!HH", tpid, vid & 0x0FFF) for tpid, vid in zip(tpids, vlans, strict=True)
    )
    return dst + src + tags + struct.pack("!H", ethertype) + payload


def linux_sll(
    payload: bytes, *, protocol: int = ETHERTYPE_IPV4, packet_type: int = 0, address: bytes = MAC_A
) -> bytes:
    """Linux "cooked" capture v1 (LINKTYPE_LINUX_SLL): 16-byte header."""
    addr = address[:8].ljust(8, b"\x00")
    return struct.pack("!HHH8sH", packet_type, 1, len(address), addr, protocol) + payload


def linux_sll2(
    payload: bytes,
    *,
    protocol: int = ETHERTYPE_IPV4,
    ifindex: int = 1,
    packet_type: int = 0,
    address: bytes = MAC_A,
) -> bytes:
    """Linux "cooked" capture v2 (LINKTYPE_LINUX_SLL2): 20-byte header."""
    addr = address[:8].ljust(8, b"\x00")
    header = struct.pack("!HHIHBB8s", protocol, 0, ifindex, 1, packet_type, len(address), addr)
    return header + payload


def null(payload: bytes, *, family: int = 2, byteorder: str = "little") -> bytes:
    """BSD loopback (LINKTYPE_NULL): address family in the capturing host's byte order."""
    return family.to_bytes(4, byteorder) + payload  # type: ignore[arg-type]


def loop(payload: bytes, *, family: int = 2) -> bytes:
    """OpenBSD loopback (LINKTYPE_LOOP): address family in network byte order."""
    return family.to_bytes(4, "big") + payload


def link(
    ip_packet: bytes, linktype: int = LINKTYPE_ETHERNET, *, vlans: Sequence[int] = ()
) -> bytes:
    """Wrap an IPv4 or IPv6 packet in the link layer ``linktype``."""
    v6 = ip_packet[:1] >= b"\x60"
    ethertype = ETHERTYPE_IPV6 if v6 else ETHERTYPE_IPV4
    if linktype == LINKTYPE_ETHERNET:
        return ethernet(ip_packet, ethertype=ethertype, vlans=vlans)
    if vlans:
        raise ValueError("VLAN tags need an Ethernet link layer")
    if linktype == LINKTYPE_LINUX_SLL:
        return linux_sll(ip_packet, protocol=ethertype)
    if linktype == LINKTYPE_LINUX_SLL2:
        return linux_sll2(ip_packet, protocol=ethertype)
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return ip_packet
    if linktype == LINKTYPE_NULL:
        return null(ip_packet, family=30 if v6 else 2)
    if linktype == LINKTYPE_LOOP:
        return loop(ip_packet, family=24 if v6 else 2)
    raise ValueError(f"no builder for link type {linktype}")


def pppoe(ip_packet: bytes, *, session: int = 1, ppp_protocol: int | None = None) -> bytes:
    """PPPoE session stage (RFC 2516) carrying PPP; goes in ethernet(ethertype=0x8864)."""
    if ppp_protocol is None:
        ppp_protocol = PPP_IPV6 if ip_packet[:1] >= b"\x60" else PPP_IPV4
    ppp = struct.pack("!H", ppp_protocol) + ip_packet
    return struct.pack("!BBHH", 0x11, 0x00, session, len(ppp)) + ppp


def mpls(payload: bytes, labels: Sequence[int], *, ttl: int = 64) -> bytes:
    """An MPLS label stack (RFC 3032), bottom-of-stack bit on the last; ethertype 0x8847."""
    entries = [
        struct.pack("!I", (label << 12) | ((i == len(labels) - 1) << 8) | ttl)
        for i, label in enumerate(labels)
    ]
    return b"".join(entries) + payload


# IP ----------------------------------------------------------------------------------------


def ipv4(
    src: Address,
    dst: Address,
    proto: int,
    payload: bytes,
    *,
    ident: int = 0,
    ttl: int = 64,
    tos: int = 0,
    df: bool = False,
    mf: bool = False,
    frag_offset: int = 0,
    options: bytes = b"",
    total_length: int | None = None,
) -> bytes:
    """An IPv4 header (RFC 791) with checksum; ``frag_offset`` in bytes (a multiple of 8)."""
    options += b"\x00" * (-len(options) % 4)
    ihl = 5 + len(options) // 4
    if total_length is None:
        total_length = ihl * 4 + len(payload)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset >> 3)
    fields = (0x40 | ihl, tos, total_length, ident, flags, ttl, proto, 0, packed(src), packed(dst))
    header = _IPV4_HEADER.pack(*fields) + options
    csum = checksum(header)
    return header[:10] + csum.to_bytes(2, "big") + header[12:] + payload


def ipv6_extension(kind: int, body: bytes = b"") -> tuple[int, bytes]:
    """A hop-by-hop, routing or destination options header, padded to 8-byte units."""
    return kind, body + b"\x00" * (-(len(body) + 2) % 8)


def ipv6_fragment_header(offset: int, more: bool, ident: int) -> tuple[int, bytes]:
    """RFC 8200 section 4.5 fragment header; ``offset`` in bytes (a multiple of 8)."""
    return IPPROTO_FRAGMENT, struct.pack("!HI", offset | int(more), ident)


def ipv6(
    src: Address,
    dst: Address,
    next_header: int,
    payload: bytes,
    *,
    extensions: Sequence[tuple[int, bytes]] = (),
    hop_limit: int = 64,
    flow_label: int = 0,
) -> bytes:
    """An IPv6 header (RFC 8200) followed by ``extensions`` as (kind, body) pairs, then payload."""
    kinds = [kind for kind, _ in extensions] + [next_header]
    chain = b""
    for (kind, body), following in zip(extensions, kinds[1:], strict=True):
        # AH counts 4-byte units less 2 (RFC 4302), the others 8-byte units less 1.
        units = (len(body) + 2) // 4 - 2 if kind == IPPROTO_AH else (len(body) + 2) // 8 - 1
        chain += struct.pack("!BB", following, max(units, 0)) + body
    if next_header == IPPROTO_UDP and IPPROTO_FRAGMENT not in kinds[:-1]:
        payload = _udp_checksummed(packed(src), packed(dst), payload)
    fixed = struct.pack(
        "!IHBB", (6 << 28) | flow_label, len(chain) + len(payload), kinds[0], hop_limit
    )
    return fixed + packed(src) + packed(dst) + chain + payload


def _udp_checksummed(src: bytes, dst: bytes, datagram: bytes) -> bytes:
    """Fill in a zero UDP checksum, which IPv6 forbids (RFC 8200 section 8.1)."""
    if len(datagram) < 8 or datagram[6:8] != b"\x00\x00":
        return datagram
    pseudo = src + dst + struct.pack("!IxxxB", len(datagram), IPPROTO_UDP)
    value = checksum(pseudo + datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", value) + datagram[8:]


def fragment_ipv4(ip_packet: bytes, mtu: int) -> list[bytes]:
    """Split an IPv4 packet into fragments of at most ``mtu`` bytes (RFC 791), in order."""
    ihl = (ip_packet[0] & 0x0F) * 4
    header, payload = ip_packet[:ihl], ip_packet[ihl:]
    step = (mtu - ihl) // 8 * 8
    if step <= 0:
        raise ValueError("MTU too small for the header")
    _, tos, _, ident, flags, ttl, proto, _, src, dst = _IPV4_HEADER.unpack_from(header)
    base_offset = (flags & 0x1FFF) * 8
    options = header[20:]
    fragments = []
    for offset in range(0, len(payload), step):
        part = payload[offset : offset + step]
        more = offset + step < len(payload) or bool(flags & 0x2000)
        fragments.append(
            ipv4(
                src,
                dst,
                proto,
                part,
                ident=ident,
                ttl=ttl,
                tos=tos,
                df=False,
                mf=more,
                frag_offset=base_offset + offset,
                options=options,
            )
        )
    return fragments


def fragment_ipv6(ip_packet: bytes, mtu: int, *, ident: int = 0x12345678) -> list[bytes]:
    """Split an IPv6 packet into fragments of at most ``mtu`` bytes (RFC 8200 section 4.5).

    Hop-by-hop and routing headers stay in every fragment (the unfragmentable part);
    everything after them is split.
    """
    src, dst, hop_limit = ip_packet[8:24], ip_packet[24:40], ip_packet[7]
    unfragmentable: list[tuple[int, bytes]] = []
    kind, offset = ip_packet[6], 40
    while kind in (IPPROTO_HOPOPTS, IPPROTO_ROUTING):
        size = (ip_packet[offset + 1] + 1) * 8
        unfragmentable.append((kind, ip_packet[offset + 2 : offset + size]))
        kind, offset = ip_packet[offset], offset + size
    rest = ip_packet[offset:]
    overhead = offset + 8
    step = (mtu - overhead) // 8 * 8
    if step <= 0:
        raise ValueError("MTU too small for the headers")
    return [
        ipv6(
            src,
            dst,
            kind,
            rest[start : start + step],
            hop_limit=hop_limit,
            extensions=[
                *unfragmentable,
                ipv6_fragment_header(start, start + step < len(rest), ident),
            ],
        )
        for start in range(0, len(rest), step)
    ]


# Transport ---------------------------------------------------------------------------------


def udp(
    sport: int, dport: int, payload: bytes, *, length: int | None = None, checksum: int = 0
) -> bytes:
    """A UDP header (RFC 768) and payload; a zero checksum means "none" over IPv4."""
    if length is None:
        length = 8 + len(payload)
    return _UDP_HEADER.pack(sport, dport, length, checksum) + payload


def tcp(
    sport: int,
    dport: int,
    seq: int,
    ack: int = 0,
    flags: int = TCP_ACK,
    payload: bytes = b"",
    *,
    window: int = 65535,
    options: bytes = b"",
) -> bytes:
    """A TCP header (RFC 793) and payload; the checksum is left zero."""
    options += b"\x01" * (-len(options) % 4)
    offset = (5 + len(options) // 4) << 4
    header = _TCP_HEADER.pack(
        sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset, flags, window, 0, 0
    )
    return header + options + payload


# Tunnels -----------------------------------------------------------------------------------


def gre(
    payload: bytes,
    protocol: int,
    *,
    checksum_present: bool = False,
    key: int | None = None,
    sequence: int | None = None,
) -> bytes:
    """A GRE header (RFC 2784, key and sequence number from RFC 2890); IP protocol 47."""
    flags = (0x8000 if checksum_present else 0) | (0x2000 if key is not None else 0)
    flags |= 0x1000 if sequence is not None else 0
    optional = b""
    if key is not None:
        optional += struct.pack("!I", key)
    if sequence is not None:
        optional += struct.pack("!I", sequence)
    if not checksum_present:
        return struct.pack("!HH", flags, protocol) + optional + payload
    unsummed = struct.pack("!HHI", flags, protocol, 0) + optional + payload
    return unsummed[:4] + struct.pack("!H", checksum(unsummed)) + unsummed[6:]


def erspan2(
    frame: bytes, *, session: int = 1, vlan: int = 0, index: int = 0, sequence: int = 0
) -> bytes:
    """GRE + ERSPAN type II header (sequence number present) + the mirrored Ethernet frame."""
    header = struct.pack("!HHI", (1 << 12) | vlan, session & 0x3FF, index & 0xFFFFF)
    return gre(header + frame, ETHERTYPE_ERSPAN_2, sequence=sequence)


def erspan3(
    frame: bytes,
    *,
    session: int = 1,
    timestamp: int = 0,
    frame_type: int = 0,
    platform: bytes | None = None,
    sequence: int = 0,
) -> bytes:
    """GRE + ERSPAN type III header (optional 8-byte platform subheader) + the mirrored frame.

    ``frame_type`` 0 is Ethernet, 2 is IP.
    """
    flags = (frame_type << 10) | (1 if platform is not None else 0)
    header = struct.pack("!HHIHH", (2 << 12), session & 0x3FF, timestamp, 0, flags)
    return gre(header + (platform or b"") + frame, ETHERTYPE_ERSPAN_3, sequence=sequence)


def vxlan(frame: bytes, vni: int = 1) -> bytes:
    """A VXLAN header (RFC 7348) and the inner Ethernet frame; goes in udp(…, 4789, …)."""
    return struct.pack("!II", 0x08 << 24, vni << 8) + frame


def ip_in_ip(outer_src: Address, outer_dst: Address, inner_packet: bytes) -> bytes:
    """An IPv4 or IPv6 packet inside an outer IP header (protocol 4 or 41, RFC 2003/4213)."""
    proto = IPPROTO_IPV6 if inner_packet[:1] >= b"\x60" else IPPROTO_IPIP
    if len(packed(outer_src)) == 16:
        return ipv6(outer_src, outer_dst, proto, inner_packet)
    return ipv4(outer_src, outer_dst, proto, inner_packet)


# WebSocket (RFC 6455 section 5.2) ----------------------------------------------------------


def websocket_frame(
    payload: bytes,
    *,
    opcode: int = 1,
    fin: bool = True,
    mask: bytes | None = None,
    rsv1: bool = False,
) -> bytes:
    """One WebSocket frame; ``mask`` (4 bytes) masks it as a client must."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    mask_bit = 0x80 if mask is not None else 0
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, mask_bit | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if mask is None:
        return header + payload
    return header + mask + _xor_mask(payload, mask)


def _xor_mask(payload: bytes, mask: bytes) -> bytes:
    data = np.frombuffer(payload, dtype=np.uint8)
    key = np.resize(np.frombuffer(mask, dtype=np.uint8), data.shape[0])
    return (data ^ key).tobytes()


def websocket_message(
    payload: bytes, *, opcode: int = 1, mask: bytes | None = None, fragment_size: int | None = None
) -> bytes:
    """A whole message as frames: the first with ``opcode``, the rest continuations."""
    size = fragment_size or max(len(payload), 1)
    parts = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    return b"".join(
        websocket_frame(part, opcode=opcode if i == 0 else 0, fin=i == len(parts) - 1, mask=mask)
        for i, part in enumerate(parts)
    )


# Convenience -------------------------------------------------------------------------------


def ip_packet(src: Address, dst: Address, proto: int, payload: bytes, **kwargs: int) -> bytes:
    """IPv4 or IPv6, whichever the addresses are."""
    if len(packed(src)) == 16:
        return ipv6(src, dst, proto, payload)
    return ipv4(src, dst, proto, payload, **kwargs)  # type: ignore[arg-type]


def udp_frame(
    src_ip: Address,
    sport: int,
    dst_ip: Address,
    dport: int,
    payload: bytes,
    *,
    vlans: Sequence[int] = (),
    linktype: int = LINKTYPE_ETHERNET,
) -> bytes:
    """One UDP datagram as a whole frame (IPv4 or IPv6 by the addresses)."""
    src, dst = packed(src_ip), packed(dst_ip)
    datagram = _UDP_HEADER.pack(sport, dport, 8 + len(payload), 0) + payload
    if len(src) == 16:
        return link(ipv6(src, dst, IPPROTO_UDP, datagram), linktype, vlans=vlans)
    header = _IPV4_HEADER.pack(0x45, 0, 20 + len(datagram), 0, 0, 64, IPPROTO_UDP, 0, src, dst)
    packet = header[:10] + checksum(header).to_bytes(2, "big") + header[12:] + datagram
    if linktype == LINKTYPE_ETHERNET and not vlans:
        return _ETHERNET_IPV4 + packet
    return link(packet, linktype, vlans=vlans)


_ETHERNET_IPV4 = MAC_B + MAC_A + struct.pack("!H", ETHERTYPE_IPV4)


def tcp_frame(
    src_ip: Address,
    sport: int,
    dst_ip: Address,
    dport: int,
    seq: int,
    payload: bytes = b"",
    *,
    ack: int = 0,
    flags: int = TCP_ACK | TCP_PSH,
    linktype: int = LINKTYPE_ETHERNET,
) -> bytes:
    """One TCP segment as a whole frame."""
    segment = tcp(sport, dport, seq, ack, flags, payload)
    return link(ip_packet(src_ip, dst_ip, IPPROTO_TCP, segment), linktype)


def packet_batch(
    frames: Iterable[bytes],
    *,
    ts: Sequence[float] | None = None,
    linktype: int | Sequence[int] = LINKTYPE_ETHERNET,
) -> PacketBatch:
    """A PacketBatch of ``frames`` back to back; timestamps default to 1 ms apart."""
    frames = list(frames)
    caplen = np.fromiter((len(f) for f in frames), dtype=np.int64, count=len(frames))
    start = np.zeros(len(frames), dtype=np.int64)
    if len(frames):
        np.cumsum(caplen[:-1], out=start[1:])
    times = (
        np.arange(len(frames), dtype=np.float64) * 0.001 + 1_700_000_000.0
        if ts is None
        else np.asarray(ts, np.float64)
    )
    types = np.broadcast_to(np.asarray(linktype, dtype=np.int64), (len(frames),)).copy()
    return PacketBatch(b"".join(frames), times, start, caplen, types)
