"""RTP stream quality: RFC 3550 counters on hand-built streams, the same numbers whatever the
batching, a per-packet reference implementation that agrees, tshark's `rtp,streams` table on
the shared captures, and the E-model MOS."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.capture.reader import open_capture
from callvault.net import NetDecoder
from callvault.rtp.packet import classify, read_headers
from callvault.rtp.quality import (
    REORDER_WINDOW,
    QualityStats,
    QualityTable,
    burst_ratio,
    mos,
)

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"
EPOCH = 1_700_000_000.0


@dataclass(frozen=True)
class Packet:
    seq: int
    ts: int
    arrival: float
    clock: float = 8000.0
    regular: bool = True


def voice(seqs: list[int], first_ts: int = 1000, start: float = EPOCH) -> list[Packet]:
    """20 ms G.711 packets with the given sequence numbers, sent and received on time."""
    out = []
    for i, seq in enumerate(seqs):
        out.append(Packet(seq & 0xFFFF, (first_ts + 160 * i) & 0xFFFFFFFF, start + 0.02 * i))
    return out


def arrays(packets: list[Packet]) -> tuple[np.ndarray, ...]:
    return (
        np.array([p.seq for p in packets], dtype=np.int64),
        np.array([p.ts for p in packets], dtype=np.int64),
        np.array([p.arrival for p in packets], dtype=np.float64),
        np.array([p.regular for p in packets], dtype=bool),
    )


def clock_runs(packets: list[Packet], start: int, end: int) -> list[tuple[int, int]]:
    """Cut packets start:end where the clock rate changes (one clock per segment)."""
    cuts = [start] + [i for i in range(start + 1, end) if packets[i].clock != packets[i - 1].clock]
    return list(zip(cuts, [*cuts[1:], end], strict=True))


def one_segment(packets: list[Packet], codec: str = "PCMU") -> QualityStats:
    """All packets of one stream in one update call."""
    table = QualityTable()
    slot = table.open_slot()
    seq, ts, arrival, regular = arrays(packets)
    runs = clock_runs(packets, 0, len(packets))
    table.update(
        np.full(len(runs), slot),
        np.array([a for a, _ in runs]),
        np.array([b for _, b in runs]),
        seq,
        ts,
        arrival,
        np.array([packets[a].clock for a, _ in runs]),
        regular,
    )
    return table.result(slot, codec)


def reference(packets: list[Packet]) -> dict[str, float]:
    """The counters packet by packet, straight from their definitions (RFC 3550 A.1, A.3,
    A.8; duplicates, reordering and bursts as callvault.rtp.quality documents them)."""
    ext = base = top = None
    seen: set[int] = set()
    kept: set[int] = set()
    duplicates = out_of_order = 0
    jitter, last_timed, jitters = 0.0, None, []
    last_arrival, max_delta = None, 0.0
    for p in packets:
        if ext is None:
            ext = base = p.seq
            top = ext - 1
        else:
            ext += (p.seq - ext + 32768) % 65536 - 32768
        if ext > top:
            kept.add(ext)
            top = ext
        elif ext > top - REORDER_WINDOW and ext >= base and ext in seen:
            duplicates += 1
        else:
            out_of_order += 1
            if ext > top - REORDER_WINDOW and ext >= base:
                kept.add(ext)
        seen.add(ext)
        if p.clock > 0:
            if last_timed is not None:
                ts_step = (p.ts - last_timed[1] + 2**31) % 2**32 - 2**31
                transit_change = (p.arrival - last_timed[0]) - ts_step / p.clock
                jitter += (abs(transit_change) - jitter) / 16
                if p.regular:
                    jitters.append(jitter)
            last_timed = (p.arrival, p.ts)
        if last_arrival is not None and p.regular:
            max_delta = max(max_delta, p.arrival - last_arrival)
        last_arrival = p.arrival
    numbers = sorted(kept)
    holes = [b - a - 1 for a, b in itertools.pairwise(numbers) if b - a > 1]
    return {
        "packets": len(packets),
        "expected": top - base + 1,
        "lost": top - base + 1 - len(packets),
        "duplicates": duplicates,
        "out_of_order": out_of_order,
        "loss_bursts": len(holes),
        "max_burst": max(holes, default=0),
        "jitter_mean_ms": 1000 * sum(jitters) / len(jitters) if jitters else 0.0,
        "jitter_max_ms": 1000 * max(jitters, default=0.0),
        "max_delta_ms": 1000 * max_delta,
    }


def ms(value: float) -> object:
    """A time in ms as read from epoch capture times, whose float steps are 0.24 µs."""
    return pytest.approx(value, rel=1e-6, abs=1e-3)


def assert_matches(stats: QualityStats, expected: dict[str, float]) -> None:
    for name, value in expected.items():
        got = getattr(stats, name)
        if isinstance(value, int):
            assert got == value, name
        else:
            assert got == pytest.approx(value, rel=1e-7, abs=1e-7), name


# --- hand-built streams ------------------------------------------------------------------


def test_clean_stream() -> None:
    stats = one_segment(voice(list(range(100, 150))))
    assert (stats.packets, stats.expected, stats.lost, stats.loss_percent) == (50, 50, 0, 0.0)
    assert (stats.duplicates, stats.out_of_order) == (0, 0)
    assert (stats.loss_bursts, stats.max_burst) == (0, 0)
    assert stats.jitter_mean_ms == ms(0)
    assert stats.max_delta_ms == ms(20)


def test_wrap_at_65535_counts_no_loss() -> None:
    stats = one_segment(voice([65530 + i for i in range(12)]))
    assert (stats.packets, stats.expected, stats.lost, stats.loss_bursts) == (12, 12, 0, 0)


def test_loss_across_the_wrap_is_one_burst() -> None:
    stats = one_segment(voice([65533, 65534, 1, 2, 3]))  # 65535 and 0 missing
    assert (stats.expected, stats.lost, stats.loss_bursts, stats.max_burst) == (7, 2, 1, 2)


def test_duplicates_make_lost_negative_but_not_the_percentage() -> None:
    stats = one_segment(voice([1, 2, 2, 3, 3, 3]))
    assert (stats.packets, stats.expected, stats.lost, stats.duplicates) == (6, 3, -3, 3)
    assert (stats.loss_percent, stats.out_of_order) == (0.0, 0)


def test_late_packet_is_out_of_order_and_mends_its_burst() -> None:
    stats = one_segment(voice([1, 2, 4, 5, 3, 6]))
    assert (stats.lost, stats.out_of_order, stats.duplicates, stats.loss_bursts) == (0, 1, 0, 0)


def test_late_packet_splits_a_burst() -> None:
    stats = one_segment(voice([1, 10, 5, 11]))  # 2-4 and 6-9 stay missing
    assert (stats.lost, stats.loss_bursts, stats.max_burst, stats.out_of_order) == (7, 2, 4, 1)


def test_bursts_count_runs_and_the_longest() -> None:
    stats = one_segment(voice([1, 2, 5, 6, 10, 11, 13]))
    assert (stats.lost, stats.loss_bursts, stats.max_burst) == (6, 3, 3)
    assert stats.loss_percent == pytest.approx(100 * 6 / 13)


def test_straggler_beyond_the_window_neither_duplicates_nor_mends() -> None:
    late = REORDER_WINDOW + 10
    stats = one_segment(voice([1, 2, *range(4, late), 3, 2]))
    assert (stats.lost, stats.out_of_order, stats.duplicates) == (-1, 2, 0)
    assert (stats.loss_bursts, stats.max_burst) == (1, 1)


def test_packets_before_the_first_are_out_of_order_not_lost() -> None:
    stats = one_segment(voice([10, 11, 9, 12]))
    assert (stats.expected, stats.lost, stats.out_of_order, stats.loss_bursts) == (3, -1, 1, 0)


def test_duplicate_arriving_in_a_later_batch() -> None:
    table = QualityTable()
    slot = table.open_slot()
    for packets in (voice([1, 2, 3]), voice([2, 4], start=EPOCH + 1)):
        seq, ts, arrival, _ = arrays(packets)
        table.update([slot], [0], [len(packets)], seq, ts, arrival, [8000])
    stats = table.result(slot)
    assert (stats.packets, stats.duplicates, stats.out_of_order, stats.lost) == (5, 1, 0, -1)


def test_jitter_of_a_known_delay_pattern() -> None:
    """Every other packet 10 ms late: |D| is 10 ms at every packet after the first, so J
    climbs towards 10 ms as 10 (1 - (15/16)^n)."""
    packets = [Packet(i, 160 * i, EPOCH + 0.02 * i + (0.01 if i % 2 else 0.0)) for i in range(40)]
    stats = one_segment(packets)
    values = [10 * (1 - (15 / 16) ** n) for n in range(1, 40)]
    assert stats.jitter_max_ms == ms(values[-1])
    assert stats.jitter_mean_ms == ms(sum(values) / len(values))
    assert stats.max_delta_ms == ms(30)


def test_packets_without_a_clock_give_no_jitter_but_delta() -> None:
    packets = [Packet(i, 0, EPOCH + 0.05 * i, clock=0.0) for i in range(5)]
    stats = one_segment(packets)
    assert (stats.jitter_mean_ms, stats.jitter_max_ms) == (0.0, 0.0)
    assert stats.max_delta_ms == ms(50)


def test_irregular_packets_count_for_loss_not_for_jitter_or_delta() -> None:
    packets = voice(list(range(10)))
    packets[5] = Packet(5, packets[5].ts, packets[5].arrival + 0.5, regular=False)
    stats = one_segment(packets)
    assert stats.max_delta_ms == ms(20)
    late = 500 / 16  # J at the late packet, not counted
    assert stats.jitter_max_ms == ms(15 / 16 * late + 500 / 16)  # next D: -480 - 20 ms


def test_segments_of_one_slot_merge_in_position_order() -> None:
    packets = voice(list(range(20)))
    seq, ts, arrival, _ = arrays(packets)
    even, odd = np.arange(0, 20, 2), np.arange(1, 20, 2)
    order = np.concatenate((even, odd))  # laid out as two segments, one per payload type
    table = QualityTable()
    slot = table.open_slot()
    table.update(
        [slot, slot],
        [0, 10],
        [10, 20],
        seq[order],
        ts[order],
        arrival[order],
        [8000, 8000],
        position=order,
    )
    merged = table.result(slot)
    assert (merged.out_of_order, merged.lost, merged.max_delta_ms) == (0, 0, ms(20))
    table.release(slot)
    slot = table.open_slot()
    table.update(
        [slot, slot], [0, 10], [10, 20], seq[order], ts[order], arrival[order], [8000, 8000]
    )
    assert table.result(slot).out_of_order == 9  # without position: taken in segment order


def test_slots_grow_are_released_and_come_back_fresh() -> None:
    table = QualityTable(capacity=2)
    slots = [table.open_slot() for _ in range(5)]
    assert len(set(slots)) == 5 and len(table) == 5
    packets = voice([1, 5, 6])
    seq, ts, arrival, _ = arrays(packets)
    table.update([slots[3]], [0], [3], seq, ts, arrival, [8000])
    assert table.result(slots[3]).loss_bursts == 1
    table.release(slots[3])
    again = table.open_slot()
    assert again == slots[3]
    assert table.result(again) == QualityStats(0, 0, 0, 0.0, 0, 0, 0, 0, 0.0, 0.0, 0.0, None)
    table.update([again], [0], [3], *arrays(voice([7, 8, 9]))[:3], [8000])
    assert (table.result(again).loss_bursts, table.result(again).packets) == (0, 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t, s: t.update([s + 1], [0], [1], [1], [1], [0.0], [8000]), "not open"),
        (lambda t, s: t.update([s], [0], [2], [1], [1], [0.0], [8000]), "outside"),
        (lambda t, s: t.update([s], [0], [1], [1, 2], [1], [0.0], [8000]), "differ"),
        (lambda t, s: t.update([s], [0, 1], [1], [1], [1], [0.0], [8000]), "differ"),
        (lambda t, s: t.result(s + 1), "not open"),
        (lambda t, s: t.release(-1), "not open"),
    ],
)
def test_misuse_is_a_value_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    table = QualityTable(capacity=4)
    slot = table.open_slot()
    with pytest.raises(ValueError, match=message):
        call(table, slot)


def test_empty_updates_change_nothing() -> None:
    table = QualityTable()
    slot = table.open_slot()
    table.update([], [], [], [], [], [], [])
    table.update([slot], [3], [3], [1, 2, 3], [1, 2, 3], [0.0, 1.0, 2.0], [8000])
    assert table.result(slot).packets == 0


# --- any batching, and the reference ------------------------------------------------------

STEPS = st.one_of(
    st.just(1),
    st.just(1),
    st.just(1),
    st.just(0),
    st.integers(2, 5),
    st.integers(-8, -1),
    st.integers(-100, 100),
    st.integers(-40000, 40000),
)
TIMESTAMP_SLIPS = st.one_of(st.just(0), st.integers(-400, 400), st.integers(-(2**31), 2**31))
ARRIVAL_GAPS = st.one_of(st.just(0.02), st.floats(0, 0.3))


@st.composite
def stream(draw: st.DrawFn) -> list[Packet]:
    n = draw(st.integers(1, 48))
    seq = draw(st.integers(0, 65535))
    ts = draw(st.integers(0, 2**32 - 1))
    arrival = EPOCH + draw(st.floats(0, 10))
    clocks = draw(st.lists(st.sampled_from([8000.0, 8000.0, 48000.0, 0.0]), min_size=1, max_size=3))
    out = []
    for i in range(n):
        out.append(
            Packet(
                seq & 0xFFFF,
                ts & 0xFFFFFFFF,
                arrival,
                clocks[min(i * len(clocks) // n, len(clocks) - 1)],
                draw(st.booleans()) or draw(st.booleans()),
            )
        )
        step = draw(STEPS)
        seq += step
        ts += 160 * step + draw(TIMESTAMP_SLIPS)
        arrival += draw(ARRIVAL_GAPS)
    return out


Segment = tuple[int, int, int]
"""(stream, first packet, end): a piece of one stream that one batch carries."""

Batch = tuple[list[Segment], list[int]]
"""A batch's segments in stream order, and the order in which they lie in the batch."""


@st.composite
def batchings(draw: st.DrawFn, streams: list[list[Packet]]) -> list[Batch]:
    """Randomly cut batches: within a batch a stream may come as several segments (in
    order, each of one clock), streams interleave, and segments lie anywhere.

    One strategy, drawn once: Hypothesis keeps bookkeeping per top-level draw that grows
    with their number, and hundreds of draws per example made the test take minutes."""
    cursor = [0] * len(streams)
    plan: list[Batch] = []
    while any(c < len(s) for c, s in zip(cursor, streams, strict=True)):
        segments: list[Segment] = []
        for k, s in enumerate(streams):
            take = draw(st.integers(0, len(s) - cursor[k]))
            pos = cursor[k]
            cursor[k] += take
            while pos < cursor[k]:
                cut = draw(st.integers(pos + 1, cursor[k]))
                segments.extend((k, a, b) for a, b in clock_runs(s, pos, cut))
                pos = cut
        if segments:
            plan.append((segments, draw(st.permutations(range(len(segments))))))
    return plan


def batched(
    plan: list[Batch], streams: list[list[Packet]], table: QualityTable, slots: list[int]
) -> None:
    """Feed the streams to the table batch by batch as the plan lays them out."""
    for segments, order in plan:
        layout: list[Packet] = []
        starts, ends = [0] * len(segments), [0] * len(segments)
        for i in order:
            k, a, b = segments[i]
            starts[i] = len(layout)
            layout.extend(streams[k][a:b])
            ends[i] = len(layout)
        seq, ts, arrival, regular = arrays(layout)
        table.update(
            np.array([slots[k] for k, _, _ in segments]),
            np.array(starts),
            np.array(ends),
            seq,
            ts,
            arrival,
            np.array([streams[k][a].clock for k, a, _ in segments]),
            regular,
        )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.large_base_example])
@given(st.lists(stream(), min_size=1, max_size=4), st.data())
def test_any_batching_gives_the_reference_numbers(
    streams: list[list[Packet]], data: st.DataObject
) -> None:
    table = QualityTable(capacity=1)
    slots = [table.open_slot() for _ in streams]
    batched(data.draw(batchings(streams)), streams, table, slots)
    for slot, packets in zip(slots, streams, strict=True):
        stats = table.result(slot)
        assert_matches(stats, reference(packets))
        single = one_segment(packets)
        assert (stats.loss_bursts, stats.max_burst, stats.duplicates) == (
            single.loss_bursts,
            single.max_burst,
            single.duplicates,
        )
        assert stats.jitter_mean_ms == pytest.approx(single.jitter_mean_ms, rel=1e-9, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(stream())
def test_jitter_matches_rfc3550_a8_packet_by_packet(packets: list[Packet]) -> None:
    stats, expected = one_segment(packets), reference(packets)
    for name in ("jitter_mean_ms", "jitter_max_ms", "max_delta_ms"):
        assert getattr(stats, name) == pytest.approx(expected[name], rel=1e-9, abs=1e-9), name


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_input_never_raises(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 60))
    table = QualityTable(capacity=1)
    slots = [table.open_slot() for _ in range(data.draw(st.integers(1, 5)))]
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, 8))
        bound = st.integers(0, n)
        table.update(
            np.array(data.draw(st.lists(st.sampled_from(slots), min_size=k, max_size=k))),
            np.array(data.draw(st.lists(bound, min_size=k, max_size=k)), dtype=np.int64),
            np.array(data.draw(st.lists(bound, min_size=k, max_size=k)), dtype=np.int64),
            np.array(
                data.draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n)),
                dtype=np.int64,
            ),
            np.array(
                data.draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n)),
                dtype=np.int64,
            ),
            np.array(
                data.draw(st.lists(st.floats(-1e9, 1e10), min_size=n, max_size=n)), dtype=np.float64
            ),
            np.array(
                data.draw(st.lists(st.floats(allow_nan=True), min_size=k, max_size=k)),
                dtype=np.float64,
            ),
            np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
            np.array(data.draw(st.lists(st.integers(0, n), min_size=n, max_size=n))),
        )
    for slot in slots:
        stats = table.result(slot, data.draw(st.sampled_from(["PCMU", "opus", "x-unknown"])))
        assert stats.packets >= 0 and stats.loss_bursts >= 0
        assert stats.mos is None or 1.0 <= stats.mos <= 4.5


# --- tshark on the shared captures ---------------------------------------------------------

CAPTURES = sorted(
    [
        *TESTDATA.glob("pcaps/*.pcap"),
        *TESTDATA.glob("pcaps/*.pcapng"),
        *TESTDATA.glob("pcaps/*.cap"),
        *TESTDATA.glob("generated/*.pcap"),
    ]
)
RTP_CLOCK = {0: 8000, 8: 8000, 9: 8000, 13: 8000, 18: 8000, 34: 90000}
"""RTP clock of the static payload types in the captures (RFC 3551 §6; G.722's is 8 kHz)."""
DYNAMIC_CLOCK = {
    "invite-opus-bye.pcap": {96: 48000},
    "register-invite-reinvite-bye.pcap": {96: 48000},
    "sip-rtp-opus-hybrid.pcap": {99: 48000},
}
"""Dynamic payload types as the captures' SDP maps them (RFC 7587: Opus runs a 48 kHz clock).
Others (telephone-event, unnamed types) have no clock for tshark either: no jitter."""
ALL = ("packets", "lost", "max_delta_ms", "jitter_mean_ms", "jitter_max_ms")
JITTER = ("jitter_mean_ms", "jitter_max_ms")
TSHARK_DIFFERS: dict[tuple[str, int], tuple[tuple[str, ...], str]] = {
    ("FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 0x0EAF0EAF): (
        ALL,
        "at 64.5 s a re-INVITE moves the call to T.38; tshark (which has the SDP) decodes "
        "the next 2,010 datagrams of these ports as T.38, we keep them in the RTP stream",
    ),
    ("FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 0x17D90134): (
        ALL,
        "the sender restarts its RTP timestamps at 0 at 64.7 s; tshark 4.0 then keeps "
        "measuring delta and jitter against the last packet before the restart (9.2 s of max "
        "delta), we against the packet before",
    ),
    ("h263-over-rtp.pcap", 0x5482ECE0): (
        ("jitter_mean_ms",),
        "tshark's running mean divides by every packet so far but adds only the regular ones "
        "(ui/tap-rtp-analysis.c), which weighs it down when many packets are marked (one "
        "marker per video frame here): 15.505 against our plain mean of 17.525",
    ),
    ("SIP_DTMF2.cap", 0x5711BF84): (
        JITTER,
        "RFC 4733 telephone-events share the audio's SSRC; their timestamp stays at the "
        "event's start, and tshark still takes them as the reference for the next audio "
        "packet, which puts up to an event's length into D (max jitter 15.8 ms); packets "
        "without a media clock stay out of our jitter chain (0.02 ms)",
    ),
}
"""Streams where tshark and we differ by design, with the fields concerned and why."""
_ROW = re.compile(
    r"\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+.+?\s+(\d+)\s+"
    r"(-?\d+)\s+\(-?[\d.]+%\)\s+-?[\d.]+\s+-?[\d.]+\s+(-?[\d.]+)\s+-?[\d.]+\s+(-?[\d.]+)\s+"
    r"(-?[\d.]+)"
)


def tshark_streams(path: Path) -> dict[tuple[str, int, str, int, int], dict[str, float]]:
    out = subprocess.run(
        ["tshark", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-z", "rtp,streams", "-r", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    rows = {}
    for line in out.splitlines():
        if m := _ROW.match(line):
            src, sport, dst, dport, ssrc, pkts, lost, delta, mean, high = m.groups()
            rows[(src, int(sport), dst, int(dport), int(ssrc, 16))] = {
                "packets": int(pkts),
                "lost": int(lost),
                "max_delta_ms": float(delta),
                "jitter_mean_ms": float(mean),
                "jitter_max_ms": float(high),
            }
    return rows


def rtp_by_stream(path: Path) -> dict[tuple[str, int, str, int, int], list[tuple]]:
    """(seq, timestamp, capture time, payload type, marker) per stream, in capture order."""
    decoder = NetDecoder()
    streams: dict[tuple[str, int, str, int, int], list[tuple]] = defaultdict(list)
    with open_capture(path, 4096) as reader:
        for batch in reader:
            d, _ = decoder.decode(batch)
            if len(d) == 0:
                continue
            buf = np.frombuffer(d.data, dtype=np.uint8)
            _, rtp, _ = classify(buf, d.start, d.length)
            h, _ = read_headers(buf, d.start, d.length, np.flatnonzero(rtp))
            text = decoder.addresses.text
            for j, i in enumerate(h.index.tolist()):
                key = (
                    text(int(d.src[i])),
                    int(d.sport[i]),
                    text(int(d.dst[i])),
                    int(d.dport[i]),
                    int(h.ssrc[j]),
                )
                streams[key].append(
                    (
                        int(h.sequence[j]),
                        int(h.timestamp[j]),
                        float(d.ts[i]),
                        int(h.payload_type[j]),
                        bool(h.marker[j]),
                    )
                )
    return streams


def as_tshark_counts(name: str, rows: list[tuple]) -> QualityStats:
    """Our numbers for one stream, regular packets picked as tshark picks them: not marked,
    not comfort noise (RFC 3389, payload type 13) and not right after it."""
    clocks = {**RTP_CLOCK, **DYNAMIC_CLOCK.get(name, {})}
    packets = []
    for k, (seq, ts, arrival, pt, marker) in enumerate(rows):
        after_cn = k > 0 and rows[k - 1][3] == 13
        packets.append(
            Packet(seq, ts, arrival, clocks.get(pt, 0.0), not marker and pt != 13 and not after_cn)
        )
    return one_segment(packets)


def agrees(ours: float, theirs: float, tiny: float) -> bool:
    return abs(ours - theirs) <= max(0.05 * abs(theirs), tiny)


@pytest.mark.testdata
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or [None], ids=lambda p: p.name if p else "none")
def test_streams_agree_with_tshark(capture: Path | None) -> None:
    if capture is None:
        pytest.skip(f"no captures under {TESTDATA} (the shared test data is absent)")
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    theirs = tshark_streams(capture)
    ours = rtp_by_stream(capture)
    differ = []
    for key, row in theirs.items():
        skipped, _ = TSHARK_DIFFERS.get((capture.name, key[4]), ((), ""))
        stats = as_tshark_counts(capture.name, ours[key])
        for field, value in row.items():
            tiny = 1.0 if field in ("packets", "lost") else 0.05
            if field not in skipped and not agrees(getattr(stats, field), value, tiny):
                differ.append(f"{key} {field}: ours {getattr(stats, field)}, tshark {value}")
    assert not differ, "\n".join(differ)


# --- MOS -----------------------------------------------------------------------------------


def test_mos_of_a_clean_g711_call() -> None:
    assert mos("PCMU", 0.0, 0.0) == pytest.approx(4.38, abs=0.02)
    assert mos("PCMA/8000", 0.0, 2.0) == pytest.approx(4.38, abs=0.02)


def test_g729a_loses_more_to_the_same_loss_than_g711() -> None:
    assert mos("G729", 5.0, 0.0) < mos("PCMU", 5.0, 0.0) < mos("PCMU", 0.0, 0.0)
    assert mos("G729", 0.0, 0.0) < mos("PCMU", 0.0, 0.0)  # Ie 11 against 0
    assert mos("G711-NOPLC", 2.0, 0.0) < mos("PCMU", 2.0, 0.0)  # Bpl 4.3 against 25.1


def test_unknown_codec_counts_as_g711() -> None:
    assert mos("x-vendor", 3.0, 10.0) == mos("PCMU", 3.0, 10.0)


@pytest.mark.parametrize("codec", ["PCMU", "G729", "GSM", "iLBC", "G722", "opus"])
def test_mos_falls_with_loss_jitter_and_burstiness(codec: str) -> None:
    losses = [0, 0.5, 1, 2, 5, 10, 20, 50, 100]
    jitters = [0, 5, 20, 50, 100, 200, 500, 2000]
    by_loss = [mos(codec, loss, 10.0) for loss in losses]
    by_jitter = [mos(codec, 1.0, jitter) for jitter in jitters]
    assert by_loss == sorted(by_loss, reverse=True) and by_loss[0] > by_loss[-1]
    assert by_jitter == sorted(by_jitter, reverse=True) and by_jitter[0] > by_jitter[-1]
    assert mos(codec, 5.0, 10.0, burst_ratio=3.0) < mos(codec, 5.0, 10.0)
    assert all(1.0 <= value <= 4.5 for value in by_loss + by_jitter)


def test_burst_ratio_is_one_for_random_loss_and_grows_with_runs() -> None:
    assert burst_ratio(0.0, 0, 0) == 1.0
    assert burst_ratio(1.0, 10, 10) == 1.0  # single losses: no burstier than random
    assert burst_ratio(1.0, 10, 2) == pytest.approx(5 * 0.99)


def test_result_mos_uses_the_streams_loss() -> None:
    stats = one_segment(voice([1, 2, 5, 6, *range(7, 60)]), codec="G729")
    ratio = burst_ratio(stats.loss_percent, 2, 1)
    assert stats.mos == pytest.approx(mos("G729", stats.loss_percent, stats.jitter_mean_ms, ratio))
    assert stats.mos < one_segment(voice(list(range(1, 60))), codec="G729").mos


# --- deferred updates -----------------------------------------------------------------------


def _window_segments() -> tuple[tuple[np.ndarray, ...], list[tuple[int, int, int]]]:
    """Two streams' packets interleaved in one batch (stream a with a loss, a duplicate and a
    late packet), cut into (stream, start, end) segments as the engine's windows cut them:
    each stream's packets of a window together, windows one after the other."""
    rng = np.random.default_rng(7)
    a_seq = [10, 11, 13, 12, 14, 14, 16, 17, 18, 19, 20, 21]
    b_seq = list(range(65530, 65536)) + list(range(0, 6))
    packets: list[tuple[int, Packet]] = []
    for k, seqs in enumerate((a_seq, b_seq)):
        for i, seq in enumerate(seqs):
            arrival = EPOCH + 0.02 * i + 0.003 * k + float(rng.uniform(0, 0.004))
            packets.append((k, Packet(seq, 1000 * k + 160 * i, arrival)))
    packets.sort(key=lambda kp: kp[1].arrival)
    window = [int((p.arrival - EPOCH) // 0.1) for _, p in packets]
    # group order: by window, then stream, arrival order within; position: index in arrival
    order = sorted(range(len(packets)), key=lambda i: (window[i], packets[i][0], i))
    seq, ts, arrival, regular = arrays([packets[i][1] for i in order])
    segments: list[tuple[int, int, int]] = []
    for at, i in enumerate(order):
        key = (window[i], packets[i][0])
        if segments and (window[order[segments[-1][1]]], packets[order[segments[-1][1]]][0]) == key:
            segments[-1] = (segments[-1][0], segments[-1][1], at + 1)
        else:
            segments.append((packets[i][0], at, at + 1))
    return (seq, ts, arrival, regular, np.array(order)), segments


def test_deferred_segments_give_what_window_by_window_updates_give() -> None:
    packets, segments = _window_segments()
    seq, ts, arrival, regular, position = packets
    assert len(segments) > 4  # several windows: each stream comes as several segments
    stepwise, deferred = QualityTable(), QualityTable()
    slots_s = [stepwise.open_slot(), stepwise.open_slot()]
    slots_d = [deferred.open_slot(), deferred.open_slot()]
    for k, start, end in segments:
        stepwise.update([slots_s[k]], [start], [end], seq, ts, arrival, [8000], regular, position)
        deferred.defer(
            np.array([slots_d[k]]), np.array([start]), np.array([end]), np.array([8000]), packets
        )
    for k in (0, 1):
        got, want = deferred.result(slots_d[k]), stepwise.result(slots_s[k])  # result flushes
        # the same sums, added in another order: equal to the last bits or nearly
        assert asdict(got) == pytest.approx(asdict(want), rel=1e-12, abs=1e-12)
        assert (got.packets, got.lost, got.duplicates, got.out_of_order) == (
            want.packets,
            want.lost,
            want.duplicates,
            want.out_of_order,
        )
    assert deferred.result(slots_d[0]).duplicates == 1


def test_indexed_segments_give_what_gathered_segments_give() -> None:
    """The engine hands its packets over in arrival order with the group order beside them
    (``indexed``): the same result as the packets gathered in group order first, float for
    float, with the slots' segments merged back into arrival order."""
    packets, segments = _window_segments()
    seq, ts, arrival, regular, position = packets
    inverse = np.argsort(position)
    in_arrival = (seq[inverse], ts[inverse], arrival[inverse], regular[inverse], position)
    gathered, indexed = QualityTable(), QualityTable()
    slots_g = [gathered.open_slot(), gathered.open_slot()]
    slots_i = [indexed.open_slot(), indexed.open_slot()]
    for k, start, end in segments:
        gathered.defer(
            np.array([slots_g[k]]), np.array([start]), np.array([end]), np.array([8000]), packets
        )
        indexed.defer(
            np.array([slots_i[k]]),
            np.array([start]),
            np.array([end]),
            np.array([8000]),
            in_arrival,
            indexed=True,
        )
    for k in (0, 1):
        assert indexed.result(slots_i[k]) == gathered.result(slots_g[k])
    with pytest.raises(ValueError):
        indexed.update([slots_i[0]], [0], [1], seq, ts, arrival, [8000], indexed=True)


def test_release_and_other_arrays_flush_the_deferred_segments() -> None:
    packets, segments = _window_segments()
    table = QualityTable(capacity=1)
    slot = table.open_slot()
    mine = [(s, e) for k, s, e in segments if k == 0]
    for start, end in mine:
        table.defer(np.array([slot]), np.array([start]), np.array([end]), np.array([8000]), packets)
    table.release(slot)  # flushed into the old stream, not into the slot's next one
    again = table.open_slot()
    assert again == slot and table.result(again).packets == 0
    copy = tuple(np.array(a) for a in packets)  # equal values, other arrays: flushed apart
    for arrays_ in (packets, copy):
        start, end = mine[0]
        table.defer(np.array([slot]), np.array([start]), np.array([end]), np.array([8000]), arrays_)
    assert table.result(slot).packets == 2 * (mine[0][1] - mine[0][0])
