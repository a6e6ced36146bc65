"""IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5), in bounded memory.

Fragments may come in any order and more than once. An exact duplicate is ignored. An overlap
is accepted for IPv4 only where the overlapping bytes agree; any other overlap drops the whole
datagram (RFC 5722 makes that mandatory for IPv6; for IPv4 it closes the door on
ambiguous-overlap evasion, as Linux does). Time is capture time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callvault.net import reasons
from callvault.net.datagram import NetCounters

MAX_DATAGRAM = 65535
"""IPv4 total length and IPv6 payload length are 16-bit fields (jumbograms aside)."""
MAX_FRAGMENTS = 1024
"""Per datagram; more is an attack or a broken stack (a 64 KiB datagram at 1280-byte MTU is 52)."""


@dataclass(slots=True)
class _Datagram:
    first_ts: float
    buffer: bytearray = field(default_factory=bytearray)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    total: int | None = None
    proto: int | None = None
    fragments: int = 0
    dropped: bool = False


class FragmentReassembler:
    """Datagrams in reassembly, keyed by (version, src, dst[, proto], identification)."""

    def __init__(
        self,
        counters: NetCounters,
        *,
        timeout: float = 30.0,
        max_datagrams: int = 4096,
        max_bytes: int = 16 << 20,
    ) -> None:
        self._counters = counters
        self._timeout = timeout
        self._max_datagrams = max_datagrams
        self._max_bytes = max_bytes
        self._pending: dict[tuple[object, ...], _Datagram] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return sum(not d.dropped for d in self._pending.values())

    def add(
        self,
        key: tuple[object, ...],
        ts: float,
        offset: int,
        more: bool,
        payload: bytes,
        proto: int,
        *,
        strict: bool,
    ) -> tuple[bytes, int] | None:
        """Add one fragment; return (reassembled payload, protocol) when it completes one.

        ``strict`` (IPv6) drops the datagram on any overlap, even of agreeing bytes.
        """
        self.expire(ts)
        end = offset + len(payload)
        if end > MAX_DATAGRAM or (more and (len(payload) % 8 or not payload)):
            self._counters.skip(reasons.FRAGMENT_BAD)
            return None
        datagram = self._pending.get(key)
        if datagram is None:
            datagram = self._pending[key] = _Datagram(ts)
        if datagram.dropped:
            self._counters.skip(reasons.FRAGMENT_OVERLAP)
            return None
        verdict = self._check(datagram, offset, end, more, payload, strict)
        if verdict is not None:
            if verdict == reasons.FRAGMENT_OVERLAP:
                self._drop(datagram)
            self._counters.skip(verdict)
            return None
        self._store(datagram, offset, end, more, payload, proto)
        self._make_room(keep=key)
        if datagram.total is None or not _covers(datagram.ranges, datagram.total):
            return None
        del self._pending[key]
        self._bytes -= len(datagram.buffer)
        return bytes(datagram.buffer[: datagram.total]), datagram.proto or 0

    def expire(self, now: float) -> None:
        """Drop datagrams that began more than the timeout before ``now``."""
        deadline = now - self._timeout
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if oldest.first_ts >= deadline:
                break
            self._forget(key, reasons.FRAGMENT_TIMEOUT)

    def flush(self) -> None:
        """End of capture: whatever is still incomplete is counted and dropped."""
        for key in list(self._pending):
            self._forget(key, reasons.FRAGMENT_INCOMPLETE)

    @staticmethod
    def _check(
        datagram: _Datagram, offset: int, end: int, more: bool, payload: bytes, strict: bool
    ) -> str | None:
        total = datagram.total
        if not more and total is not None and total != end:
            return reasons.FRAGMENT_OVERLAP
        if (total is not None and end > total) or (
            not more and any(b > end for _, b in datagram.ranges)
        ):
            return reasons.FRAGMENT_OVERLAP
        if datagram.fragments >= MAX_FRAGMENTS:
            return reasons.FRAGMENT_BAD
        buffer = datagram.buffer
        for a, b in datagram.ranges:
            if a >= end or offset >= b:
                continue
            lo, hi = max(a, offset), min(b, end)
            agrees = buffer[lo:hi] == payload[lo - offset : hi - offset]
            if a == offset and b == end and agrees:
                return reasons.FRAGMENT_DUPLICATE
            if strict or not agrees:
                return reasons.FRAGMENT_OVERLAP
        return None

    def _store(
        self, datagram: _Datagram, offset: int, end: int, more: bool, payload: bytes, proto: int
    ) -> None:
        grow = end - len(datagram.buffer)
        if grow > 0:
            datagram.buffer.extend(bytes(grow))
            self._bytes += grow
        datagram.buffer[offset:end] = payload
        datagram.ranges.append((offset, end))
        datagram.fragments += 1
        if not more:
            datagram.total = end
        if offset == 0:
            datagram.proto = proto

    def _drop(self, datagram: _Datagram) -> None:
        """Keep a tombstone so later fragments of the datagram are dropped too."""
        self._counters.skip(reasons.FRAGMENT_OVERLAP, datagram.fragments)
        self._bytes -= len(datagram.buffer)
        datagram.buffer = bytearray()
        datagram.ranges.clear()
        datagram.dropped = True

    def _forget(self, key: tuple[object, ...], reason: str) -> None:
        datagram = self._pending.pop(key)
        self._bytes -= len(datagram.buffer)
        if not datagram.dropped:
            self._counters.skip(reason, datagram.fragments)

    def _make_room(self, *, keep: tuple[object, ...]) -> None:
        while len(self._pending) > self._max_datagrams or self._bytes > self._max_bytes:
            oldest = next(iter(self._pending))
            if oldest == keep:
                break
            self._forget(oldest, reasons.FRAGMENT_EVICTED)


def _covers(ranges: list[tuple[int, int]], total: int) -> bool:
    """Whether the ranges leave no hole in [0, total)."""
    reached = 0
    for a, b in sorted(ranges):
        if a > reached:
            return False
        reached = max(reached, b)
    return reached >= total
