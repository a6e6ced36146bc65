"""NetDecoder: packet batches in, UDP datagrams and in-order TCP/WebSocket data out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from callvault.capture.batch import PacketBatch
from callvault.net.datagram import AddressTable, DatagramBatch, NetCounters, StreamData
from callvault.net.fastpath import decode_udp
from callvault.net.fragments import FragmentReassembler
from callvault.net.slowpath import SlowDatagrams, SlowPath
from callvault.net.tcp import TcpLimits, TcpReassembler


@dataclass(frozen=True, slots=True)
class NetLimits:
    """Bounds on the state the decoder keeps between batches (times are capture time)."""

    fragment_timeout: float = 30.0
    """Drop a datagram whose fragments did not all arrive within this long."""
    fragment_datagrams: int = 4096
    """Datagrams in reassembly at once; the oldest is dropped beyond."""
    fragment_bytes: int = 16 << 20
    """Bytes held for reassembly at once; the oldest datagram is dropped beyond."""
    tcp: TcpLimits = field(default_factory=TcpLimits)


class NetDecoder:
    """Decodes packet batches in capture order, keeping reassembly state between them.

    ``decode`` never raises for bad packets: each frame that yields nothing is counted in
    ``counters`` by reason (see callvault.net.reasons). Call ``flush`` at the end of a capture
    to hand up data held behind TCP holes and count what stays incomplete.
    """

    def __init__(
        self,
        *,
        addresses: AddressTable | None = None,
        limits: NetLimits | None = None,
        fast_path: bool = True,
    ) -> None:
        limits = limits or NetLimits()
        self.addresses = addresses if addresses is not None else AddressTable()
        self.counters = NetCounters()
        self.fast_path = fast_path
        """False sends every frame through the per-packet path (for tests and comparisons)."""
        self._fragments = FragmentReassembler(
            self.counters,
            timeout=limits.fragment_timeout,
            max_datagrams=limits.fragment_datagrams,
            max_bytes=limits.fragment_bytes,
        )
        self._tcp = TcpReassembler(self.counters, limits.tcp)
        self._slow = SlowPath(self.addresses, self.counters, self._fragments, self._tcp)
        self._now = float("-inf")

    @property
    def tcp_directions(self) -> int:
        """TCP connection directions being followed."""
        return len(self._tcp)

    @property
    def fragmented_datagrams(self) -> int:
        """IP datagrams waiting for more fragments."""
        return len(self._fragments)

    def decode(self, batch: PacketBatch) -> tuple[DatagramBatch, list[StreamData]]:
        """The batch's UDP datagrams and the stream data its TCP segments complete, in
        capture order (a reassembled datagram at the position of its last fragment)."""
        n = len(batch)
        if n == 0:
            return DatagramBatch.empty(), []
        if self.fast_path:
            handled, fast = decode_udp(batch)
            rest = np.flatnonzero(~handled)
        else:
            fast = DatagramBatch.empty()
            rest = np.arange(n)
        self._slow.begin(batch.data)
        if rest.size:
            self._per_packet(batch, rest)
        self._now = max(self._now, float(batch.ts.max()))
        self._fragments.expire(self._now)
        streams = self._slow.streams
        streams.extend(self._tcp.expire(self._now))
        slow = self._slow.datagrams
        if not slow.index:
            return fast, streams
        fast_index = np.flatnonzero(handled) if self.fast_path else np.zeros(0, np.int64)
        return _merge(batch.data, fast, fast_index, slow), streams

    def flush(self) -> list[StreamData]:
        """End of capture: data still held behind TCP holes (marked gap_before), and every
        incomplete fragment, WebSocket message or TCP stream counted."""
        self._fragments.flush()
        now = self._now if self._now != float("-inf") else 0.0
        return self._tcp.flush(now)

    def _per_packet(self, batch: PacketBatch, rows: np.ndarray) -> None:
        limit = len(batch.data)
        starts = batch.start[rows].tolist()
        ends = np.minimum(batch.start[rows] + batch.caplen[rows], limit).tolist()
        frame = self._slow.frame
        for index, ts, start, end, linktype in zip(
            rows.tolist(),
            batch.ts[rows].tolist(),
            starts,
            ends,
            batch.linktype[rows].tolist(),
            strict=True,
        ):
            frame(index, ts, start, end, linktype)


def _merge(
    data: bytes, fast: DatagramBatch, fast_index: np.ndarray, slow: SlowDatagrams
) -> DatagramBatch:
    """Interleave the slow path's datagrams with the fast path's by frame index."""
    start = np.asarray(slow.start, dtype=np.int64)
    if slow.owned:
        sizes = np.fromiter((len(p) for p in slow.owned), dtype=np.int64, count=len(slow.owned))
        offsets = len(data) + np.concatenate(([0], np.cumsum(sizes)[:-1]))
        owned = start < 0
        start[owned] = offsets[-1 - start[owned]]
        data = data + b"".join(slow.owned)
    at = np.searchsorted(fast_index, np.asarray(slow.index, dtype=np.int64))

    def merged(fast_values: np.ndarray, slow_values: object, dtype: type) -> np.ndarray:
        return np.insert(fast_values, at, np.asarray(slow_values, dtype=dtype))

    return DatagramBatch(
        data=data,
        ts=merged(fast.ts, slow.ts, np.float64),
        start=merged(fast.start, start, np.int64),
        length=merged(fast.length, slow.length, np.int64),
        src=merged(fast.src, slow.src, np.uint64),
        dst=merged(fast.dst, slow.dst, np.uint64),
        sport=merged(fast.sport, slow.sport, np.int64),
        dport=merged(fast.dport, slow.dport, np.int64),
    )
