"""Per-stream RTP quality (RFC 3550 A.1, A.3, A.8) kept for many streams at once, and MOS
from the ITU-T G.107 E-model.

A :class:`QualityTable` holds the running state of every stream in NumPy columns, one row
("slot") per stream, and advances all streams of a batch in one :meth:`QualityTable.update`
without a Python loop over packets or streams. What it counts:

* **Sequence numbers.** Each packet's number is extended against the packet that arrived
  before it in its stream (the nearest value modulo 2**16), so a wrap at 65535 carries into
  the cycle count as in RFC 3550 A.1; ``expected = highest - first + 1`` and
  ``lost = expected - received`` (RFC 3550 A.3: negative when duplicates outnumber losses).
* **Duplicates and reordering.** A packet whose number is not above the highest seen before
  it is a duplicate if that number was received already, else out of order. Numbers are
  remembered :data:`REORDER_WINDOW` deep below the highest: an older straggler counts as
  out of order even if it is a duplicate, and does not mend the loss burst it falls in.
* **Loss bursts.** Runs of consecutive missing numbers between the first and the highest.
* **Jitter.** RFC 3550 A.8, ``J += (|D| - J) / 16`` with ``D`` from capture times and RTP
  timestamps, run as one linear filter over the whole batch. Mean and maximum are over the
  packets the caller marks regular, as ``tshark -z rtp,streams`` does (it leaves out a
  stream's first packet, marker packets and comfort noise).
* **Delta.** The largest capture-time gap between consecutive regular packets.

Times are capture timestamps (float seconds), never the wall clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

REORDER_WINDOW = 64
"""Sequence numbers remembered below the highest, one 64-bit word per stream: 1.28 s of 20 ms
packets (RFC 3550 A.1 takes MAX_MISORDER = 100 as the limit of plain reordering)."""
JITTER_GAIN = 1.0 / 16.0
"""RFC 3550 A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16."""
_DECAY = 1.0 - JITTER_GAIN
_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_ONE = np.uint64(1)


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
    """Share of the expected packets lost; 0 when ``lost`` is not positive (as A.3 clamps)."""
    duplicates: int
    out_of_order: int
    """Packets below the highest sequence number seen before them that were not duplicates."""
    loss_bursts: int
    """Runs of consecutive missing sequence numbers."""
    max_burst: int
    """Length of the longest such run."""
    jitter_mean_ms: float
    jitter_max_ms: float
    max_delta_ms: float
    """Largest capture-time gap between consecutive regular packets."""
    mos: float | None
    """E-model MOS (ITU-T G.107) for the codec asked for; None for a stream without packets."""


_COLUMNS: tuple[tuple[str, type], ...] = (
    ("open", np.bool_),
    ("generation", np.int64),
    ("started", np.bool_),
    ("base", np.int64),
    ("last_ext", np.int64),
    ("max_ext", np.int64),
    ("window", np.uint64),
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
"""Per-slot state. ``window`` bit k: extended sequence number ``max_ext - k`` received (all
ones before the first packet, so that nothing before it counts as missing); ``bursts`` and
``max_burst`` cover the runs of missing numbers already below the window; ``generation``
tells a reused slot's holes from its predecessor's."""


class QualityTable:
    """Running RTP quality of many streams, one slot each, advanced a batch at a time."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = 0
        self._free: list[int] = []
        self._cols: dict[str, np.ndarray] = {
            name: np.zeros(0, dtype=dtype) for name, dtype in _COLUMNS
        }
        self._holes = _Holes.empty()
        self._work = _Work()
        self._pending: _Pending | None = None
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
        """Forget a stream; a later :meth:`open_slot` reuses its slot."""
        self._flush_for(slot)
        self._check(slot)
        generation = self._cols["generation"][slot] + 1
        for col in self._cols.values():
            col[slot] = 0
        self._cols["generation"][slot] = generation
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
        *,
        indexed: bool = False,
    ) -> None:
        """Advance the streams of one batch.

        Segment i is packets ``starts[i]:ends[i]`` of the packet arrays (sequence number,
        RTP timestamp, capture time in seconds), all of stream ``slots[i]`` in arrival order,
        with RTP clock ``clock_rate[i]`` in Hz; 0 for a clock not known or for
        telephone-events, whose timestamps stand still: those packets give no jitter.
        Several segments of one slot are taken in the order given or, with ``position``
        (per packet, growing with arrival: the index in the capture batch), merged in
        ``position`` order. ``regular`` marks the packets whose jitter and delta count towards
        mean and maximum (default all); tshark leaves out marker packets (RFC 3551 §4.1:
        first of a talkspurt) and comfort noise (RFC 3389) with the packet after it.

        ``indexed``: the packet arrays are in arrival order (by position) and segment i is
        packets ``position[starts[i]:ends[i]]`` of them, so that a caller that groups its
        packets need not gather them in group order first.
        """
        if indexed and position is None:
            raise ValueError("indexed packets need their position")
        self.flush()  # segments deferred before these come first
        segments = _segments(slots, starts, ends, clock_rate)
        if segments is None:
            return
        slots, starts, ends, clock_rate = segments
        if slots.min() < 0 or slots.max() >= self._capacity or not self._cols["open"][slots].all():
            raise ValueError("update names a slot that is not open")
        runs = _Runs.build(
            self._work,
            slots,
            starts,
            ends,
            clock_rate,
            np.asarray(seq, dtype=np.int64),
            np.asarray(rtp_ts, dtype=np.int64),
            np.asarray(arrival, dtype=np.float64),
            None if regular is None else np.asarray(regular, dtype=bool),
            None if position is None else np.asarray(position),
            indexed,
        )
        runs.carried = self._cols["started"][runs.slots]
        self._sequence(runs)
        self._jitter(runs)
        self._delta(runs)

    def defer(
        self,
        slots: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        clock_rate: np.ndarray,
        packets: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        *,
        indexed: bool = False,
    ) -> None:
        """:meth:`update` later: segments are kept until :meth:`flush` (or a :meth:`result`
        or :meth:`release` of a slot they name, which flush first) and then advanced in one
        update.

        ``packets`` is (seq, rtp_ts, arrival, regular, position) and ``indexed`` as for
        :meth:`update`; every deferred segment must name the same arrays (the same
        objects) and ``indexed``: segments against other arrays flush those before them.
        One update per capture batch instead of one per window costs the fixed part of an
        update once, with the same result, as several segments of a slot are merged in
        ``position`` order.
        """
        pending = self._pending
        if pending is not None and (
            pending.indexed != indexed
            or not all(a is b for a, b in zip(pending.packets, packets, strict=True))
        ):
            self.flush()
            pending = None
        if pending is None:
            pending = self._pending = _Pending(packets, indexed)
        pending.slots.append(slots)
        pending.named.update(np.asarray(slots).tolist())
        pending.starts.append(starts)
        pending.ends.append(ends)
        pending.clock_rate.append(clock_rate)

    def flush(self) -> None:
        """Advance the streams by the deferred segments, if any."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        seq, rtp_ts, arrival, regular, position = pending.packets
        self.update(
            np.concatenate(pending.slots),
            np.concatenate(pending.starts),
            np.concatenate(pending.ends),
            seq,
            rtp_ts,
            arrival,
            np.concatenate(pending.clock_rate),
            regular=regular,
            position=position,
            indexed=pending.indexed,
        )

    def result(self, slot: int, codec: str = "PCMU") -> QualityStats:
        """The stream's quality so far; ``codec`` (an SDP encoding name) picks the MOS model."""
        self._flush_for(slot)
        self._check(slot)
        cols = self._cols
        if not cols["started"].item(slot):
            return QualityStats(0, 0, 0, 0.0, 0, 0, 0, 0, 0.0, 0.0, 0.0, None)
        # one element a column, read as a Python number (no NumPy scalar in between)
        received = cols["received"].item(slot)
        expected = cols["max_ext"].item(slot) - cols["base"].item(slot) + 1
        lost = expected - received
        loss_percent = 100.0 * lost / expected if lost > 0 else 0.0
        bursts = cols["bursts"].item(slot)
        max_burst = cols["max_burst"].item(slot)
        if self._holes.slot.shape[0]:
            open_lengths = self._holes.lengths(slot, cols["generation"].item(slot))
            bursts += open_lengths.shape[0]
            max_burst = max(max_burst, int(open_lengths.max(initial=0)))
        count = cols["jitter_count"].item(slot)
        jitter_mean = cols["jitter_sum"].item(slot) / count if count else 0.0
        return QualityStats(
            packets=received,
            expected=expected,
            lost=lost,
            loss_percent=loss_percent,
            duplicates=cols["duplicates"].item(slot),
            out_of_order=cols["out_of_order"].item(slot),
            loss_bursts=bursts,
            max_burst=max_burst,
            jitter_mean_ms=1000.0 * jitter_mean,
            jitter_max_ms=1000.0 * cols["jitter_max"].item(slot),
            max_delta_ms=1000.0 * cols["max_delta"].item(slot),
            mos=mos(
                codec, loss_percent, 1000.0 * jitter_mean, burst_ratio(loss_percent, lost, bursts)
            ),
        )

    def _flush_for(self, slot: int) -> None:
        """Flush if deferred segments name ``slot``: the others leave its numbers as they
        are. Streams end a few at a time in the middle of a batch, mostly without packets
        in it, so the batch is still advanced in one update."""
        if self._pending is not None and slot in self._pending.named:
            self.flush()

    def _check(self, slot: int) -> None:
        if not 0 <= slot < self._capacity or not self._cols["open"][slot]:
            raise ValueError(f"slot {slot} is not open")

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
        seq16 = runs.seq16
        first16 = seq16[runs.starts].astype(np.int64)
        last_ext = cols["last_ext"][slots]
        first_ext = np.where(started, last_ext + _signed(first16 - last_ext, 16), first16)
        n = seq16.shape[0]
        step = self._work("seq_step", n, np.int16)  # to the packet before, modulo 2**16
        np.subtract(seq16[1:], seq16[:-1], out=step[1:].view(np.uint16))
        step[runs.starts] = 1
        climbing = np.minimum.reduceat(step, runs.starts) > 0  # each number above the last
        step[runs.starts] = 0
        ext = self._work("ext", n, np.int64)
        np.copyto(ext, step)
        last = first_ext + np.add.reduceat(ext, runs.starts)
        ext[runs.starts] = first_ext
        ext[runs.starts[1:]] -= last[:-1]
        np.cumsum(ext, out=ext)
        seen = _Seen(
            self._work,
            runs,
            ext,
            base=np.where(started, cols["base"][slots], first_ext),
            top=np.where(started, cols["max_ext"][slots], first_ext - 1),
            window=np.where(started, cols["window"][slots], _ALL_ONES),
            climbing=climbing,
        )
        cols["started"][slots] = True
        cols["base"][slots] = seen.base
        cols["last_ext"][slots] = ext[runs.ends - 1]
        cols["max_ext"][slots] = seen.new_top
        cols["window"][slots] = seen.new_window
        cols["received"][slots] += runs.lengths
        cols["duplicates"][slots] += seen.duplicates
        cols["out_of_order"][slots] += seen.out_of_order
        generation = cols["generation"]
        holes = self._holes.plus(seen.new_holes(slots, generation))
        if seen.fills is not None:
            holes = holes.mended(seen.fills, slots, generation)
        self._holes = holes.closing(cols, REORDER_WINDOW)

    def _jitter(self, runs: _Runs) -> None:
        """RFC 3550 A.8 over the packets with a clock, as one filter for the batch."""
        cols, work, clock = self._cols, self._work, runs.clock
        timed, rate = clock.timed, clock.rate
        arrival, counts, irregular = runs.arrival, runs.lengths, runs.irregular
        if timed is not None:
            # the packets without a clock (a few a batch) left out: numbered without them
            untimed = np.flatnonzero(~timed)
            before = np.searchsorted(untimed, irregular)
            itself = untimed.take(before, mode="clip") == irregular
            irregular = (irregular - before)[~itself]
            arrival, counts = arrival[timed], clock.timed_lengths
            if isinstance(rate, np.ndarray):
                rate = rate[timed]
        n = arrival.shape[0]
        if n == 0:
            return
        ts32 = runs.timestamps(timed)
        has = counts > 0
        slots, counts = runs.slots[has], counts[has]
        first = np.cumsum(counts) - counts
        last = first + counts - 1
        carried = cols["jitter_started"][slots]
        fresh = first[~carried]
        # D = (capture time step) - (RTP timestamp step) / clock, against the packet before
        step = work("step", n)
        np.subtract(arrival[1:], arrival[:-1], out=step[1:])
        step[first] = arrival[first] - cols["jitter_arrival"][slots]
        advance = work("advance", n)
        ts_step = np.subtract(ts32[1:], ts32[:-1], out=work("ts_step", n, np.uint32)[1:])
        rest, firsts = (rate[1:], rate[first]) if isinstance(rate, np.ndarray) else (rate, rate)
        np.divide(ts_step.view(np.int32), rest, out=advance[1:])
        advance[first] = _signed(ts32[first] - cols["jitter_ts"][slots], 32) / firsts
        np.subtract(step, advance, out=step)
        np.abs(step, out=step)
        jitter = np.multiply(step, JITTER_GAIN, out=work("jitter", n))
        jitter[fresh] = 0.0
        jitter[first] += _DECAY * cols["jitter"][slots]
        position = work("position", n, np.int32)  # in its run
        np.subtract(work.arange(n), np.repeat(first, counts), out=position)
        _decay_scan(work, jitter, position, int(counts.max()))
        cols["jitter"][slots] = jitter[last]
        # mean and maximum over the regular packets after a stream's first
        uncounted = np.union1d(fresh, irregular)
        jitter[uncounted] = 0.0
        cols["jitter_sum"][slots] += np.add.reduceat(jitter, first)
        cols["jitter_count"][slots] += counts - np.bincount(
            np.searchsorted(first, uncounted, side="right") - 1, minlength=counts.shape[0]
        )
        cols["jitter_max"][slots] = np.maximum(
            cols["jitter_max"][slots], np.maximum.reduceat(jitter, first)
        )
        cols["jitter_arrival"][slots] = arrival[last]
        cols["jitter_ts"][slots] = ts32[last]
        cols["jitter_started"][slots] = True

    def _delta(self, runs: _Runs) -> None:
        """Largest capture-time gap between consecutive regular packets."""
        cols, slots = self._cols, runs.slots
        gap = self._work("gap", runs.arrival.shape[0])
        np.subtract(runs.arrival[1:], runs.arrival[:-1], out=gap[1:])
        gap[runs.starts] = runs.arrival[runs.starts] - cols["last_arrival"][slots]
        gap[runs.irregular] = -np.inf
        gap[runs.starts[~runs.carried]] = -np.inf
        cols["max_delta"][slots] = np.maximum(
            cols["max_delta"][slots], np.maximum.reduceat(gap, runs.starts)
        )
        cols["last_arrival"][slots] = runs.arrival[runs.ends - 1]


class _Pending:
    """Segments deferred against one batch's packet arrays."""

    __slots__ = ("clock_rate", "ends", "indexed", "named", "packets", "slots", "starts")

    def __init__(self, packets: tuple[np.ndarray, ...], indexed: bool) -> None:
        self.packets = packets
        self.indexed = indexed
        self.slots: list[np.ndarray] = []
        self.named: set[int] = set()
        """The slots of the segments."""
        self.starts: list[np.ndarray] = []
        self.ends: list[np.ndarray] = []
        self.clock_rate: list[np.ndarray] = []


class _Work:
    """Work arrays kept from batch to batch. A batch's temporaries are about 128 KiB each,
    which glibc malloc serves from fresh mmap'd pages (M_MMAP_THRESHOLD) that fault in on
    every use: reusing them halves the cost of an update."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self._arange = np.arange(0)

    def __call__(self, name: str, n: int, dtype: type = np.float64) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None or array.shape[0] < n or array.dtype != dtype:
            array = np.empty(max(n, 2 * (0 if array is None else array.shape[0])), dtype=dtype)
            self._arrays[name] = array
        return array[:n]

    def arange(self, n: int) -> np.ndarray:
        if self._arange.shape[0] < n:
            self._arange = np.arange(max(n, 2 * self._arange.shape[0]))
        return self._arange[:n]


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
    clock = np.asarray(clock_rate, dtype=np.float64)
    if not slots.shape == starts.shape == ends.shape == clock.shape or slots.ndim != 1:
        raise ValueError("slots, starts, ends and clock_rate differ in shape")
    clock = np.where(np.isfinite(clock) & (clock >= 1.0), clock, 0.0)
    filled = ends > starts
    if not filled.all():
        slots, starts, ends, clock = slots[filled], starts[filled], ends[filled], clock[filled]
    if slots.shape[0] == 0:
        return None
    return slots, starts, ends, clock


class _Runs:
    """The batch's packets with each slot's packets as one run, in arrival order.

    The packet columns are gathered into run order once (``take``: their index in the
    caller's arrays, None where they lie in run order already); RTP timestamps are read
    only for the packets with a clock, through ``take``, as the jitter alone needs them."""

    def __init__(
        self,
        slots: np.ndarray,
        lengths: np.ndarray,
        take: np.ndarray | None,
        seq: np.ndarray,
        ts: np.ndarray,
        arrival: np.ndarray,
        regular: np.ndarray,
        clock: _Clock,
    ) -> None:
        self.slots = slots
        self.lengths = lengths
        self.count = slots.shape[0]
        self.ends = np.cumsum(lengths)
        self.starts = self.ends - lengths
        self.take = take
        self.seq16 = (seq if take is None else seq[take]).astype(np.uint16)
        """Sequence numbers modulo 2**16."""
        self.ts = ts
        """RTP timestamps of the caller's packets (not gathered: see :meth:`timestamps`)."""
        self.arrival = arrival if take is None else arrival[take]
        self.regular = (
            np.ones(lengths.sum(), dtype=bool)
            if regular is None
            else (regular if take is None else regular[take])
        )
        self.irregular = np.flatnonzero(~self.regular)
        """Packets that count towards neither jitter nor delta: few (markers, comfort noise)."""
        self.clock = clock
        self.carried = np.zeros(self.count, dtype=bool)
        """Slots that had packets before this batch."""

    def run_of(self, packets: np.ndarray) -> np.ndarray:
        """The run of each of ``packets`` (indices in run order)."""
        return np.searchsorted(self.ends, packets, side="right")

    def timestamps(self, timed: np.ndarray | None) -> np.ndarray:
        """RTP timestamps modulo 2**32 of the packets ``timed`` marks (None: all)."""
        if self.take is None:
            ts = self.ts if timed is None else self.ts[timed]
        else:
            ts = self.ts[self.take if timed is None else self.take[timed]]
        return ts.astype(np.uint32)

    @classmethod
    def build(
        cls,
        work: _Work,
        slots: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        clock_rate: np.ndarray,
        seq: np.ndarray,
        ts: np.ndarray,
        arrival: np.ndarray,
        regular: np.ndarray | None,
        position: np.ndarray | None,
        indexed: bool = False,
    ) -> _Runs:
        n = seq.shape[0]
        if not seq.shape == ts.shape == arrival.shape == (n,) or (
            regular is not None and regular.shape != (n,)
        ):
            raise ValueError("packet arrays differ in length")
        if position is not None and position.ndim != 1:
            raise ValueError("position is not one-dimensional")
        picks = n
        if indexed and position is not None:
            picks = position.shape[0]
            if picks and _outside(position, n):
                raise ValueError("a position lies outside the packet arrays")
        if starts.min() < 0 or ends.max() > picks:
            raise ValueError("a segment lies outside the packet arrays")
        lengths = ends - starts
        order = np.argsort(slots, kind="stable")
        by_slot = slots[order]
        repeated = bool((by_slot[1:] == by_slot[:-1]).any())
        if (
            not repeated
            and not indexed
            and starts[0] == 0
            and ends[-1] == n
            and bool((starts[1:] == ends[:-1]).all())
        ):
            clock = _Clock.of(clock_rate, lengths)
            return cls(slots, lengths, None, seq, ts, arrival, regular, clock)
        if not repeated:
            order, by_slot = np.arange(slots.shape[0]), slots
        seg_lengths = lengths[order]
        take = _ranges(work, starts[order], seg_lengths)
        clock = _Clock.of(clock_rate[order], seg_lengths)
        first = np.flatnonzero(np.concatenate(([True], by_slot[1:] != by_slot[:-1])))
        run_lengths = np.add.reduceat(seg_lengths, first)
        if clock.timed_lengths is not None:
            clock.timed_lengths = np.add.reduceat(clock.timed_lengths, first)
        if indexed:
            take = position[take]  # type: ignore[index]
        if position is not None and repeated:
            if not indexed and position.shape != (n,):
                raise ValueError("position differs in length from the packet arrays")
            merge = _merge_order(work, take if indexed else position[take], run_lengths)
            if merge is not None:
                mixed, merged = merge
                take[mixed] = take[merged]
                clock.permute(mixed, merged)
        return cls(by_slot[first], run_lengths, take, seq, ts, arrival, regular, clock)


class _Clock:
    """The RTP clock of a batch's packets. Telephone events and packets whose clock is not
    known (rate 0) give no jitter; a batch seldom has more than one rate besides, and then
    the rate is one number rather than a column."""

    def __init__(
        self, rate: float | np.ndarray, timed: np.ndarray | None, timed_lengths: np.ndarray | None
    ) -> None:
        self.rate = rate
        """The one rate of the packets with a clock, or each packet's rate."""
        self.timed = timed
        """By packet, whether it has a clock; None: every packet has."""
        self.timed_lengths = timed_lengths
        """Packets with a clock, by segment and (once built) by run; None: all of them."""

    @classmethod
    def of(cls, rate: np.ndarray, lengths: np.ndarray) -> _Clock:
        """The clock of segments of ``lengths`` packets, one ``rate`` each (0: none)."""
        has = rate > 0
        known = rate[has]
        one = known.shape[0] > 0 and bool((known == known[0]).all())
        every = bool(has.all())
        return cls(
            known.item(0) if one else np.repeat(rate, lengths),
            None if every else np.repeat(has, lengths),
            None if every else lengths * has,
        )

    def permute(self, mixed: np.ndarray, merged: np.ndarray) -> None:
        """Packets ``mixed`` take the clock of packets ``merged`` (a merge of segments)."""
        if isinstance(self.rate, np.ndarray):
            self.rate[mixed] = self.rate[merged]
        if self.timed is not None:
            self.timed[mixed] = self.timed[merged]


def _ranges(work: _Work, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices ``starts[i]:starts[i] + lengths[i]`` for every i, one after the other."""
    offsets = np.cumsum(lengths) - lengths
    indices = np.repeat(starts - offsets, lengths)
    indices += work.arange(indices.shape[0])
    return indices


def _outside(position: np.ndarray, n: int) -> bool:
    """Whether an index in ``position`` lies outside ``0:n``."""
    if position.dtype.kind == "i":
        # negative numbers read as unsigned are beyond any length: one pass, not two
        return bool(position.view(np.dtype(f"u{position.itemsize}")).max() >= n)
    return bool(position.min() < 0 or position.max() >= n)


def _merge_order(
    work: _Work, position: np.ndarray, run_lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(mixed, merged): packets ``mixed`` take the place of packets ``merged`` to put each
    run's packets in position order (None: they are).

    Only runs whose positions fall somewhere inside are sorted: a slot's segments of one
    window (several payload types); its segments of successive windows, and a segment on its
    own, come in arrival order already."""
    run_starts = np.cumsum(run_lengths) - run_lengths
    falls = np.flatnonzero(position[1:] < position[:-1]) + 1
    run = np.searchsorted(run_starts, falls, side="right") - 1
    inner = falls != run_starts[run]
    if not inner.any():
        return None
    runs = np.unique(run[inner])
    lengths = run_lengths[runs]
    mixed = _ranges(work, run_starts[runs], lengths)
    return mixed, mixed[np.lexsort((position[mixed], np.repeat(runs, lengths)))]


class _Seen:
    """One batch against the sequence numbers each stream has received (RFC 3550 A.1, A.3).

    ``top`` is the highest number before the batch, ``window`` the 64-bit word of numbers
    received just below it. Every packet is *ahead* (above all numbers before it in the
    stream), a *fill* (behind, new, and within the window of the highest number when it
    came), a duplicate or an out-of-order straggler.
    """

    def __init__(
        self,
        work: _Work,
        runs: _Runs,
        ext: np.ndarray,
        base: np.ndarray,
        top: np.ndarray,
        window: np.ndarray,
        climbing: np.ndarray,
    ) -> None:
        """``climbing``: by run, whether every packet's number is above the one before it."""
        self.runs, self.ext, self.base, self.top = runs, ext, base, top
        zeros = np.zeros(runs.count, dtype=np.int64)
        self.duplicates = self.out_of_order = zeros
        self.fills: tuple[np.ndarray, np.ndarray] | None = None
        """(run, number) of each fill."""
        starts = runs.starts
        n = ext.shape[0]
        self.stale: np.ndarray | None = None
        """Packets whose number was received before or lies below the window (None: none)."""
        self.new_top = ext[runs.ends - 1]  # a run wholly ahead: its last is the highest
        self.mixed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        """(packet, key, highest key before it) of the runs not wholly ahead, if any."""
        self.ahead = ahead = climbing & (ext[starts] > top)
        if not ahead.all():
            # the other runs (a few a batch: reordering, duplicates, a restart) on their own
            mixed = np.flatnonzero(~ahead)
            lengths = runs.lengths[mixed]
            first = np.cumsum(lengths) - lengths
            pick = _ranges(work, starts[mixed], lengths)
            numbers = ext[pick]
            mixed_top = top[mixed]
            low = np.minimum(np.minimum.reduceat(numbers, first), mixed_top)
            self.new_top[mixed] = high = np.maximum(np.maximum.reduceat(numbers, first), mixed_top)
            span = high - low + 1
            key = np.repeat(np.cumsum(span) - span - low, lengths)
            key += numbers
            # (run, number) as one integer that grows with both: each run has a range of
            # its own, so one running maximum gives the highest key before each packet
            top_key = mixed_top + (key[first] - numbers[first])
            seeded = key.copy()
            seeded[first] = np.maximum(key[first], top_key)
            highest = np.empty_like(key)
            np.maximum.accumulate(seeded[:-1], out=highest[1:])
            highest[first] = top_key
            self.mixed = (pick, key, highest)
            behind = key <= highest
            if behind.any():
                self._classify(pick, key, highest, behind, window)
        # bit k of the window: number new_top - k received. NumPy shifts by 64 or more to 0
        # (numpy/numpy#13739), which drops the numbers that fall out of the window.
        moved = self.new_top - top
        depth = np.repeat(self.new_top, runs.lengths)
        depth -= ext
        bits = np.left_shift(_ONE, depth.view(np.uint64), out=work("bits", n, np.uint64))
        if self.stale is not None:
            bits[self.stale] = 0
        self.new_window = (window << moved.view(np.uint64)) | np.bitwise_or.reduceat(bits, starts)
        self.work = work

    def _classify(
        self,
        pick: np.ndarray,
        key: np.ndarray,
        highest: np.ndarray,
        behind: np.ndarray,
        window: np.ndarray,
    ) -> None:
        """Duplicates, stragglers and fills among the packets ``pick`` takes (the runs not
        wholly ahead), of which ``behind`` are behind; ``key`` and ``highest`` as theirs."""
        runs, ext = self.runs, self.ext
        late_picked = np.flatnonzero(behind)
        late = pick[late_picked]
        run = runs.run_of(late)
        late_key = key[late_picked]
        remembered = (late_key > highest[late_picked] - REORDER_WINDOW) & (
            ext[late] >= self.base[run]
        )
        depth = self.top[run] - ext[late]
        bit = np.clip(depth, 0, 63).astype(np.uint64)
        duplicate = remembered & (depth >= 0) & ((window[run] >> bit) & _ONE).astype(bool)
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
        mends = remembered & ~duplicate
        self.stale = late[~mends]
        if mends.any():
            self.fills = (run[mends], ext[late[mends]])

    def new_holes(self, slots: np.ndarray, generation: np.ndarray) -> _Holes:
        """Runs of numbers skipped by the packets ahead, the first against ``top``: each
        packet ahead skips the numbers between the highest before it and its own. In a run
        wholly ahead that is the packet before it (or ``top``); a packet behind skips none.
        Most batches lose nothing: a run wholly ahead skips numbers only if it climbs by more
        than its number of packets, and only then are its packets looked at."""
        runs, ext = self.runs, self.ext
        if bool((self.ahead & (self.new_top - self.top > runs.lengths)).any()):
            skipped = self.work("skipped", ext.shape[0], np.int64)
            np.subtract(ext[1:], ext[:-1], out=skipped[1:])
            skipped[runs.starts] = ext[runs.starts] - self.top
            if self.mixed is not None:
                pick, key, highest = self.mixed
                skipped[pick] = key - highest
            skip = np.flatnonzero(skipped > 1)
            gap = skipped[skip]
        elif self.mixed is not None:
            pick, key, highest = self.mixed
            skipped = key - highest
            at = np.flatnonzero(skipped > 1)
            skip, gap = pick[at], skipped[at]
        else:
            return _Holes.empty()
        slot = slots[runs.run_of(skip)]
        return _Holes(slot, ext[skip] - gap, ext[skip], generation[slot])


@dataclass(slots=True)
class _Holes:
    """Runs of missing sequence numbers not yet below their stream's window: numbers
    ``low + 1 .. high - 1`` of ``slot`` are missing, ``low`` and ``high`` were received."""

    slot: np.ndarray
    low: np.ndarray
    high: np.ndarray
    generation: np.ndarray

    @classmethod
    def empty(cls) -> _Holes:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, none)

    def plus(self, other: _Holes) -> _Holes:
        if other.slot.shape[0] == 0:
            return self
        return _Holes(
            *(np.concatenate((a, b)) for a, b in zip(self.fields(), other.fields(), strict=True))
        )

    def fields(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.slot, self.low, self.high, self.generation

    def take(self, mask: np.ndarray) -> _Holes:
        return _Holes(*(a[mask] for a in self.fields()))

    def mended(
        self, fills: tuple[np.ndarray, np.ndarray], slots: np.ndarray, generation: np.ndarray
    ) -> _Holes:
        """The holes with late packets put in: each fill splits or shrinks the hole it is in."""
        fill_slot, fill_number = slots[fills[0]], fills[1]
        live = self.generation == generation[self.slot]
        touched = np.isin(self.slot, fill_slot) & live
        hit = self.take(touched)
        kind = np.repeat(np.arange(3), (hit.slot.shape[0], hit.slot.shape[0], fill_slot.shape[0]))
        slot = np.concatenate((hit.slot, hit.slot, fill_slot))
        number = np.concatenate((hit.high, hit.low, fill_number))
        order = np.lexsort((kind, number, slot))
        slot, number, kind = slot[order], number[order], kind[order]
        a, b = slice(None, -1), slice(1, None)
        keep = (slot[a] == slot[b]) & (kind[a] != 0) & (kind[b] != 1) & (number[b] - number[a] > 1)
        split = np.flatnonzero(keep)
        pieces = _Holes(slot[split], number[split], number[split + 1], generation[slot[split]])
        return self.take(~touched & live).plus(pieces)

    def closing(self, cols: dict[str, np.ndarray], width: int) -> _Holes:
        """Count the holes now wholly below their stream's window into ``bursts`` and
        ``max_burst``; the rest stay open. Holes of released slots are dropped."""
        live = self.generation == cols["generation"][self.slot]
        done = live & (self.high <= cols["max_ext"][self.slot] - width)
        if done.any():
            slot = self.slot[done]
            np.add.at(cols["bursts"], slot, 1)
            np.maximum.at(cols["max_burst"], slot, self.high[done] - self.low[done] - 1)
        keep = live & ~done
        return self if keep.all() else self.take(keep)

    def lengths(self, slot: int, generation: int) -> np.ndarray:
        mine = (self.slot == slot) & (self.generation == generation)
        return self.high[mine] - self.low[mine] - 1


def _decay_scan(work: _Work, y: np.ndarray, position: np.ndarray, longest: int) -> None:
    """y[i] = (15/16) y[i-1] + y[i] within each run (``position``: index in its run), in
    place, as a Hillis-Steele scan: after the step of stride k every y[i] holds the terms
    y[i-m], m < 2k. Terms 1024 or more back weigh (15/16)**1024 < 1e-28 of their value and
    are left out."""
    n = y.shape[0]
    carried = work("carried", n)
    factor, stride = _DECAY, 1
    while stride < min(longest, 1024):
        part = np.multiply(y[:-stride], factor, out=carried[: n - stride])
        part[position[stride:] < stride] = 0.0
        y[stride:] += part
        factor *= factor
        stride *= 2


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
    R = Ro - Is - Id - Ie,eff, one-way delay T = Ta = BASE_DELAY_MS + 2 * jitter, round trip
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
    loss = 40.0 * math.log10((1 + t / 10) / (1 + t / 150))
    terv = E_MODEL_TELR - loss + 6 * math.exp(-0.3 * t * t)
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
