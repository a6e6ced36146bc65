"""TCP reassembly (RFC 793 section 3.3/3.9): each direction's bytes in order, in bounded memory.

A direction starts at its SYN's sequence number + 1, or at its first segment with data when
the capture began mid-connection. Retransmitted and overlapping bytes are trimmed; segments
ahead of the expected sequence number wait until the hole fills, or until the wait exceeds a
bound in bytes or capture time, when the hole is given up and the next bytes are marked
``gap_before``. FIN (once everything before it arrived) and RST end a direction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from callvault.net import reasons
from callvault.net.datagram import NetCounters, StreamData
from callvault.net.numbers import TCP_FIN, TCP_RST, TCP_SYN
from callvault.net.streams import StreamFramer

SEQ_MODULUS = 1 << 32
_T = TypeVar("_T")

StreamKey = tuple[int, int, int, int]
"""(src address id, source port, dst address id, destination port) of one direction."""


def seq_diff(a: int, b: int) -> int:
    """Signed distance a - b in 32-bit sequence space (RFC 793 section 3.3, RFC 1982)."""
    return (a - b + (1 << 31)) % SEQ_MODULUS - (1 << 31)


@dataclass(frozen=True, slots=True)
class TcpLimits:
    """Memory and time bounds of TCP reassembly (time is capture time)."""

    hole_bytes: int = 64 << 10
    """Give up a hole once this many bytes wait behind it."""
    hole_seconds: float = 5.0
    """Give up a hole that has not filled after this long."""
    idle_seconds: float = 300.0
    """Forget a direction that carried nothing for this long."""
    max_directions: int = 65536
    """Forget the least recently active direction beyond this many."""


@dataclass(slots=True)
class _Direction:
    next_seq: int
    last_ts: float
    framer: StreamFramer
    pending: dict[int, bytes] = field(default_factory=dict)
    """Out-of-order segments by sequence number."""
    pending_bytes: int = 0
    hole_since: float | None = None
    fin_seq: int | None = None


class TcpReassembler:
    """All TCP directions being followed; segments in, StreamData out."""

    def __init__(
        self,
        counters: NetCounters,
        limits: TcpLimits | None = None,
        framer: Callable[[StreamKey], StreamFramer] | None = None,
    ) -> None:
        self._counters = counters
        self._limits = limits or TcpLimits()
        self._framer = framer or (lambda key: StreamFramer(counters, *key))
        self._directions: dict[StreamKey, _Direction] = {}
        """In order of last activity, least recent first."""
        self._closed: dict[StreamKey, tuple[int, float]] = {}
        """Ended directions: (sequence number after their last byte, when) to spot late copies."""
        self._next_deadline = float("inf")

    def __len__(self) -> int:
        return len(self._directions)

    def segment(
        self, ts: float, key: StreamKey, seq: int, flags: int, payload: bytes
    ) -> list[StreamData]:
        """One segment of direction ``key``; returns the data it makes available in order."""
        out: list[StreamData] = []
        if ts >= self._next_deadline:
            self._give_up_holes(ts, out)
        if flags & TCP_RST:
            self._counters.skip(reasons.TCP_CONTROL)
            for direction_key in (key, (key[2], key[3], key[0], key[1])):
                if direction_key in self._directions:
                    self._end(direction_key, ts, out)
            return out
        direction = self._direction(ts, key, seq, flags, payload, out)
        if direction is None:
            return out
        if flags & TCP_SYN:
            seq = (seq + 1) % SEQ_MODULUS  # SYN occupies one sequence number
        if payload and direction.framer.encrypted:
            self._counters.skip(reasons.TLS)
            direction.next_seq = (seq + len(payload)) % SEQ_MODULUS
            direction.pending.clear()
            direction.pending_bytes = 0
            direction.hole_since = None
        elif payload:
            self._data(key, direction, ts, seq, payload, out)
        else:
            self._counters.skip(reasons.TCP_CONTROL)
        if flags & TCP_FIN:
            direction.fin_seq = (seq + len(payload)) % SEQ_MODULUS
        if direction.fin_seq == direction.next_seq and not direction.pending:
            self._end(key, ts, out)
        return out

    def expire(self, now: float) -> list[StreamData]:
        """Give up overdue holes and forget idle directions (call once per batch)."""
        out: list[StreamData] = []
        if now >= self._next_deadline:
            self._give_up_holes(now, out)
        deadline = now - self._limits.idle_seconds
        for key in _older_than(self._directions, deadline, lambda d: d.last_ts):
            self._evict(key, self._directions[key], now, out)
        for key in _older_than(self._closed, deadline, lambda closed: closed[1]):
            del self._closed[key]
        return out

    def flush(self, now: float) -> list[StreamData]:
        """End of capture: hand up what waits behind holes, then end every direction."""
        out: list[StreamData] = []
        for key, direction in list(self._directions.items()):
            while direction.pending:
                self._skip_hole(key, direction, now, out)
            self._end(key, now, out)
        self._closed.clear()
        self._next_deadline = float("inf")
        return out

    def _direction(
        self, ts: float, key: StreamKey, seq: int, flags: int, payload: bytes, out: list[StreamData]
    ) -> _Direction | None:
        direction = self._directions.pop(key, None)
        if flags & TCP_SYN:
            if direction is None or direction.next_seq != (seq + 1) % SEQ_MODULUS:
                if direction is not None:
                    self._discard(direction)
                self._closed.pop(key, None)
                direction = _Direction((seq + 1) % SEQ_MODULUS, ts, self._framer(key))
        elif direction is None:
            closed = self._closed.get(key)
            if not payload or (closed is not None and seq_diff(seq + len(payload), closed[0]) <= 0):
                self._counters.skip(reasons.TCP_RETRANSMISSION if payload else reasons.TCP_CONTROL)
                return None
            self._closed.pop(key, None)
            direction = _Direction(seq, ts, self._framer(key))
        direction.last_ts = ts
        self._directions[key] = direction  # most recently active last
        if len(self._directions) > self._limits.max_directions:
            oldest = next(iter(self._directions))
            self._evict(oldest, self._directions[oldest], ts, out)
        return direction

    def _data(
        self,
        key: StreamKey,
        direction: _Direction,
        ts: float,
        seq: int,
        payload: bytes,
        out: list[StreamData],
    ) -> None:
        ahead = seq_diff(seq, direction.next_seq)
        if ahead + len(payload) <= 0:
            self._counters.skip(reasons.TCP_RETRANSMISSION)
            return
        if ahead > 0:
            self._hold(direction, ts, seq, payload)
            if direction.pending_bytes > self._limits.hole_bytes:
                self._skip_hole(key, direction, ts, out)
            return
        chunks = [payload[-ahead:] if ahead else payload]
        direction.next_seq = (direction.next_seq + len(chunks[0])) % SEQ_MODULUS
        self._drain(direction, chunks)
        self._emit(direction, ts, b"".join(chunks), False, out)
        if direction.pending:
            direction.hole_since = ts
            self._next_deadline = min(self._next_deadline, ts + self._limits.hole_seconds)

    def _hold(self, direction: _Direction, ts: float, seq: int, payload: bytes) -> None:
        held = direction.pending.get(seq, b"")
        if len(held) >= len(payload):
            self._counters.skip(reasons.TCP_RETRANSMISSION)
            return
        direction.pending[seq] = payload
        direction.pending_bytes += len(payload) - len(held)
        if direction.hole_since is None:
            direction.hole_since = ts
            self._next_deadline = min(self._next_deadline, ts + self._limits.hole_seconds)

    def _drain(self, direction: _Direction, chunks: list[bytes]) -> None:
        """Move held segments that now follow on into ``chunks``."""
        pending = direction.pending
        progress = True
        while progress and pending:
            progress = False
            for seq in sorted(pending, key=lambda s: seq_diff(s, direction.next_seq)):
                ahead = seq_diff(seq, direction.next_seq)
                if ahead > 0:
                    break
                payload = pending.pop(seq)
                direction.pending_bytes -= len(payload)
                if ahead + len(payload) <= 0:
                    self._counters.skip(reasons.TCP_RETRANSMISSION)
                    continue
                chunks.append(payload[-ahead:] if ahead else payload)
                direction.next_seq = (direction.next_seq + len(chunks[-1])) % SEQ_MODULUS
                progress = True
        if not pending:
            direction.hole_since = None

    def _skip_hole(
        self, key: StreamKey, direction: _Direction, ts: float, out: list[StreamData]
    ) -> None:
        """Give up the bytes missing before the earliest held segment."""
        self._counters.skip(reasons.TCP_GAP)
        direction.next_seq = min(direction.pending, key=lambda s: seq_diff(s, direction.next_seq))
        chunks: list[bytes] = []
        self._drain(direction, chunks)
        self._emit(direction, ts, b"".join(chunks), True, out)
        if direction.pending:
            direction.hole_since = ts
            self._next_deadline = min(self._next_deadline, ts + self._limits.hole_seconds)
        elif direction.fin_seq == direction.next_seq:
            self._end(key, ts, out)

    def _give_up_holes(self, now: float, out: list[StreamData]) -> None:
        self._next_deadline = float("inf")
        wait = self._limits.hole_seconds
        for key, direction in list(self._directions.items()):
            if direction.hole_since is None:
                continue
            if direction.hole_since + wait <= now:
                self._skip_hole(key, direction, now, out)
            if direction.hole_since is not None:
                self._next_deadline = min(self._next_deadline, direction.hole_since + wait)

    def _emit(
        self, direction: _Direction, ts: float, data: bytes, gap: bool, out: list[StreamData]
    ) -> None:
        if data:
            out.extend(direction.framer.feed(ts, data, gap))

    def _end(self, key: StreamKey, ts: float, out: list[StreamData]) -> None:
        direction = self._directions.pop(key, None)
        if direction is None:
            return
        self._discard(direction)
        out.extend(direction.framer.close(ts))
        self._closed.pop(key, None)  # re-insert: the dict stays in order of time
        self._closed[key] = (direction.next_seq, ts)
        if len(self._closed) > self._limits.max_directions:
            del self._closed[next(iter(self._closed))]

    def _evict(
        self, key: StreamKey, direction: _Direction, ts: float, out: list[StreamData]
    ) -> None:
        self._directions.pop(key, None)
        self._discard(direction)
        out.extend(direction.framer.close(ts))

    def _discard(self, direction: _Direction) -> None:
        if direction.pending:
            self._counters.skip(reasons.TCP_EVICTED, len(direction.pending))
            direction.pending.clear()
            direction.pending_bytes = 0


def _older_than(
    entries: dict[StreamKey, _T], deadline: float, when: Callable[[_T], float]
) -> list[StreamKey]:
    """Keys of the leading entries (least recent first) last active before ``deadline``."""
    stale = []
    for key, entry in entries.items():
        if when(entry) >= deadline:
            break
        stale.append(key)
    return stale
