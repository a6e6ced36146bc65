"""The per-packet path: every frame the vectorised path leaves, decoded defensively.

Frames are read in place in the batch's bytes (offsets, no copies) so that a datagram that
needed no reassembly can point into ``batch.data`` just as the fast path's do.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from callvault.errors import ParseError, Truncated
from callvault.net import link, reasons, tunnels
from callvault.net.datagram import AddressTable, NetCounters, StreamData
from callvault.net.fragments import FragmentReassembler
from callvault.net.ip import IpPacket, extension_headers, parse_ipv4, parse_ipv6
from callvault.net.numbers import (
    ETHERTYPE_TEB,
    IPPROTO_GRE,
    IPPROTO_IPIP,
    IPPROTO_IPV6,
    IPPROTO_TCP,
    IPPROTO_UDP,
    VXLAN_PORT,
)
from callvault.net.reasons import Skipped
from callvault.net.tcp import TcpReassembler

MAX_DEPTH = 4
"""Tunnels inside tunnels deeper than this are not followed."""

_UDP = struct.Struct("!HHH")
_TCP = struct.Struct("!HHIIBB")


@dataclass(slots=True)
class SlowDatagrams:
    """Datagrams found by the slow path, as columns; ``owned`` payloads live outside the batch."""

    index: list[int] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)
    src: list[int] = field(default_factory=list)
    dst: list[int] = field(default_factory=list)
    sport: list[int] = field(default_factory=list)
    dport: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    """Offset in the batch's bytes, or -1 - i for ``owned[i]``."""
    length: list[int] = field(default_factory=list)
    owned: list[bytes] = field(default_factory=list)


class SlowPath:
    """Decodes one frame at a time into datagrams and TCP segments."""

    def __init__(
        self,
        addresses: AddressTable,
        counters: NetCounters,
        fragments: FragmentReassembler,
        tcp: TcpReassembler,
    ) -> None:
        self._addresses = addresses
        self._counters = counters
        self._fragments = fragments
        self._tcp = tcp
        self._batch_data = b""
        self._ts = 0.0
        self._index = 0
        self.datagrams = SlowDatagrams()
        self.streams: list[StreamData] = []

    def begin(self, batch_data: bytes) -> None:
        """Start collecting the output of a new batch."""
        self._batch_data = batch_data
        self.datagrams = SlowDatagrams()
        self.streams = []

    def frame(self, index: int, ts: float, start: int, end: int, linktype: int) -> None:
        """Decode frame ``index`` of the batch; count it if it yields nothing."""
        self._ts, self._index = ts, index
        try:
            version, off, end = link.network_layer(self._batch_data, start, end, linktype)
            self._ip(self._batch_data, off, end, version, 0)
        except (ParseError, Skipped) as exc:
            self._counters.skip(str(exc))
        except Exception:  # defensive: a bad packet must never stop a capture
            self._counters.skip(reasons.DECODER_ERROR)

    def _ip(self, data: bytes, off: int, end: int, version: int, depth: int) -> None:
        if version == 4:
            packet = parse_ipv4(data, off, end)
        elif version == 6:
            packet = parse_ipv6(data, off, end)
        else:
            raise ParseError(reasons.IP_VERSION)
        if packet.fragment is not None:
            self._fragment(data, packet, depth)
            return
        src, dst = self._address_ids(packet)
        self._transport(
            data, packet.payload, packet.end, packet.captured_end, packet.proto, src, dst, depth
        )

    def _address_ids(self, packet: IpPacket) -> tuple[int, int]:
        if isinstance(packet.src, int):
            return packet.src, packet.dst  # type: ignore[return-value]
        return self._addresses.id_of(packet.src), self._addresses.id_of(packet.dst)  # type: ignore[arg-type]

    def _fragment(self, data: bytes, packet: IpPacket, depth: int) -> None:
        assert packet.fragment is not None
        if packet.captured_end < packet.end:
            raise Truncated(reasons.FRAGMENT_TRUNCATED)
        offset, more, ident = packet.fragment
        ipv6 = isinstance(packet.src, bytes)
        key = (
            (6, packet.src, packet.dst, ident)
            if ipv6
            else (4, packet.src, packet.dst, packet.proto, ident)
        )
        payload = data[packet.payload : packet.end]
        whole = self._fragments.add(key, self._ts, offset, more, payload, packet.proto, strict=ipv6)
        if whole is None:
            return
        body, proto = whole
        pos = 0
        if ipv6:
            proto, pos, nested = extension_headers(body, 0, len(body), proto)
            if nested is not None:
                raise ParseError(reasons.IPV6_BAD)
        src, dst = self._address_ids(packet)
        self._transport(body, pos, len(body), len(body), proto, src, dst, depth)

    def _transport(
        self,
        data: bytes,
        off: int,
        end: int,
        captured_end: int,
        proto: int,
        src: int,
        dst: int,
        depth: int,
    ) -> None:
        if proto == IPPROTO_UDP:
            self._udp(data, off, end, captured_end, src, dst, depth)
        elif proto == IPPROTO_TCP:
            self._tcp_segment(data, off, end, captured_end, src, dst)
        elif proto in (IPPROTO_IPIP, IPPROTO_IPV6):
            self._tunnel(data, off, captured_end, link.IP_VERSION, depth)
        elif proto == IPPROTO_GRE:
            ethertype, inner = tunnels.gre(data, off, captured_end)
            self._tunnel(data, inner, captured_end, ethertype, depth)
        else:
            raise Skipped(reasons.IP_OTHER_PROTOCOL)

    def _tunnel(self, data: bytes, off: int, end: int, ethertype: int, depth: int) -> None:
        """Decode what a tunnel carries: ``ethertype`` as from tunnels.gre."""
        if depth >= MAX_DEPTH:
            raise Skipped(reasons.TUNNEL_TOO_DEEP)
        if ethertype == ETHERTYPE_TEB:
            version, off, end = link.ethernet(data, off, end)
        else:
            version, off, end = link.ethertype_payload(data, off, end, ethertype)
        self._ip(data, off, end, version, depth + 1)

    def _udp(
        self, data: bytes, off: int, end: int, captured_end: int, src: int, dst: int, depth: int
    ) -> None:
        if captured_end < off + 8:
            raise Truncated(reasons.UDP_TRUNCATED)
        sport, dport, length = _UDP.unpack_from(data, off)
        if length < 8 or length > end - off:
            raise ParseError(reasons.UDP_BAD_LENGTH)
        payload = off + 8
        size = min(length - 8, captured_end - payload)
        if dport == VXLAN_PORT:
            inner = tunnels.vxlan(data, payload, payload + size)
            if inner is not None:
                self._tunnel(data, inner, payload + size, ETHERTYPE_TEB, depth)
                return
        out = self.datagrams
        out.index.append(self._index)
        out.ts.append(self._ts)
        out.src.append(src)
        out.dst.append(dst)
        out.sport.append(sport)
        out.dport.append(dport)
        out.length.append(size)
        if data is self._batch_data:
            out.start.append(payload)
        else:
            out.start.append(-1 - len(out.owned))
            out.owned.append(data[payload : payload + size])

    def _tcp_segment(
        self, data: bytes, off: int, end: int, captured_end: int, src: int, dst: int
    ) -> None:
        if captured_end < off + 20:
            raise Truncated(reasons.TCP_TRUNCATED)
        sport, dport, seq, _, data_offset, flags = _TCP.unpack_from(data, off)
        header = (data_offset >> 4) * 4
        if header < 20 or off + header > end:
            raise ParseError(reasons.TCP_BAD)
        if captured_end < end:
            raise Truncated(reasons.TCP_TRUNCATED)
        payload = data[off + header : end]
        self.streams.extend(
            self._tcp.segment(self._ts, (src, sport, dst, dport), seq, flags, payload)
        )
