"""Attaching RTP streams to calls through the media endpoints their SDP announced."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from callvault.calls.model import Side
from callvault.rtp.dtmf import TelephoneEvent

if TYPE_CHECKING:
    from callvault.calls.correlator import CallState

Endpoint = tuple[int, int]
"""(address id, port)."""
StreamKey = tuple[int, int, int, int, int]
"""(src address id, src port, dst address id, dst port, SSRC)."""

NOT_RTP_PORTS = frozenset({1812, 1813, 1900, 2427, 2727, 3478, 4500, 5060, 5061, 5353, 5355})
"""UDP ports of protocols whose first byte can pass for RTP version 2 (RADIUS, SSDP, MGCP, STUN…)."""


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


@dataclass(slots=True)
class StreamState:
    """Running totals of one RTP stream while its call is in progress."""

    key: StreamKey
    call: CallState | None
    side: Side | None
    first_at: float
    last_at: float
    packets: int = 0
    bytes: int = 0
    packets_by_pt: dict[int, int] = field(default_factory=dict)
    rtcp_packets: int = 0
    not_decodable: str | None = None
    quality_slot: int | None = None
    """Row of the engine's QualityTable that follows this stream."""
    clocks: dict[int, int] = field(default_factory=dict)
    """RTP clock rate by payload type (0: events, whose timestamps stand still)."""
    seq_first: int | None = None
    seq_last: int = 0
    last_event_ts: int | None = None
    """RTP timestamp of the last RFC 4733 event seen (one digit per event timestamp)."""

    def add(self, pt: int, packets: int, payload_bytes: int, first: float, last: float) -> None:
        self.packets += packets
        self.bytes += payload_bytes
        self.packets_by_pt[pt] = self.packets_by_pt.get(pt, 0) + packets
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
