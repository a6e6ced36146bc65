"""Attaching RTP streams to calls through the media endpoints their SDP announced."""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from callvault.calls.model import Side
from callvault.calls.totals import NO_SEQUENCE
from callvault.rtp.dtmf import TelephoneEvent

if TYPE_CHECKING:
    from callvault.calls.correlator import CallState
    from callvault.calls.totals import StreamTotals

Endpoint = tuple[int, int]
"""(address id, port)."""
StreamKey = tuple[int, int, int, int, int]
"""(src address id, src port, dst address id, dst port, SSRC)."""

NOT_RTP_PORTS = frozenset({1812, 1813, 1900, 2427, 2727, 3478, 4500, 5060, 5061, 5353, 5355})
"""UDP ports of protocols whose first byte can pass for RTP version 2 (RADIUS, SSDP, MGCP,
STUN…)."""


def other(side: Side) -> Side:
    return Side.CALLEE if side is Side.CALLER else Side.CALLER


@dataclass(slots=True)
class Binding:
    """An SDP said: ``side`` of ``call`` receives media at this endpoint, from ``since`` on."""

    call: CallState
    side: Side
    since: float
    sender: Side | None = None
    """Who sends the media received here, where the receiver is a recorder (SIPREC labels)."""


class StreamState:
    """Running totals of one RTP stream while its call is in progress.

    Bound to an engine's :class:`~callvault.calls.totals.StreamTotals` (``attach``), its
    packet totals live in that table's columns, which the engine adds a window's packets to
    at once; the attributes read and write them there the same way."""

    __slots__ = (
        "_bytes",
        "_last_at",
        "_packets",
        "_packets_by_pt",
        "_seq_first",
        "_seq_last",
        "_totals",
        "call",
        "clocks",
        "first_at",
        "key",
        "lanes",
        "last_event_ts",
        "not_decodable",
        "quality_slot",
        "row",
        "rtcp_packets",
        "side",
    )

    def __init__(
        self,
        key: StreamKey,
        call: CallState | None,
        side: Side | None,
        first_at: float,
        last_at: float,
        packets: int = 0,
        bytes: int = 0,
        packets_by_pt: dict[int, int] | None = None,
        rtcp_packets: int = 0,
        not_decodable: str | None = None,
        quality_slot: int | None = None,
        clocks: dict[int, int] | None = None,
        seq_first: int | None = None,
        seq_last: int = 0,
        last_event_ts: int | None = None,
    ) -> None:
        self.key = key
        self.call = call
        self.side = side
        self.first_at = first_at
        self._last_at = last_at
        self._packets = packets
        self._bytes = bytes
        self._packets_by_pt = {} if packets_by_pt is None else packets_by_pt
        self.rtcp_packets = rtcp_packets
        self.not_decodable = not_decodable
        self.quality_slot = quality_slot
        """Row of the engine's QualityTable that follows this stream."""
        self.clocks = {} if clocks is None else clocks
        """RTP clock rate by payload type (0: events, whose timestamps stand still)."""
        self._seq_first = seq_first
        self._seq_last = seq_last
        self.last_event_ts = last_event_ts
        """RTP timestamp of the last RFC 4733 event seen (one digit per event timestamp)."""
        self._totals: StreamTotals | None = None
        self.row = -1
        """Row in the bound StreamTotals."""
        self.lanes: list[tuple[int, int]] = []
        """(payload type, lane row) of each payload type seen, in the order first seen."""

    def __repr__(self) -> str:
        return f"StreamState(key={self.key!r}, side={self.side!r}, packets={self.packets})"

    def attach(self, totals: StreamTotals, row: int) -> None:
        """From now on the totals are in ``totals`` at ``row`` (StreamTotals.bind)."""
        self._totals, self.row, self.lanes = totals, row, []

    def detach(
        self,
        packets: int,
        payload_bytes: int,
        last_at: float,
        seq_first: int,
        seq_last: int,
        packets_by_pt: dict[int, int],
    ) -> None:
        """The totals are this object's own again (StreamTotals.unbind)."""
        self._totals, self.row, self.lanes = None, -1, []
        self._packets, self._bytes, self._last_at = packets, payload_bytes, last_at
        self._seq_first = None if seq_first == NO_SEQUENCE else seq_first
        self._seq_last = seq_last
        self._packets_by_pt = packets_by_pt

    @property
    def packets(self) -> int:
        totals = self._totals
        return self._packets if totals is None else totals.packets.item(self.row)

    @packets.setter
    def packets(self, value: int) -> None:
        if self._totals is None:
            self._packets = value
        else:
            self._totals.packets[self.row] = value

    @property
    def bytes(self) -> int:
        totals = self._totals
        return self._bytes if totals is None else totals.bytes.item(self.row)

    @bytes.setter
    def bytes(self, value: int) -> None:
        if self._totals is None:
            self._bytes = value
        else:
            self._totals.bytes[self.row] = value

    @property
    def last_at(self) -> float:
        totals = self._totals
        return self._last_at if totals is None else totals.last_at.item(self.row)

    @last_at.setter
    def last_at(self, value: float) -> None:
        if self._totals is None:
            self._last_at = value
        else:
            self._totals.last_at[self.row] = value

    @property
    def seq_first(self) -> int | None:
        totals = self._totals
        if totals is None:
            return self._seq_first
        first = totals.seq_first.item(self.row)
        return None if first == NO_SEQUENCE else first

    @seq_first.setter
    def seq_first(self, value: int | None) -> None:
        if self._totals is None:
            self._seq_first = value
        else:
            self._totals.seq_first[self.row] = NO_SEQUENCE if value is None else value

    @property
    def seq_last(self) -> int:
        totals = self._totals
        return self._seq_last if totals is None else totals.seq_last.item(self.row)

    @seq_last.setter
    def seq_last(self, value: int) -> None:
        if self._totals is None:
            self._seq_last = value
        else:
            self._totals.seq_last[self.row] = value

    @property
    def packets_by_pt(self) -> dict[int, int]:
        """Packets by payload type, in the order the types were first seen (a copy while
        the totals are in a StreamTotals: change them through :meth:`add`)."""
        totals = self._totals
        if totals is None:
            return self._packets_by_pt
        return {pt: totals.lane_packets.item(lane) for pt, lane in self.lanes}

    def add(self, pt: int, packets: int, payload_bytes: int, first: float, last: float) -> None:
        self.packets += packets
        self.bytes += payload_bytes
        totals = self._totals
        if totals is None:
            self._packets_by_pt[pt] = self._packets_by_pt.get(pt, 0) + packets
        else:
            totals.lane_packets[totals.lane(self, pt)] += packets
        if first < self.first_at:
            self.first_at = first
        if last > self.last_at:
            self.last_at = last

    def sequence(self, first: int, last: int) -> None:
        if self.seq_first is None:
            self.seq_first = first
        self.seq_last = last

    def looks_like_rtp(self, min_packets: int) -> bool:
        """Heuristics for UDP that no SDP announced (RFC 3550 §A.1 in spirit): enough packets,
        ports outside the well-known range, and sequence numbers that advance with the packets.
        """
        src_port, dst_port = self.key[1], self.key[3]
        if self.packets < min_packets or src_port < 1024 or dst_port < 1024:
            return False
        if src_port in NOT_RTP_PORTS or dst_port in NOT_RTP_PORTS:
            return False
        span = ((self.seq_last - (self.seq_first or 0)) & 0xFFFF) + 1
        return self.packets / 2 <= span <= self.packets * 2

    def telephone_event(self, rtp_timestamp: int, event: TelephoneEvent) -> bool:
        """True when this packet starts a new event (RFC 4733 §2.5: one event per timestamp)."""
        if rtp_timestamp == self.last_event_ts:
            return False
        self.last_event_ts = rtp_timestamp
        return True


@lru_cache(maxsize=65536)
def _is_private(address_text: str) -> bool:
    try:
        return ipaddress.ip_address(address_text).is_private
    except ValueError:
        return False


class MediaMap:
    """Endpoint bindings of the calls in progress, and lookups from a stream to its call."""

    def __init__(self) -> None:
        self._rtp: dict[Endpoint, list[Binding]] = {}
        self._by_port: dict[int, list[Binding]] = {}
        self._rtcp: dict[Endpoint, Binding] = {}

    def bind(
        self,
        call: CallState,
        side: Side,
        endpoint: Endpoint,
        rtcp_port: int,
        since: float,
        private: bool,
        sender: Side | None = None,
    ) -> bool:
        """Record an SDP endpoint; returns False when it was already bound to this call and side."""
        bindings = self._rtp.setdefault(endpoint, [])
        for b in bindings:
            if b.call is call and b.side is side:
                b.since = since  # confirmed again: the most recent SDP mention counts
                b.sender = sender or b.sender
                return False
        binding = Binding(call, side, since, sender)
        bindings.append(binding)
        if private:
            self._by_port.setdefault(endpoint[1], []).append(binding)
        self._rtcp[(endpoint[0], rtcp_port)] = binding
        call.endpoints.append((endpoint, rtcp_port, private))
        return True

    def unbind_call(self, call: CallState) -> None:
        for endpoint, rtcp_port, private in call.endpoints:
            bindings = self._rtp.get(endpoint)
            if bindings is not None:
                bindings[:] = [b for b in bindings if b.call is not call]
                if not bindings:
                    del self._rtp[endpoint]
            if private:
                by_port = self._by_port.get(endpoint[1])
                if by_port is not None:
                    by_port[:] = [b for b in by_port if b.call is not call]
                    if not by_port:
                        del self._by_port[endpoint[1]]
            rtcp = self._rtcp.get((endpoint[0], rtcp_port))
            if rtcp is not None and rtcp.call is call:
                del self._rtcp[(endpoint[0], rtcp_port)]
        call.endpoints.clear()

    @staticmethod
    def _pick(bindings: list[Binding] | None, at: float) -> Binding | None:
        if not bindings:
            return None
        best = None
        for b in bindings:
            if b.since <= at and (best is None or b.since > best.since):
                best = b
        # none before the first packet: media ran ahead of the SDP that announced it
        return best or min(bindings, key=lambda b: b.since)

    def find(self, key: StreamKey, at: float) -> tuple[CallState, Side] | None:
        """The call and sending side of a stream first seen at ``at``.

        The receiver's SDP endpoint decides first (media may come from another address
        than its sender announced: NAT); then the sender's; then, for SDP addresses in
        private ranges (behind NAT), the port alone.
        """
        src, sport, dst, dport, _ssrc = key
        found = self._pick(self._rtp.get((dst, dport)), at)
        if found is not None:
            return found.call, found.sender or other(found.side)
        found = self._pick(self._rtp.get((src, sport)), at)
        if found is not None:
            return found.call, found.side
        found = self._pick(self._by_port.get(dport), at)
        if found is not None:
            return found.call, other(found.side)
        found = self._pick(self._by_port.get(sport), at)
        if found is not None:
            return found.call, found.side
        return None

    def find_rtcp(self, src: Endpoint, dst: Endpoint) -> Binding | None:
        return self._rtcp.get(dst) or self._rtcp.get(src)


def private_address(address_text: str) -> bool:
    return _is_private(address_text)


_PRIVATE_IPV4 = sorted(
    (int(net.network_address), int(net.broadcast_address))
    for net in map(
        ipaddress.IPv4Network,
        (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.2.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "240.0.0.0/4",
        ),
    )
)
"""IPv4 ranges that ipaddress calls private in every Python callvault runs on, as
(first, last) address values in order; 192.0.0.0/24 is left to ipaddress (Python 3.11.10
and 3.12.4 changed which of its addresses are private)."""
_PRIVATE_IPV4_FIRST = [first for first, _ in _PRIVATE_IPV4]
_IPV4_IETF_BLOCK = 0xC00000
"""192.0.0.0/24 shifted right by 8."""


def private_ipv4(value: int) -> bool:
    """``ipaddress.IPv4Address(value).is_private``, by a search of the ranges above (a
    fifth of the time): the correlator asks it for every new media address in SDP."""
    if value >> 8 == _IPV4_IETF_BLOCK:
        return ipaddress.IPv4Address(value).is_private
    i = bisect_right(_PRIVATE_IPV4_FIRST, value)
    return i > 0 and value <= _PRIVATE_IPV4[i - 1][1]
