"""Per-stream RTP quality (RFC 3550 A.1, A.3, A.8) kept for many streams at once, and MOS
from the ITU-T G.107 E-model.

A :class:`QualityTable` holds the running state of every stream in NumPy columns, one row
("slot") per stream, and advances all streams of a batch in one :meth:`QualityTable.update`
without a Python loop over packets or streams. What it counts:

* **Sequence numbers.** Each packet's number is extended against the packet that arrived
  before it in its stream (the nearest 32-bit value, so wrap-around at 65535 carries into the
  cycle count as RFC 3550 A.1 does); ``expected = highest - first + 1`` and
  ``lost = expected - received`` (RFC 3550 A.3; negative when duplicates outnumber losses).
* **Duplicates and reordering.** A packet whose number is not above the highest seen so far
  is a duplicate when that number was already received, else out of order. Numbers are
  remembered for the last :data:`REORDER_WINDOW` below the highest: an older straggler counts
  as out of order, even if it is a duplicate, and does not mend a loss burst.
* **Loss bursts.** Runs of consecutive missing numbers between the first and the highest;
  a late packet inside the window splits or shortens its run.
* **Jitter.** RFC 3550 A.8, ``J += (|D| - J) / 16`` with ``D`` from capture times and RTP
  timestamps, run as one linear filter over the whole batch. Mean and maximum are taken over
  the packets the caller marks regular, as ``tshark -z rtp,streams`` does (it leaves out a
  stream's first packet, marker packets and comfort noise).
* **Delta.** The largest gap in capture time between consecutive packets, regular ones only.

Times are capture timestamps (float seconds), never the wall clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

REORDER_WINDOW = 64
"""Sequence numbers remembered below the highest (one 64-bit word per stream): 1.28 s of
20 ms audio. RFC 3550 A.1 tolerates MAX_MISORDER = 100 before it calls a packet a restart."""
JITTER_GAIN = 1.0 / 16.0
"""RFC 3550 A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16."""
_DECAY = 1.0 - JITTER_GAIN
_SEQ_MOD = 1 << 16
_TS_MOD = 1 << 32
_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_BITS = np.arange(REORDER_WINDOW - 1, -1, -1, dtype=np.uint64)
"""Window bit numbers from the oldest remembered sequence number to the highest."""
_BLOCK = 32
_DECAY_POWERS = _DECAY ** np.arange(2048)
_DECAY_POWERS[-1] = 0.0
"""(15/16)^k; from k = 2047 on it is below 1e-57 and taken as zero."""


@dataclass(frozen=True, slots=True)
class QualityStats:
    """Quality of one RTP stream so far."""

    packets: int
    """RTP packets received, duplicates included (RFC 3550 A.3 "received")."""
    expected: int
    """Highest extended sequence number - first + 1 (RFC 3550 A.3)."""
    lost: int
    """expected - packets; negative when duplicates outnumber losses."""
    loss_percent: float
    """Share of expected packets lost, 0 when ``lost`` is not positive (RFC 3550 A.3 clamps)."""
    duplicates: int
    out_of_order: int
    """Packets below the highest sequence number seen before them that were not duplicates."""
    loss_bursts: int
    """Runs of consecutive missing sequence numbers."""
    max_burst: int
    """Length of the longest run of missing sequence numbers."""
    jitter_mean_ms: float
    jitter_max_ms: float
    max_delta_ms: float
    """Largest capture-time gap between consecutive packets."""
    mos: float | None
    """E-model MOS (ITU-T G.107) for the codec asked for; None for a stream without packets."""


class QualityTable:
    """Running RTP quality of many streams, one slot each, advanced a batch at a time."""

    _COLUMNS: tuple[tuple[str, type], ...] = (
        ("open", np.bool_),
        ("started", np.bool_),
        ("base", np.int64),
        ("last_ext", np.int64),
        ("max_ext", np.int64),
        ("window", np.uint64),
        ("below_window", np.int64),
        ("received", np.int64),
        ("duplicates", np.int64),
        ("out_of_order", np.int64),
        ("bursts", np.int64),
        ("max_burst", np.int64),
        ("jitter_started", np.bool_),
        ("jitter", np.float64),
        ("jitter_arrival", np.float64),
        ("jitter_ts", np.int64),
        ("jitter_sum", np.float64),
        ("jitter_count", np.int64),
        ("jitter_max", np.float64),
        ("last_arrival", np.float64),
        ("max_delta", np.float64),
    )
    """Per-slot state. ``window`` bit k: extended sequence number ``max_ext - k`` was received;
    ``below_window``: the highest number received below the window (or a stand-in below the
    first); ``bursts``/``max_burst`` cover the runs that lie wholly below the window."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = 0
        self._free: list[int] = []
        self._cols: dict[str, np.ndarray] = {
            name: np.zeros(0, dtype=dtype) for name, dtype in self._COLUMNS
        }
        self._grow(max(capacity, 1))

    def __len__(self) -> int:
        """Slots open now."""
        return self._capacity - len(self._free)

    def open_slot(self) -> int:
        """A fresh slot for a new stream."""
        if not self._free:
            self._grow(2 * self._capacity)
        slot = self._free.pop()
        self._cols["open"][slot] = True
        return slot

    def release(self, slot: int) -> None:
        """Forget a stream; its slot is reused by a later :meth:`open_slot`."""
        if not 0 <= slot < self._capacity or not self._cols["open"][slot]:
            raise ValueError(f"slot {slot} is not open")
        for name, _ in self._COLUMNS:
            self._cols[name][slot] = 0
        self._free.append(slot)

    def update(
        self,
        slots: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        seq: np.ndarray,
        rtp_ts: np.ndarray,
        arrival: np.ndarray,
        clock_rate: np.ndarray,
        regular: np.ndarray | None = None,
        position: np.ndarray | None = None,
    ) -> None:
        """Advance the streams of one batch.

        Segment i is packets ``starts[i]:ends[i]`` of the packet arrays, all of stream
        ``slots[i]`` in arrival order, with RTP clock ``clock_rate[i]`` in Hz (0: not known,
        or telephone-event, whose timestamps stand still: no jitter from these packets).
        Several segments of one slot are taken in the order given, or, with ``position``
        (any per-packet number that grows with arrival, e.g. the index in the capture batch),
        merged in ``position`` order. ``regular`` marks the packets whose jitter and delta
        count towards mean and maximum (default: all); pass ``~marker`` and leave out comfort
        noise (RFC 3389) and the packet after it to count as tshark does.
        """
        segs = _segments(slots, starts, ends, clock_rate)
        if segs is None:
            return
        slots, starts, ends, clock_rate = segs
        if slots.min() < 0 or slots.max() >= self._capacity or not self._cols["open"][slots].all():
            raise ValueError("update names a slot that is not open")
        runs = _Runs.build(
            slots, starts, ends, clock_rate, np.asarray(seq, dtype=np.int64),
            np.asarray(rtp_ts, dtype=np.int64), np.asarray(arrival, dtype=np.float64),
            None if regular is None else np.asarray(regular, dtype=bool),
            None if position is None else np.asarray(position),
        )
        runs.carried = self._cols["started"][runs.slots]
        self._sequence(runs)
        self._jitter(runs)
        self._delta(runs)

    def result(self, slot: int, codec: str = "PCMU") -> QualityStats:
        """The stream's quality so far; ``codec`` (an SDP encoding name) picks the MOS model."""
        if not 0 <= slot < self._capacity or not self._cols["open"][slot]:
            raise ValueError(f"slot {slot} is not open")
        c = {name: col[slot].item() for name, col in self._cols.items()}
        if not c["started"]:
            return QualityStats(0, 0, 0, 0.0, 0, 0, 0, 0, 0.0, 0.0, 0.0, None)
        expected = c["max_ext"] - c["base"] + 1
        lost = expected - c["received"]
        loss_percent = 100.0 * lost / expected if lost > 0 else 0.0
        open_bursts, open_max = _open_bursts(c["below_window"], c["max_ext"], c["window"])
        bursts = c["bursts"] + open_bursts
        jitter_mean = c["jitter_sum"] / c["jitter_count"] if c["jitter_count"] else 0.0
        return QualityStats(
            packets=c["received"],
            expected=expected,
            lost=lost,
            loss_percent=loss_percent,
            duplicates=c["duplicates"],
            out_of_order=c["out_of_order"],
            loss_bursts=bursts,
            max_burst=max(c["max_burst"], open_max),
            jitter_mean_ms=1000.0 * jitter_mean,
            jitter_max_ms=1000.0 * c["jitter_max"],
            max_delta_ms=1000.0 * c["max_delta"],
            mos=mos(codec, loss_percent, 1000.0 * jitter_mean,
                    burst_ratio(loss_percent, max(lost, 0), bursts)),
        )

    def _grow(self, capacity: int) -> None:
        for name, col in self._cols.items():
            grown = np.zeros(capacity, dtype=col.dtype)
            grown[: col.shape[0]] = col
            self._cols[name] = grown
        self._free.extend(range(capacity - 1, self._capacity - 1, -1))
        self._capacity = capacity

    def _sequence(self, runs: _Runs) -> None:
        """RFC 3550 A.1 extended sequence numbers, duplicates, reordering and loss bursts."""
        cols, slots = self._cols, runs.slots
        started = runs.carried
        seq16 = runs.seq & (_SEQ_MOD - 1)
        first16 = seq16[runs.starts]
        last_ext = cols["last_ext"][slots]
        first_ext = np.where(started, last_ext + _signed(first16 - last_ext, 16), first16)
        step = np.empty_like(seq16)
        step[1:] = _signed(seq16[1:] - seq16[:-1], 16)
        step[runs.starts] = 0
        ext = np.cumsum(step)
        ext += np.repeat(first_ext - ext[runs.starts], runs.lengths)
        seen = _Seen(
            base=np.where(started, cols["base"][slots], first_ext),
            top=np.where(started, cols["max_ext"][slots], first_ext - 1),
            window=np.where(started, cols["window"][slots], _ALL_ONES),
            below=np.where(started, cols["below_window"][slots], first_ext - REORDER_WINDOW - 1),
        )
        late = seen.classify(runs, ext)
        seen.advance(runs, ext, late)
        cols["started"][slots] = True
        cols["base"][slots] = seen.base
        cols["last_ext"][slots] = ext[runs.ends - 1]
        cols["max_ext"][slots] = seen.new_top
        cols["window"][slots] = seen.new_window
        cols["below_window"][slots] = seen.new_below
        cols["received"][slots] += runs.lengths
        cols["duplicates"][slots] += seen.duplicates
        cols["out_of_order"][slots] += seen.out_of_order
        cols["bursts"][slots] += seen.closed_bursts
        cols["max_burst"][slots] = np.maximum(cols["max_burst"][slots], seen.closed_max)

    def _jitter(self, runs: _Runs) -> None:
        """RFC 3550 A.8 over the packets with a known clock, as one filter for the batch."""
        cols = self._cols
        timed = runs.clock > 0
        every = bool(timed.all())
        pick = slice(None) if every else np.flatnonzero(timed)
        clock = runs.clock[pick]
        if clock.shape[0] == 0:
            return
        arrival, ts, regular = runs.arrival[pick], runs.ts[pick], runs.regular[pick]
        counts = runs.lengths if every else np.bincount(runs.run_of[pick], minlength=runs.count)
        has = counts > 0
        starts = np.cumsum(counts) - counts
        ends = starts + counts
        slots = runs.slots[has]
        first = starts[has]
        carried = cols["jitter_started"][slots]
        prev_arrival = np.empty_like(arrival)
        prev_arrival[1:] = arrival[:-1]
        prev_arrival[first] = cols["jitter_arrival"][slots]
        prev_ts = np.empty_like(ts)
        prev_ts[1:] = ts[:-1]
        prev_ts[first] = cols["jitter_ts"][slots]
        transit_change = (arrival - prev_arrival) - _signed(ts - prev_ts, 32) / clock
        step = np.abs(transit_change) * JITTER_GAIN
        step[first[~carried]] = 0.0
        jitter = _decay_filter(step)
        before = np.where(first > 0, jitter[np.maximum(first - 1, 0)], 0.0)
        correction = cols["jitter"][slots] - before
        run_of = np.repeat(np.arange(slots.shape[0]), counts[has])
        age = np.minimum(np.arange(jitter.shape[0]) - np.repeat(first, counts[has]) + 1,
                         _DECAY_POWERS.shape[0] - 1)
        jitter += _DECAY_POWERS[age] * correction[run_of]
        counted = regular.copy()
        counted[first[~carried]] = False
        kept = np.where(counted, jitter, 0.0)
        cols["jitter_sum"][slots] += np.add.reduceat(kept, first)
        cols["jitter_count"][slots] += np.add.reduceat(counted.astype(np.int64), first)
        cols["jitter_max"][slots] = np.maximum(
            cols["jitter_max"][slots], np.maximum.reduceat(kept, first))
        last = ends[has] - 1
        cols["jitter"][slots] = jitter[last]
        cols["jitter_arrival"][slots] = arrival[last]
        cols["jitter_ts"][slots] = ts[last]
        cols["jitter_started"][slots] = True

    def _delta(self, runs: _Runs) -> None:
        """Largest capture-time gap between consecutive regular packets."""
        cols, slots = self._cols, runs.slots
        prev = np.empty_like(runs.arrival)
        prev[1:] = runs.arrival[:-1]
        prev[runs.starts] = cols["last_arrival"][slots]
        gap = np.where(runs.regular, runs.arrival - prev, -np.inf)
        gap[runs.starts[~runs.carried]] = -np.inf
        cols["max_delta"][slots] = np.maximum(
            cols["max_delta"][slots], np.maximum.reduceat(gap, runs.starts))
        cols["last_arrival"][slots] = runs.arrival[runs.ends - 1]


def _signed(delta: np.ndarray, bits: int) -> np.ndarray:
    """``delta`` modulo 2**bits as the nearest signed value (RFC 1982 serial arithmetic)."""
    half = 1 << (bits - 1)
    return ((delta + half) & ((1 << bits) - 1)) - half


def _segments(
    slots: np.ndarray, starts: np.ndarray, ends: np.ndarray, clock_rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    slots = np.asarray(slots, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    clock = np.nan_to_num(np.asarray(clock_rate, dtype=np.float64), nan=0.0, posinf=0.0)
    if not slots.shape == starts.shape == ends.shape == clock.shape:
        raise ValueError("slots, starts, ends and clock_rate differ in length")
    filled = ends > starts
    if not filled.all():
        slots, starts, ends, clock = slots[filled], starts[filled], ends[filled], clock[filled]
    if slots.shape[0] == 0:
        return None
    return slots, starts, ends, clock


class _Runs:
    """The batch's packets regrouped so that each slot's packets are one run, in arrival order."""

    def __init__(self, slots: np.ndarray, lengths: np.ndarray, seq: np.ndarray, ts: np.ndarray,
                 arrival: np.ndarray, clock: np.ndarray, regular: np.ndarray) -> None:
        self.slots = slots
        self.lengths = lengths
        self.count = slots.shape[0]
        self.ends = np.cumsum(lengths)
        self.starts = self.ends - lengths
        self.run_of = np.repeat(np.arange(self.count), lengths)
        self.seq = seq
        self.ts = ts
        self.arrival = arrival
        self.clock = clock
        self.regular = regular
        self.carried = np.zeros(self.count, dtype=bool)
        """Slots that had packets before this batch."""

    @classmethod
    def build(cls, slots: np.ndarray, starts: np.ndarray, ends: np.ndarray, clock_rate: np.ndarray,
              seq: np.ndarray, ts: np.ndarray, arrival: np.ndarray, regular: np.ndarray | None,
              position: np.ndarray | None) -> _Runs:
        n = seq.shape[0]
        if not ts.shape == arrival.shape == (n,) or (regular is not None and regular.shape != (n,)):
            raise ValueError("packet arrays differ in length")
        if starts.min() < 0 or ends.max() > n:
            raise ValueError("a segment lies outside the packet arrays")
        lengths = ends - starts
        order = np.argsort(slots, kind="stable")
        by_slot = slots[order]
        repeated = bool((by_slot[1:] == by_slot[:-1]).any())
        in_place = (not repeated and starts[0] == 0 and ends[-1] == n
                    and bool((starts[1:] == ends[:-1]).all()))
        if in_place:
            return cls(slots, lengths, seq, ts, arrival, np.repeat(clock_rate, lengths),
                       np.ones(n, dtype=bool) if regular is None else regular)
        if not repeated:
            order = np.arange(slots.shape[0])
            by_slot = slots
        seg_lengths = lengths[order]
        offsets = np.cumsum(seg_lengths) - seg_lengths
        take = np.repeat(starts[order] - offsets, seg_lengths) + np.arange(int(seg_lengths.sum()))
        first = np.flatnonzero(np.concatenate(([True], by_slot[1:] != by_slot[:-1])))
        run_lengths = np.add.reduceat(seg_lengths, first)
        clock = np.repeat(clock_rate[order], seg_lengths)
        if position is not None and repeated:
            if position.shape != (n,):
                raise ValueError("position differs in length from the packet arrays")
            merge = _merge_order(np.asarray(position)[take], first, run_lengths, seg_lengths)
            take, clock = take[merge], clock[merge]
        return cls(by_slot[first], run_lengths, seq[take], ts[take], arrival[take], clock,
                   np.ones(take.shape[0], dtype=bool) if regular is None else regular[take])


def _merge_order(position: np.ndarray, first: np.ndarray, run_lengths: np.ndarray,
                 seg_lengths: np.ndarray) -> np.ndarray:
    """Permutation putting the packets of runs made of several segments in ``position`` order."""
    segments_per_run = np.diff(np.append(first, seg_lengths.shape[0]))
    run_of = np.repeat(np.arange(run_lengths.shape[0]), run_lengths)
    mixed = np.flatnonzero((segments_per_run > 1)[run_of])
    merge = np.arange(position.shape[0])
    merge[mixed] = mixed[np.lexsort((position[mixed], run_of[mixed]))]
    return merge


class _Seen:
    """Which extended sequence numbers each run's stream has received (RFC 3550 A.1, A.3).

    Per stream: the highest number ``top``, a 64-bit ``window`` of the numbers just below it,
    and ``below``, the highest received number under the window. Holes (runs of missing
    numbers) wholly under the window are final and counted; the rest are counted on demand.
    Before a stream's first packet the window is all ones, so nothing before it counts as lost.
    """

    def __init__(self, base: np.ndarray, top: np.ndarray, window: np.ndarray,
                 below: np.ndarray) -> None:
        self.base = base
        self.top = top
        self.window = window
        self.below = below
        zeros = np.zeros(base.shape[0], dtype=np.int64)
        self.duplicates = zeros
        self.out_of_order = zeros
        self.new_top = top
        self.new_window = window
        self.new_below = below
        self.closed_bursts = zeros
        self.closed_max = zeros

    def classify(self, runs: _Runs, ext: np.ndarray) -> np.ndarray | None:
        """Count duplicates and out-of-order packets; the mask of packets that bring a number
        not received before (None: all of them, each above every earlier one)."""
        starts, lengths = runs.starts, runs.lengths
        low = np.minimum(np.minimum.reduceat(ext, starts), self.top)
        high = np.maximum(np.maximum.reduceat(ext, starts), self.top)
        self.new_top = high
        span = high - low + 1
        shift = np.repeat(np.cumsum(span) - span - low, lengths)
        key = ext + shift
        """(run, number) as one integer, increasing with both; each run in its own range."""
        top_key = np.repeat(self.top, lengths) + shift
        highest = np.empty_like(key)
        highest[1:] = np.maximum.accumulate(key)[:-1]
        highest[starts] = top_key[starts]
        np.maximum(highest, top_key, out=highest)
        behind = key <= highest
        if not behind.any():
            return None
        late = np.flatnonzero(behind)
        run = runs.run_of[late]
        late_key = key[late]
        remembered = (late_key > highest[late] - REORDER_WINDOW) & (ext[late] >= self.base[run])
        depth = self.top[run] - ext[late]
        in_window = remembered & (depth >= 0)
        bit = np.clip(depth, 0, REORDER_WINDOW - 1).astype(np.uint64)
        duplicate = in_window & ((self.window[run] >> bit) & np.uint64(1)).astype(bool)
        ahead_keys = key[~behind]
        if ahead_keys.shape[0]:
            at = np.minimum(np.searchsorted(ahead_keys, late_key), ahead_keys.shape[0] - 1)
            duplicate |= remembered & (ahead_keys[at] == late_key)
        order = np.lexsort((late, late_key))
        again = np.zeros(late.shape[0], dtype=bool)
        again[order[1:]] = late_key[order[1:]] == late_key[order[:-1]]
        duplicate |= remembered & again
        self.duplicates = np.bincount(run[duplicate], minlength=runs.count)
        self.out_of_order = np.bincount(run[~duplicate], minlength=runs.count)
        fresh = ~behind
        fresh[late[remembered & ~duplicate]] = True
        return fresh

    def advance(self, runs: _Runs, ext: np.ndarray, fresh: np.ndarray | None) -> None:
        """Add the batch's new numbers; count the holes that sink under the new window."""
        count, width = runs.count, REORDER_WINDOW
        mask = np.empty((count, width + 1), dtype=bool)
        mask[:, 0] = True
        mask[:, 1:] = ((self.window[:, None] >> _BITS) & np.uint64(1)).astype(bool)
        span = self.new_top - self.below + 1
        shift = np.cumsum(span) - span - self.below
        numbers = np.empty((count, width + 1), dtype=np.int64)
        numbers[:, 0] = self.below
        numbers[:, 1:] = self.top[:, None] - _BITS.astype(np.int64)
        old_keys = (numbers + shift[:, None])[mask]
        old_count = mask.sum(axis=1)
        if fresh is None:
            new_run, new_count = runs.run_of, runs.lengths
            rank = np.arange(ext.shape[0]) - np.repeat(runs.starts, runs.lengths)
            new_keys = ext + shift[new_run]
        else:
            new_run = runs.run_of[fresh]
            new_count = np.bincount(new_run, minlength=count)
            new_keys = ext[fresh] + shift[new_run]
        total = old_count + new_count
        offset = np.cumsum(total) - total
        if fresh is None:
            keys = np.empty(int(total.sum()), dtype=np.int64)
            keys[(offset[:, None] + np.cumsum(mask, axis=1) - 1)[mask]] = old_keys
            keys[offset[new_run] + old_count[new_run] + rank] = new_keys
        else:
            keys = np.sort(np.concatenate((old_keys, new_keys)))
        self._holes(keys, shift, total, offset)

    def _holes(self, keys: np.ndarray, shift: np.ndarray, total: np.ndarray,
               offset: np.ndarray) -> None:
        count, width = total.shape[0], REORDER_WINDOW
        key_run = np.repeat(np.arange(count), total)
        step = np.diff(keys)
        hole = np.flatnonzero((step > 1) & (key_run[1:] == key_run[:-1]))
        hole_run = key_run[hole]
        upper = keys[hole + 1] - shift[hole_run]
        closed = upper <= self.new_top[hole_run] - width
        self.closed_bursts = np.bincount(hole_run[closed], minlength=count)
        self.closed_max = np.zeros(count, dtype=np.int64)
        np.maximum.at(self.closed_max, hole_run[closed], step[hole[closed]] - 1)
        top_key = self.new_top + shift
        at = np.searchsorted(keys, top_key - width, side="right") - 1
        self.new_below = keys[at] - shift
        depth = top_key[key_run] - keys
        bits = np.where(depth < width,
                        np.uint64(1) << np.minimum(depth, width - 1).astype(np.uint64),
                        np.uint64(0))
        self.new_window = np.bitwise_or.reduceat(bits, offset)


def _open_bursts(below: int, top: int, window: int) -> tuple[int, int]:
    """(count, longest) of the holes between ``below`` and ``top`` that the window still holds."""
    received = [below] + [top - k for k in range(REORDER_WINDOW - 1, -1, -1) if window >> k & 1]
    holes = [b - a - 1 for a, b in zip(received, received[1:]) if b - a > 1]
    return len(holes), max(holes, default=0)


@lru_cache(maxsize=8)
def _block_tables(decay: float) -> tuple[np.ndarray, np.ndarray]:
    lag = np.arange(_BLOCK)[None, :] - np.arange(_BLOCK)[:, None]
    toeplitz = np.where(lag >= 0, decay ** np.maximum(lag, 0), 0.0)
    return toeplitz, decay ** np.arange(1, _BLOCK + 1)


def _decay_filter(x: np.ndarray, decay: float = _DECAY) -> np.ndarray:
    """y[i] = decay * y[i-1] + x[i] from y[-1] = 0, in blocks: a Toeplitz product inside each
    block, the same filter (with decay**32) over the block ends for what carries between them.
    Equal to scipy.signal.lfilter([1], [1, -decay], x) to rounding, without importing SciPy."""
    n = x.shape[0]
    blocks = -(-n // _BLOCK)
    padded = np.zeros(blocks * _BLOCK)
    padded[:n] = x
    toeplitz, powers = _block_tables(decay)
    y = padded.reshape(blocks, _BLOCK) @ toeplitz
    if blocks > 1:
        carry = _decay_filter(y[:, -1].copy(), decay**_BLOCK)
        y[1:] += carry[:-1, None] * powers
    return y.reshape(-1)[:n]


@dataclass(frozen=True, slots=True)
class CodecImpairment:
    """A codec's E-model figures for random packet loss (ITU-T G.113 Appendix I)."""

    ie: float
    """Equipment impairment factor Ie at no loss."""
    bpl: float
    """Packet-loss robustness factor Bpl."""


G711_PLC = CodecImpairment(ie=0.0, bpl=25.1)
"""G.113 Appendix I, Table I.3: G.711 with the packet loss concealment of G.711 Appendix I."""
CODEC_IMPAIRMENTS: dict[str, CodecImpairment] = {
    "pcmu": G711_PLC,
    "pcma": G711_PLC,
    "g711": G711_PLC,
    "g711noplc": CodecImpairment(ie=0.0, bpl=4.3),  # G.113 Table I.3: G.711 without PLC
    "g729": CodecImpairment(ie=11.0, bpl=19.0),  # G.113 Table I.3: G.729A + VAD
    "g729a": CodecImpairment(ie=11.0, bpl=19.0),
    "g723": CodecImpairment(ie=15.0, bpl=16.1),  # G.113 Table I.3: G.723.1 6.3 kbit/s + VAD
    "g7231": CodecImpairment(ie=15.0, bpl=16.1),
    "gsmefr": CodecImpairment(ie=5.0, bpl=10.0),  # G.113 Table I.3: GSM-EFR (= AMR 12.2)
    "amr": CodecImpairment(ie=5.0, bpl=10.0),
    # GSM 06.10 full rate: Ie 20 from G.113 Table I.1; G.113 gives it no Bpl, so GSM-EFR's,
    # which conceals lost frames the same way (GSM 06.11 substitution and muting).
    "gsm": CodecImpairment(ie=20.0, bpl=10.0),
    # Not tabulated by ITU-T on the narrowband scale, so assumed. iLBC (RFC 3951) codes each
    # frame on its own and was built for loss: concealment like G.711's, Ie of a ~15 kbit/s
    # CELP codec (G.729A's). G.722 and Opus are wideband; G.107's narrowband scale cannot
    # credit that, so they get G.711's figures with concealment (G.722 Appendix III, Opus
    # RFC 6716 §4.4), i.e. never worse than G.711.
    "ilbc": CodecImpairment(ie=11.0, bpl=25.1),
    "g722": G711_PLC,
    "opus": G711_PLC,
}
"""By SDP encoding name, lower case, without dots, dashes and clock rate ("G.729/8000": g729)."""

E_MODEL_RO = 94.77
"""G.107 §7.2: basic signal-to-noise ratio Ro with every parameter at its §7.7 default."""
E_MODEL_IS = 1.41
"""G.107 §7.3: simultaneous impairment factor Is at the defaults (Ro - Is - Id(0) = 93.2)."""
E_MODEL_NO = -61.18
"""G.107 (7-3): total noise power No in dBm0p at the defaults."""
E_MODEL_RLR = 2.0
E_MODEL_TELR = 65.0
"""G.107 §7.7 default talker echo loudness rating (dB): echo well cancelled."""
E_MODEL_WEPL = 110.0
"""G.107 §7.7 default weighted echo path loss (dB)."""
BASE_DELAY_MS = 40.0
"""Assumed one-way mouth-to-ear delay besides the jitter buffer: 20 ms packetisation, codec
look-ahead and a LAN/metro network path. The jitter buffer adds twice the mean jitter."""


def burst_ratio(loss_percent: float, lost: int, bursts: int) -> float:
    """G.107 §7.5 BurstR: mean length of the observed loss bursts over the mean length
    under random loss at the same rate, 1 / (1 - p); never below 1 (random)."""
    if lost <= 0 or bursts <= 0:
        return 1.0
    return max(1.0, lost / bursts * (1.0 - loss_percent / 100.0))


def mos(codec: str, loss_percent: float, jitter_ms: float, burst_ratio: float = 1.0) -> float:
    """MOS-CQE from the ITU-T G.107 E-model with its default (well-behaved) connection:
    R = Ro - Is - Id - Ie,eff, one-way delay T = Ta = BASE_DELAY_MS + 2 × jitter, round trip
    Tr = 2T, Ie,eff from the codec's Ie and Bpl (G.107 (7-29)); unknown codecs count as G.711.
    """
    impairment = CODEC_IMPAIRMENTS.get(_codec_key(codec), G711_PLC)
    loss = min(max(loss_percent, 0.0), 100.0) if loss_percent == loss_percent else 100.0
    jitter = jitter_ms if 0.0 <= jitter_ms < 1e6 else (0.0 if jitter_ms < 0 else 1e6)
    burst = burst_ratio if 1.0 <= burst_ratio < 1e6 else (1e6 if burst_ratio >= 1e6 else 1.0)
    ie_eff = impairment.ie + (95.0 - impairment.ie) * loss / (loss / burst + impairment.bpl)
    one_way = BASE_DELAY_MS + 2.0 * jitter
    r = E_MODEL_RO - E_MODEL_IS - delay_impairment(one_way, 2.0 * one_way, one_way) - ie_eff
    return mos_from_r(r)


def delay_impairment(t: float, tr: float, ta: float) -> float:
    """G.107 §7.4 Id = Idte + Idle + Idd for echo path delay T, round trip Tr and absolute
    delay Ta (ms), other parameters at their defaults."""
    terv = E_MODEL_TELR - 40.0 * math.log10((1 + t / 10) / (1 + t / 150)) + 6 * math.exp(-0.3 * t * t)
    roe = -1.5 * (E_MODEL_NO - E_MODEL_RLR)
    re = 80.0 + 2.5 * (terv - 14.0)
    talker_echo = ((roe - re) / 2 + math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - math.exp(-t))
    rle = 10.5 * (E_MODEL_WEPL + 7) * (tr + 1) ** -0.25
    listener_echo = (E_MODEL_RO - rle) / 2 + math.sqrt((E_MODEL_RO - rle) ** 2 / 4 + 169)
    if ta <= 100.0:
        return talker_echo + listener_echo
    x = math.log2(ta / 100.0)
    pure_delay = 25 * ((1 + x**6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2)
    return talker_echo + listener_echo + pure_delay


def mos_from_r(r: float) -> float:
    """G.107 Annex B (B-4); the cubic dips under 1 for 0 < R < 6.5 and is held at 1 there."""
    if r <= 0.0:
        return 1.0
    if r >= 100.0:
        return 4.5
    return max(1.0, 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6)


def _codec_key(codec: str) -> str:
    name = codec.split("/", 1)[0].strip().lower()
    return name.replace(".", "").replace("-", "").replace("_", "").replace(" ", "")
