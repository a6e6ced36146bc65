"""Packet totals of the RTP streams an engine follows, in NumPy columns.

A capture window holds some hundreds of (stream, payload type) groups. Adding each group to
its stream's Python object costs a few microseconds, most of it cache misses on objects
last touched a window ago; here a window's groups find their rows with one vectorised
lookup and are added with a few NumPy calls. A bound :class:`StreamState` reads its totals
from the columns (its attributes are properties), so the correlator sees them as before.

Rows: one a stream (packets, bytes, last packet time, first and last sequence number) and
one a *lane*, a stream's packets of one payload type (its packet count, its quality slot and
RTP clock, and the key the engine groups packets by).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from callvault.calls.correlator import CallState
    from callvault.calls.media import StreamState

NO_SEQUENCE = -1
"""``seq_first`` of a stream without packets yet."""
NO_CALL = 0
"""``lane_serial`` of a lane opened before its stream had a call (calls count from 1)."""


class StreamTotals:
    """Totals of many streams, one row each, and their lanes, with an index from a lane's
    key (three 64-bit words and their hash) to its row."""

    def __init__(self, capacity: int = 256) -> None:
        self.packets = np.zeros(0, dtype=np.int64)
        self.bytes = np.zeros(0, dtype=np.int64)
        self.last_at = np.zeros(0, dtype=np.float64)
        self.seq_first = np.zeros(0, dtype=np.int64)
        self.seq_last = np.zeros(0, dtype=np.int64)
        self._mark = np.zeros(0, dtype=np.int64)
        """Scratch: a position in the groups of a window, by row."""
        self._free_rows: list[int] = []
        self.lane_packets = np.zeros(0, dtype=np.int64)
        self.lane_row = np.zeros(0, dtype=np.intp)
        self.lane_slot = np.zeros(0, dtype=np.int64)
        self.lane_clock = np.zeros(0, dtype=np.int64)
        self._lane_keys = np.zeros((0, 3), dtype=np.uint64)
        self._lane_hash = np.zeros(0, dtype=np.uint64)
        self.lane_stream: list[StreamState | None] = []
        self.lane_call: list[CallState | None] = []
        """The call of each lane's stream, where it had one when the lane was opened (a
        stream keeps its call once it has one)."""
        self.lane_serial = np.zeros(0, dtype=np.int64)
        """The serial of each lane's ``lane_call`` (NO_CALL without one): a window's groups
        are put together by call with NumPy."""
        self.lane_pt: list[int] = []
        self._free_lanes: list[int] = []
        self._index_hash = np.zeros(0, dtype=np.uint64)
        self._index_lane = np.zeros(0, dtype=np.intp)
        self._keyed = np.zeros(0, dtype=bool)
        """Lanes :meth:`find` can come to by their key."""
        self._stale = False
        """Keys added or taken out since the index was sorted."""
        self.bound: list[StreamState | None] = []
        """The stream of each row (None: free)."""
        self.count = 0
        """Streams bound now."""
        self._grow_rows(capacity)
        self._grow_lanes(capacity)

    # ---- streams -------------------------------------------------------------------------

    def bind(self, stream: StreamState) -> None:
        """Keep ``stream``'s totals here from now on (its current ones moved in)."""
        if not self._free_rows:
            self._grow_rows(2 * len(self.bound))
        row = self._free_rows.pop()
        self.packets[row] = stream.packets
        self.bytes[row] = stream.bytes
        self.last_at[row] = stream.last_at
        self.seq_first[row] = NO_SEQUENCE if stream.seq_first is None else stream.seq_first
        self.seq_last[row] = stream.seq_last
        by_pt = stream.packets_by_pt
        stream.attach(self, row)
        self.bound[row] = stream
        self.count += 1
        for pt, n in by_pt.items():
            self.lane_packets[self._new_lane(stream, pt)] = n

    def unbind(self, stream: StreamState) -> None:
        """Hand ``stream``'s totals back to it (it keeps them as plain attributes)."""
        row = stream.row
        lanes = stream.lanes
        stream.detach(
            packets=self.packets.item(row),
            payload_bytes=self.bytes.item(row),
            last_at=self.last_at.item(row),
            seq_first=self.seq_first.item(row),
            seq_last=self.seq_last.item(row),
            packets_by_pt={pt: self.lane_packets.item(lane) for pt, lane in lanes},
        )
        for _, lane in lanes:
            self.lane_stream[lane] = None
            self.lane_call[lane] = None
            if self._keyed[lane]:
                self._keyed[lane] = False
                self._stale = True
            self._free_lanes.append(lane)
        self.bound[row] = None
        self._free_rows.append(row)
        self.count -= 1

    def lane(self, stream: StreamState, pt: int) -> int:
        """The lane of a bound stream's payload type ``pt``, opened if new."""
        for lane_pt, lane in stream.lanes:
            if lane_pt == pt:
                return lane
        return self._new_lane(stream, pt)

    def _new_lane(self, stream: StreamState, pt: int) -> int:
        if not self._free_lanes:
            self._grow_lanes(2 * len(self.lane_stream))
        lane = self._free_lanes.pop()
        self.lane_packets[lane] = 0
        self.lane_row[lane] = stream.row
        self.lane_slot[lane] = -1
        self.lane_clock[lane] = 0
        self.lane_stream[lane] = stream
        self.lane_call[lane] = stream.call
        self.lane_serial[lane] = NO_CALL if stream.call is None else stream.call.serial
        self.lane_pt[lane] = pt
        stream.lanes.append((pt, lane))
        return lane

    def key(self, lane: int, words: tuple[int, int, int], hashed: int) -> None:
        """Let :meth:`find` come to ``lane`` by its key."""
        self._lane_keys[lane] = words
        self._lane_hash[lane] = hashed
        self._keyed[lane] = True
        self._stale = True

    # ---- a window's groups ---------------------------------------------------------------

    def find(self, hashed: np.ndarray, words: np.ndarray) -> np.ndarray:
        """The lane of each key (rows of ``words``, with their ``hashed``), -1 where none."""
        if self._stale:
            # a few keys come and go a window: sorting the live ones again costs less
            # than keeping an index up to date key by key
            lanes = np.flatnonzero(self._keyed)
            by_hash = np.argsort(self._lane_hash[lanes], kind="stable")
            self._index_lane = lanes[by_hash]
            self._index_hash = self._lane_hash[self._index_lane]
            self._stale = False
        found = np.full(hashed.shape[0], -1, dtype=np.intp)
        size = self._index_hash.shape[0]
        if size == 0:
            return found
        # the first indexed lane of each hash; keys that share a hash go through the caller
        at = np.minimum(np.searchsorted(self._index_hash, hashed), size - 1)
        lane = self._index_lane[at]
        same = self._index_hash[at] == hashed
        keys = self._lane_keys[lane]
        for word in range(3):  # column by column: a third of the cost of a 2-D .all(axis=1)
            same &= keys[:, word] == words[:, word]
        found[same] = lane[same]
        return found

    def add(
        self,
        lanes: np.ndarray,
        packets: np.ndarray,
        payload_bytes: np.ndarray,
        last_at: np.ndarray,
        seq_first: np.ndarray,
        seq_last: np.ndarray,
    ) -> None:
        """Add one window's groups (one a lane, in the order they are processed) to their
        streams: what adding them one by one would leave."""
        rows = self.lane_row[lanes]
        np.add.at(self.lane_packets, lanes, packets)
        np.add.at(self.packets, rows, packets)
        np.add.at(self.bytes, rows, payload_bytes)
        np.maximum.at(self.last_at, rows, last_at)
        # a stream's first number from its first group ever, its last from its last group
        # (a stream has several groups in a window where it sends several payload types)
        position = np.arange(rows.shape[0])
        mark = self._mark
        mark[rows] = rows.shape[0]
        np.minimum.at(mark, rows, position)
        lead = mark[rows] == position
        leading = rows[lead]
        fresh = self.seq_first[leading] == NO_SEQUENCE
        self.seq_first[leading[fresh]] = seq_first[lead][fresh]
        mark[rows] = -1
        np.maximum.at(mark, rows, position)
        tail = mark[rows] == position
        self.seq_last[rows[tail]] = seq_last[tail]

    # ---- storage -------------------------------------------------------------------------

    def _grow_rows(self, capacity: int) -> None:
        old = len(self.bound)
        for name in ("packets", "bytes", "last_at", "seq_first", "seq_last", "_mark"):
            col = getattr(self, name)
            grown = np.zeros(capacity, dtype=col.dtype)
            grown[:old] = col
            setattr(self, name, grown)
        self.bound.extend([None] * (capacity - old))
        self._free_rows.extend(range(capacity - 1, old - 1, -1))

    def _grow_lanes(self, capacity: int) -> None:
        old = len(self.lane_stream)
        for name in (
            "lane_packets",
            "lane_row",
            "lane_slot",
            "lane_clock",
            "lane_serial",
            "_lane_hash",
            "_keyed",
        ):
            col = getattr(self, name)
            grown = np.zeros(capacity, dtype=col.dtype)
            grown[:old] = col
            setattr(self, name, grown)
        keys = np.zeros((capacity, 3), dtype=np.uint64)
        keys[:old] = self._lane_keys
        self._lane_keys = keys
        self.lane_stream.extend([None] * (capacity - old))
        self.lane_call.extend([None] * (capacity - old))
        self.lane_pt.extend([0] * (capacity - old))
        self._free_lanes.extend(range(capacity - 1, old - 1, -1))
