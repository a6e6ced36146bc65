"""The engine: a capture source through the protocol layers to the journal; the only place
that wires them.

    PacketBatch ──NetDecoder──▶ DatagramBatch ──classify──▶ SIP ─┐
                                StreamData (TCP, WS) ─framing──▶ SIP ─┼─▶ Correlator ──▶ on_call(Call)
                                                      RTP/RTCP (grouped per stream) ─┘

Each batch is processed in windows of at most ``WINDOW_S`` of capture time: a window's SIP
first (in capture order), then its RTP, then the timers, so a call is written within a
window of the moment it is over, whatever the size of the input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from callvault.calls.correlator import CallState, Correlator, SipEnvelope
from callvault.calls.media import StreamKey, StreamState
from callvault.calls.model import Call, Side
from callvault.calls.totals import NO_CALL, StreamTotals
from callvault.capture.batch import PacketBatch
from callvault.config import Settings
from callvault.errors import CaptureError, ParseError
from callvault.net.datagram import DatagramBatch, StreamData
from callvault.net.decode import NetDecoder
from callvault.rtp import grouping
from callvault.rtp import packet as rtp
from callvault.rtp.dtmf import event_digit
from callvault.rtp.quality import QualityTable
from callvault.sip.framing import SipStreamFramer
from callvault.sip.message import parse_message
from callvault.sip.sdp import static_payload_name

if TYPE_CHECKING:  # recording is imported only when a recorder is asked for
    from callvault.recording.policy import RecordingPolicy
    from callvault.recording.recorder import Recorder

CN_PAYLOAD_TYPE = 13
"""RFC 3551 §6: comfort noise (RFC 3389)."""
ZRTP_MAGIC = b"ZRTP"
"""RFC 6189 §5: the magic cookie 0x5a525450 at bytes 4-7 of every ZRTP packet."""
WINDOW_S = 1.0
"""Capture seconds processed at once; must stay below Settings.bye_linger_s."""
FRAMER_IDLE_S = 600.0


@dataclass(slots=True)
class _Groups:
    """RTP packets of a batch grouped by (window, stream, payload type); one entry per group."""

    headers: rtp.RtpHeaders
    order: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    window: np.ndarray
    words: np.ndarray
    """The (k1, k2, k3) key words of each group (rows): see :meth:`keys`."""
    hashes: np.ndarray
    """A 64-bit hash of each group's key words."""
    pts: np.ndarray
    counts: np.ndarray
    payload_bytes: np.ndarray
    payload_min: list[int]
    payload_max: list[int]
    """Smallest and largest payload of each group, where a recorder takes the audio."""
    first_at: np.ndarray
    last_at: np.ndarray
    seq_first: np.ndarray
    seq_last: np.ndarray
    quality_packets: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    """(seq, rtp_ts, arrival, regular) in arrival order and ``order``, for QualityTable.defer
    with ``indexed`` (the packets are gathered once, in the quality table's order)."""

    def keys(self, which: slice | np.ndarray) -> list[tuple[int, tuple[int, int, int, int, int]]]:
        """(group, (src, sport, dst, dport, ssrc)) of the groups ``which`` picks: the
        correlator's stream keys."""
        groups = np.arange(self.words.shape[0])[which]
        k1, k2, k3 = self.words[groups].T
        return list(
            zip(
                groups.tolist(),
                zip(
                    (k1 >> np.uint64(8)).tolist(),
                    (k2 & np.uint64(0xFFFF)).tolist(),
                    (k2 >> np.uint64(16)).tolist(),
                    (k3 >> np.uint64(32)).tolist(),
                    (k3 & np.uint64(0xFFFFFFFF)).tolist(),
                    strict=True,
                ),
                strict=True,
            )
        )


@dataclass(slots=True)
class IngestSummary:
    """What one ingest did, for the closing summary."""

    files: int = 0
    bytes: int = 0
    packets: int = 0
    datagrams: int = 0
    sip_messages: int = 0
    rtp_packets: int = 0
    rtcp_packets: int = 0
    calls: int = 0
    unsignalled: int = 0
    streams: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def merge_skips(self, skipped: dict[str, int]) -> None:
        for reason, n in skipped.items():
            self.skip(reason, n)


class Engine:
    """Turns the packet batches of one capture into finished calls."""

    def __init__(
        self,
        settings: Settings,
        on_call: Callable[[Call], None],
        source: str | None = None,
        recorder: Recorder | None = None,
        on_window: Callable[[], None] | None = None,
        on_live: Callable[[str, Call], None] | None = None,
    ) -> None:
        """``on_call`` gets each call the moment it is over; ``on_window``, when given, is
        called after each window (at most ``WINDOW_S`` of capture time) and at the end, so
        that a journal can commit a window's calls together. ``on_live(event, call)`` hears
        of calls in progress (a snapshot without streams): "started" at the first INVITE,
        "updated" when answered, held, resumed, given a new stream or a new recording
        state; without it (and without a recording policy) nothing of this is computed."""
        self.summary = IngestSummary()
        self.net = NetDecoder()
        self._on_call = on_call
        self._on_window = on_window
        self.recorder = recorder
        self.quality = QualityTable()
        self.correlator = Correlator(settings, self.net.addresses, self._emit, source)
        self.correlator.quality = self.quality
        self._channel: dict[Side, int] = {}
        if recorder is not None:
            from callvault.recording.recorder import CHANNEL

            self._channel = CHANNEL
            self.correlator.on_discard = recorder.discard
        self._on_live = on_live
        if on_live is not None or (
            recorder is not None
            and (recorder.recoverable or not _records_everything(recorder.policy))
        ):
            self.correlator.on_live = self._live
        self._framers: dict[tuple[int, int, int, int], tuple[SipStreamFramer, float]] = {}
        self._totals = StreamTotals() if recorder is None else None
        """Stream totals in columns (a recorder takes each group's audio one by one)."""
        self._bound: dict[str, list[StreamState]] = {}
        """Streams in the totals by the uid of their call."""

    def _live(self, event: str, state: CallState) -> None:
        snapshot = self.correlator.snapshot(state)
        if self.recorder is not None:
            if event == "started":
                self.recorder.begin(snapshot)
            else:
                self.recorder.update(snapshot)
        if self._on_live is not None:
            self._on_live(event, snapshot)

    def control(
        self, uid: str, action: str, at_ts: float | None = None, by: str | None = None
    ) -> str:
        """Start, stop, pause or resume the recording of call ``uid`` in progress, at capture
        time ``at_ts`` (default: the latest capture time seen); returns its new state.
        ControlError (callvault.recording.recorder) when it cannot apply."""
        from callvault.recording.recorder import ControlError

        if self.recorder is None:
            raise ControlError("this engine does not record audio")
        at = self.correlator.now if at_ts is None else at_ts
        state = self.recorder.control(uid, action, at, by)
        if self._on_live is not None:
            for call in self.correlator.calls.values():
                if call.uid == uid:
                    self._on_live("updated", self.correlator.snapshot(call))
                    break
        return state

    def _emit(self, call: Call) -> None:
        self.summary.streams += len(call.streams)
        self._release_streams(call.uid)
        if self.recorder is not None:
            self.recorder.finish(call)  # the recording is closed before its row is written
        self._on_call(call)

    # ---- input ---------------------------------------------------------------------------

    def feed(self, batch: PacketBatch) -> None:
        if len(batch) == 0:
            return
        self.summary.packets += len(batch)
        dgrams, chunks = self.net.decode(batch)
        if len(dgrams) > 1 and bool((np.diff(dgrams.ts) < 0).any()):
            dgrams = _sorted_by_time(dgrams)
        self.summary.datagrams += len(dgrams)
        sip = self._sip_from_datagrams(dgrams) + self._sip_from_streams(chunks)
        sip.sort(key=lambda env: env.ts)
        self._process(dgrams, sip)

    def feed_datagrams(
        self,
        batch: DatagramBatch,
        chunks: Iterable[StreamData] = (),
        now: float | None = None,
    ) -> None:
        """Datagrams a live recorder received on its own sockets (no link or IP layers to
        decode), with SIP it exchanged over TCP as ``chunks`` (whole messages are fine).

        ``now`` (the wall clock of a live source) moves the timers on even when nothing
        arrived: a call is over ``bye_linger_s`` after its BYE whether or not more packets
        follow, which in a capture the next packets' time would say.
        """
        if len(batch) > 1 and bool((np.diff(batch.ts) < 0).any()):
            batch = _sorted_by_time(batch)
        self.summary.datagrams += len(batch)
        sip = self._sip_from_datagrams(batch) + self._sip_from_streams(chunks)
        sip.sort(key=lambda env: env.ts)
        self._process(batch, sip)
        if now is not None:
            self.correlator.tick(now)
            self._sweep_streams()
            if self.recorder is not None:
                self.recorder.tick(now)
            if self._on_window is not None:
                self._on_window()

    def close(self) -> IngestSummary:
        """End of input: every call still in progress is written."""
        held = self.net.flush()  # data held behind TCP holes; incomplete fragments counted
        if held:
            self._masks = (np.zeros(0, bool),) * 3
            self._process(
                DatagramBatch.empty(), sorted(self._sip_from_streams(held), key=lambda e: e.ts)
            )
        self.correlator.close()
        self._sweep_streams()
        if self.recorder is not None:
            self.recorder.abandon()
        for framer, _ in self._framers.values():
            self._count_framer(framer)
        self._framers.clear()
        self._collect_counters()
        if self._on_window is not None:
            self._on_window()
        return self.summary

    def _collect_counters(self) -> None:
        s = self.summary
        s.sip_messages = self.correlator.counters.sip_messages
        s.calls = self.correlator.counters.calls
        s.unsignalled = self.correlator.counters.unsignalled
        s.merge_skips(self.net.counters.skipped)
        s.merge_skips(self.correlator.counters.skipped)
        self.net.counters.skipped.clear()
        self.correlator.counters.skipped.clear()
        if self.recorder is not None:
            s.merge_skips(self.recorder.skipped)
            self.recorder.skipped.clear()

    # ---- SIP -----------------------------------------------------------------------------

    def _sip_from_datagrams(self, d: DatagramBatch) -> list[SipEnvelope]:
        if len(d) == 0:
            self._masks = (np.zeros(0, bool),) * 3
            return []
        buf = np.frombuffer(d.data, dtype=np.uint8)
        sip_mask, rtp_mask, rtcp_mask = rtp.classify(buf, d.start, d.length, d.lead)
        self._masks = (sip_mask, rtp_mask, rtcp_mask)
        known = sip_mask | rtp_mask | rtcp_mask  # the three never overlap
        other = ~known & (d.length >= 12)
        zrtp = np.flatnonzero(other)
        if zrtp.size:
            magic = buf[(d.start[zrtp] + 4)[:, None] + np.arange(4)]
            zrtp = zrtp[(magic == np.frombuffer(ZRTP_MAGIC, np.uint8)).all(axis=1)]
            for i in zrtp.tolist():
                self.correlator.encrypted_media(
                    (int(d.src[i]), int(d.sport[i])),
                    (int(d.dst[i]), int(d.dport[i])),
                    "encrypted (ZRTP)",
                )
            self.summary.skip("zrtp key agreement", int(zrtp.size))
        neither = len(d) - int(np.count_nonzero(known)) - int(zrtp.size)
        self.summary.skip("udp neither SIP nor RTP", neither)
        out = []
        index = np.flatnonzero(sip_mask)
        data, parse = d.data, self._parse_sip
        # the columns as Python lists at once rather than a NumPy scalar read per field and
        # message (seven of them, ≈ 1 µs a message)
        for start, length, ts, src, sport, dst, dport in zip(
            d.start[index].tolist(),
            d.length[index].tolist(),
            d.ts[index].tolist(),
            d.src[index].tolist(),
            d.sport[index].tolist(),
            d.dst[index].tolist(),
            d.dport[index].tolist(),
            strict=True,
        ):
            env = parse(data[start : start + length], ts, "udp", src, sport, dst, dport)
            if env is not None:
                out.append(env)
        return out

    def _parse_sip(
        self, data: bytes, ts: float, transport: str, src: int, sport: int, dst: int, dport: int
    ) -> SipEnvelope | None:
        if not data or data.isspace():
            return None  # CRLF keep-alive (RFC 5626 §3.5.1)
        if not _looks_like_sip(data):
            self.summary.skip(f"{transport} neither SIP nor RTP")
            return None
        try:
            message = parse_message(data)
        except ParseError:
            self.summary.skip("malformed SIP")
            return None
        return SipEnvelope(ts, message, transport, src, sport, dst, dport)

    def _sip_from_streams(self, chunks: Iterable[StreamData]) -> list[SipEnvelope]:
        out = []
        for c in chunks:
            if c.transport == "ws":
                env = self._parse_sip(c.data, c.ts, "ws", c.src, c.sport, c.dst, c.dport)
                if env is not None:
                    out.append(env)
                continue
            if c.transport != "tcp":
                self.summary.skip(f"{c.transport} stream data")
                continue
            key = (c.src, c.sport, c.dst, c.dport)
            framer = self._framers[key][0] if key in self._framers else SipStreamFramer()
            self._framers[key] = (framer, c.ts)
            if c.gap_before:
                framer.resync()  # bytes are missing: skip to the next SIP start line
            messages = framer.feed(c.data)
            for data in messages:
                env = self._parse_sip(data, c.ts, "tcp", c.src, c.sport, c.dst, c.dport)
                if env is not None:
                    out.append(env)
        return out

    def _expire_framers(self, now: float) -> None:
        stale = [k for k, (_, seen) in self._framers.items() if now - seen > FRAMER_IDLE_S]
        for key in stale:
            self._count_framer(self._framers.pop(key)[0])

    def _count_framer(self, framer: SipStreamFramer) -> None:
        for reason, n in framer.drops.items():
            self.summary.skip(f"sip over tcp: {reason}", n)
        framer.drops.clear()

    # ---- windows -------------------------------------------------------------------------

    def _process(self, d: DatagramBatch, sip: list[SipEnvelope]) -> None:
        sip_ts = np.array([e.ts for e in sip], dtype=np.float64)
        if len(d) == 0 and not sip:
            return
        origin = float(min(d.ts[0] if len(d) else np.inf, sip_ts[0] if sip else np.inf))
        last = float(max(d.ts[-1] if len(d) else -np.inf, sip_ts[-1] if sip else -np.inf))
        d_window = np.floor((d.ts - origin) / WINDOW_S).astype(np.int64)
        sip_window = np.floor((sip_ts - origin) / WINDOW_S).astype(np.int64)
        groups = self._rtp_groups(d, d_window)
        _, _, rtcp_mask = self._masks
        rtcp_index = np.flatnonzero(rtcp_mask)
        rtcp_window = d_window[rtcp_index]
        # The windows with packets, in order (np.union1d's np.unique imports numpy.ma at
        # its first call, ≈ 25-55 ms of start-up).
        windows = np.sort(np.concatenate((d_window, sip_window)))
        for w in windows[np.diff(windows, prepend=windows[:1] - 1) != 0].tolist():
            lo, hi = np.searchsorted(sip_window, (w, w + 1))
            for env in sip[lo:hi]:
                self.correlator.on_sip(env)
            if groups is not None:
                lo, hi = np.searchsorted(groups.window, (w, w + 1))
                if hi > lo:
                    self._apply_groups(d, groups, int(lo), int(hi))
            lo, hi = np.searchsorted(rtcp_window, (w, w + 1))
            if hi > lo:
                self._rtcp(d, rtcp_index[lo:hi])
            now = min(origin + (w + 1) * WINDOW_S, last)
            self.correlator.tick(now)
            self._sweep_streams()
            if self.recorder is not None:
                self.recorder.tick(now)
            if self._on_window is not None:
                self._on_window()
        self.quality.flush()
        self._expire_framers(last)

    def _rtp_groups(self, d: DatagramBatch, window: np.ndarray) -> _Groups | None:
        """RTP of the batch parsed and grouped by (window, stream, payload type) at once."""
        _, rtp_mask, _ = self._masks
        index = np.flatnonzero(rtp_mask)
        if index.size == 0:
            return None
        buf = np.frombuffer(d.data, dtype=np.uint8)
        headers, bad = rtp.read_headers(buf, d.start, d.length, index, d.lead)
        self.summary.skip("malformed RTP", int(bad.size))
        n = headers.index.size
        if n == 0:
            return None
        self.summary.rtp_packets += n
        idx = headers.index
        # (take: see _sorted_groups; the destination and source port are put together
        # before they are gathered, one gather instead of two)
        k0 = window.take(idx)
        k1 = (d.src.take(idx) << np.uint64(8)) | headers.payload_type.astype(np.uint64)
        k2 = ((d.dst << np.uint64(16)) | d.sport.astype(np.uint64)).take(idx)
        k3 = (d.dport.take(idx).astype(np.uint64) << np.uint64(32)) | headers.ssrc.astype(np.uint64)
        order, starts, (group_window, *group_words) = _sorted_groups(k0, k1, k2, k3)
        ends = np.append(starts[1:], n)
        arrival = d.ts.take(idx)
        first, last = order[starts], order[ends - 1]
        # as tshark: marker packets (a talkspurt's first) and comfort noise do not count
        # towards jitter and delta
        regular = ~headers.marker & (headers.payload_type != CN_PAYLOAD_TYPE)
        words = np.stack(group_words, axis=1)
        lengths = headers.payload_length.take(order)
        sizes: tuple[list[int], list[int]] = ([], [])  # read by the recorder alone
        if self.recorder is not None:
            sizes = (
                np.minimum.reduceat(lengths, starts).tolist(),
                np.maximum.reduceat(lengths, starts).tolist(),
            )
        return _Groups(
            headers=headers,
            order=order,
            starts=starts,
            ends=ends,
            window=group_window,
            words=words,
            hashes=_mix(words[:, 0], words[:, 1], words[:, 2]),
            pts=(words[:, 0] & np.uint64(0xFF)).astype(np.int64),
            counts=ends - starts,
            payload_bytes=np.add.reduceat(lengths, starts),
            payload_min=sizes[0],
            payload_max=sizes[1],
            first_at=arrival[first],
            last_at=arrival[last],
            seq_first=headers.sequence[first],
            seq_last=headers.sequence[last],
            quality_packets=(headers.sequence, headers.timestamp, arrival, regular, order),
        )

    def _apply_groups(self, d: DatagramBatch, g: _Groups, lo: int, hi: int) -> None:
        """Add a window's RTP groups to their streams: at once, in the stream totals' columns,
        where no recorder needs each group's audio."""
        if self._totals is not None:
            self._apply_columns(d, g, lo, hi)
        else:
            self._apply_each(d, g, lo, hi)

    def _apply_columns(self, d: DatagramBatch, g: _Groups, lo: int, hi: int) -> None:
        """A window's groups: lanes found by key at once, the few new ones one by one, the
        totals and quality segments added with NumPy; then what they tell the calls
        (:meth:`_follow_calls`)."""
        totals = self._totals
        assert totals is not None
        window = slice(lo, hi)
        lanes = totals.find(g.hashes[window], g.words[window])
        missing = np.flatnonzero(lanes < 0)
        if missing.shape[0]:
            lanes[missing] = [self._open_lane(g, i, key) for i, key in g.keys(missing + lo)]
        kept = np.flatnonzero(lanes >= 0)
        if kept.shape[0] == 0:
            return
        chosen = kept + lo
        lanes = lanes[kept]
        totals.add(
            lanes,
            g.counts[chosen],
            g.payload_bytes[chosen],
            g.last_at[chosen],
            g.seq_first[chosen],
            g.seq_last[chosen],
        )
        # advanced once per batch (or before a stream's quality is read), not per window
        self.quality.defer(
            totals.lane_slot[lanes],
            g.starts[chosen],
            g.ends[chosen],
            totals.lane_clock[lanes],
            g.quality_packets,
            indexed=True,
        )
        self._follow_calls(d, g, chosen, lanes)

    def _follow_calls(
        self, d: DatagramBatch, g: _Groups, chosen: np.ndarray, lanes: np.ndarray
    ) -> None:
        """What a window's groups (``chosen``, in their ``lanes``) tell the calls: each call's
        last activity (once a call, from the latest of its groups), telephone events, and
        the conversations of unsignalled media, as :meth:`_apply_each` does group by group
        (the three touch different state, so each keeps only its own order)."""
        totals = self._totals
        assert totals is not None
        last = g.last_at[chosen]
        serial = totals.lane_serial[lanes]
        by_call = np.argsort(serial)
        ordered = serial[by_call]
        new_call = np.empty(ordered.shape[0], dtype=bool)
        new_call[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new_call[1:])
        heads = np.flatnonzero(new_call)
        latest = np.maximum.reduceat(last[by_call], heads)
        lane_call, lane_stream = totals.lane_call, totals.lane_stream
        event_pts: set[int] = set()
        for lane, at in zip(lanes[by_call[heads]].tolist(), latest.tolist(), strict=True):
            call = lane_call[lane]
            if call is None:  # the lanes opened before their stream had a call: below
                continue
            if at > call.last_activity:
                call.last_activity = at
            event_pts |= call.event_pts
        pending = np.flatnonzero(serial == NO_CALL)
        for k, lane in zip(pending.tolist(), lanes[pending].tolist(), strict=True):
            stream = lane_stream[lane]
            assert stream is not None
            call = stream.call
            if call is None:
                self.correlator.rtp_activity(stream)
                continue
            if last.item(k) > call.last_activity:
                call.last_activity = last.item(k)
            event_pts |= call.event_pts
        if not event_pts:
            return
        pts = g.pts[chosen]
        events = np.zeros(pts.shape[0], dtype=bool)
        for pt in event_pts:  # one or two payload types
            events |= pts == pt
        candidates = np.flatnonzero(events)
        groups, streams = [], []
        for k, i, lane in zip(
            candidates.tolist(),
            chosen[candidates].tolist(),
            lanes[candidates].tolist(),
            strict=True,
        ):
            stream = lane_stream[lane]
            assert stream is not None
            if stream.call is not None and pts.item(k) in stream.call.event_pts:
                groups.append(i)
                streams.append(stream)
        if groups:
            self._telephone_events(d, g, groups, streams)

    def _open_lane(self, g: _Groups, i: int, key: StreamKey) -> int:
        """The lane of group ``i`` (stream ``key``), which the totals do not know: its stream
        found or made by the correlator (and bound), -1 for media of a call already written."""
        totals = self._totals
        assert totals is not None
        stream = self.correlator.streams.get(key)
        if stream is None:
            stream = self.correlator.stream_for(key, g.first_at.item(i))
            if stream is None:
                self.summary.skip("rtp of a call already written", g.counts.item(i))
                return -1
        if stream.row < 0:
            totals.bind(stream)
            self._bound.setdefault(self._owner(stream), []).append(stream)
        if stream.quality_slot is None:
            stream.quality_slot = self.quality.open_slot()
        pt = g.pts.item(i)
        clock = stream.clocks.get(pt)
        if clock is None:
            clock = stream.clocks[pt] = self.correlator.clock_rate(stream, pt)
        lane = totals.lane(stream, pt)
        totals.lane_slot[lane] = stream.quality_slot
        totals.lane_clock[lane] = clock
        words = g.words[i]
        totals.key(lane, (int(words[0]), int(words[1]), int(words[2])), g.hashes.item(i))
        return lane

    @staticmethod
    def _owner(stream: StreamState) -> str:
        """The uid of the call that will take ``stream`` to the journal ("" for unsignalled
        media: :meth:`_sweep_streams` finds those)."""
        return "" if stream.call is None else stream.call.uid

    def _release_streams(self, uid: str) -> None:
        """The streams of a call just written leave the totals (they were read already)."""
        totals = self._totals
        if totals is None:
            return
        for stream in self._bound.pop(uid, ()):
            if stream.row >= 0:
                totals.unbind(stream)

    def _sweep_streams(self) -> None:
        """Streams the correlator let go without writing them (a conversation too short to
        keep, a stream adopted by a call) leave the totals."""
        totals = self._totals
        if totals is None or totals.count == len(self.correlator.streams):
            return
        alive = self.correlator.streams
        for stream in [s for s in totals.bound if s is not None]:
            if alive.get(stream.key) is not stream:
                totals.unbind(stream)
        for uid in [u for u, streams in self._bound.items() if all(s.row < 0 for s in streams)]:
            del self._bound[uid]

    def _apply_each(self, d: DatagramBatch, g: _Groups, lo: int, hi: int) -> None:
        """Add a window's RTP groups to their streams one by one (with a recorder)."""
        correlator = self.correlator
        recorder = self.recorder
        channel = self._channel
        audio: list = []  # type: ignore[type-arg]
        q_slots: list[int] = []
        q_groups: list[int] = []
        q_clocks: list[int] = []
        quality = self.quality
        streams = correlator.streams
        window = slice(lo, hi)
        for i, key, pt, n, size, first, last, seq_first, seq_last in zip(
            range(lo, hi),
            [key for _, key in g.keys(window)],
            g.pts[window].tolist(),
            g.counts[window].tolist(),
            g.payload_bytes[window].tolist(),
            g.first_at[window].tolist(),
            g.last_at[window].tolist(),
            g.seq_first[window].tolist(),
            g.seq_last[window].tolist(),
            strict=True,
        ):
            stream = streams.get(key)
            if stream is None:
                stream = correlator.stream_for(key, first)
                if stream is None:
                    self.summary.skip("rtp of a call already written", n)
                    continue
            stream.packets += n
            stream.bytes += size
            by_pt = stream.packets_by_pt
            by_pt[pt] = by_pt.get(pt, 0) + n
            if last > stream.last_at:
                stream.last_at = last
            if stream.seq_first is None:
                stream.seq_first = seq_first
            stream.seq_last = seq_last
            if stream.quality_slot is None:
                stream.quality_slot = quality.open_slot()
            clock = stream.clocks.get(pt)
            if clock is None:
                clock = stream.clocks[pt] = correlator.clock_rate(stream, pt)
            q_slots.append(stream.quality_slot)
            q_groups.append(i)
            q_clocks.append(clock)
            call = stream.call
            if call is None:
                conv = correlator.rtp_activity(stream)
                if recorder is not None and conv is not None:
                    target = recorder.source_for(
                        conv.uid,
                        conv.started_at,
                        stream,
                        pt,
                        static_payload_name(pt),
                        correlator.sealed_reason(stream),
                    )
                    if target is not None:
                        audio.append((*target, channel[stream.side], i))
                continue
            if last > call.last_activity:
                call.last_activity = last
            if pt in call.event_pts:
                self._telephone_events(d, g, [i], [stream])
            elif recorder is not None:
                receiver = Side.CALLEE if stream.side is Side.CALLER else Side.CALLER
                codec = call.payload_name(pt, receiver) or static_payload_name(pt)
                target = recorder.source_for(
                    call.uid, call.started_at, stream, pt, codec, correlator.sealed_reason(stream)
                )
                if target is not None:
                    audio.append((*target, channel[stream.side], i))
        if q_groups:
            chosen = np.array(q_groups)
            # advanced once per batch (or before a stream's quality is read), not per window
            self.quality.defer(
                np.array(q_slots),
                g.starts[chosen],
                g.ends[chosen],
                np.array(q_clocks),
                g.quality_packets,
                indexed=True,
            )
        if audio:
            self._record(d, g, audio)

    def _record(self, d: DatagramBatch, g: _Groups, audio: list) -> None:  # type: ignore[type-arg]
        """A window's audio: G.711 groups of one payload size together, the rest one by one."""
        assert self.recorder is not None
        h = g.headers
        by_length: dict[int, list] = {}  # type: ignore[type-arg]
        for rec, source, channel, i in audio:
            length = g.payload_min[i]
            if source.law is not None and length == g.payload_max[i] and length > 0:
                by_length.setdefault(length, []).append((rec, source, channel, i))
                continue
            members = g.order[g.starts[i] : g.ends[i]]
            self.recorder.packets_from(
                rec,
                source,
                channel,
                d.data,
                h.payload_start[members],
                h.payload_length[members],
                h.timestamp[members],
                d.ts[h.index[members]],
            )
        for length, items in by_length.items():
            members = [g.order[g.starts[i] : g.ends[i]] for *_, i in items]
            every = np.concatenate(members)
            self.recorder.write_g711(
                d.data,
                [(rec, source, channel) for rec, source, channel, _ in items],
                members,
                h.timestamp[every],
                d.ts[h.index[every]],
                h.payload_start[every],
                length,
            )

    def _telephone_events(
        self, d: DatagramBatch, g: _Groups, groups: list[int], streams: list[StreamState]
    ) -> None:
        """RFC 4733 events of some groups (in group order, with their streams): a digit
        where an event timestamp is new (§2.5). The groups' packets are read at once."""
        headers = g.headers
        members = np.concatenate([g.order[g.starts[i] : g.ends[i]] for i in groups])
        owner = np.repeat(np.arange(len(groups)), g.counts[groups])
        ok = headers.payload_length[members] >= 4  # RFC 4733 §2.3: a 4-byte event payload
        malformed = ok.shape[0] - int(np.count_nonzero(ok))
        if malformed:
            self.summary.skip("malformed telephone-event", malformed)
            members, owner = members[ok], owner[ok]
            if members.shape[0] == 0:
                return
        stamps = headers.timestamp[members]
        new = np.empty(members.shape[0], dtype=bool)
        np.not_equal(stamps[1:], stamps[:-1], out=new[1:])
        # each group's first packet against its stream's last event (a stream's groups
        # follow one another: the second sees the first's last)
        heads = np.flatnonzero(np.diff(owner, prepend=-1))
        tails = np.append(heads[1:], owner.shape[0]) - 1
        for k, head, tail in zip(
            owner[heads].tolist(), heads.tolist(), tails.tolist(), strict=True
        ):
            stream = streams[k]
            stamp = stamps.item(head)
            new[head] = stream.last_event_ts is None or stamp != stream.last_event_ts
            stream.last_event_ts = stamps.item(tail)
        members = members[new]
        codes = np.frombuffer(d.data, dtype=np.uint8)[headers.payload_start[members]]
        times = d.ts[headers.index[members]]
        dtmf = self.correlator.dtmf
        for at, code, k in zip(times.tolist(), codes.tolist(), owner[new].tolist(), strict=True):
            digit = event_digit(code)
            if digit:
                dtmf(streams[k], at, digit)

    def _rtcp(self, d: DatagramBatch, index: np.ndarray) -> None:
        self.summary.rtcp_packets += int(index.size)
        keys: dict[tuple[int, int, int, int], int] = {}
        for i in index.tolist():
            k = (int(d.src[i]), int(d.sport[i]), int(d.dst[i]), int(d.dport[i]))
            keys[k] = keys.get(k, 0) + 1
        for (src, sport, dst, dport), n in keys.items():
            if not self.correlator.rtcp((src, sport), (dst, dport), n):
                self.summary.skip("rtcp outside calls", n)


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _mix(k1: np.ndarray, k2: np.ndarray, k3: np.ndarray) -> np.ndarray:
    """A 64-bit hash of three key words."""
    mixed = (k1 * _MIX[0]) ^ (k2 * _MIX[1]) ^ (k3 * _MIX[2])
    mixed ^= mixed >> np.uint64(29)
    return mixed


def _group_order(window: np.ndarray, k1: np.ndarray, k2: np.ndarray, k3: np.ndarray) -> np.ndarray:
    """A stable order that puts each (window, k1, k2, k3) together, windows ascending."""
    return _sorted_groups(window, k1, k2, k3)[0]


def _sorted_groups(
    window: np.ndarray, k1: np.ndarray, k2: np.ndarray, k3: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(order, where each group starts, the four keys of each group): :func:`_group_order`
    with what the grouping reads next.

    One stable sort on (window rank, 40-bit hash of the keys) instead of a four-key lexsort;
    groups start where that word changes, and if two different keys ever share a hash
    within a window (key words that change inside a group), fall back to the lexsort.
    Windows in ascending order and not too many of them: the order from a 16-bit radix sort
    (grouping.hash_order). Else, where the rank, the hash and a packet's position fit one
    64-bit word together, that word is sorted by value (SIMD sort, several times faster than
    a stable argsort) and the position read back from its low bits: the same order.
    Gathers are ``take`` (a third cheaper than indexing with an integer array).
    """
    # Windows come ascending (datagrams are in time order): their offset from the first is
    # already a rank, unless the batch spans more windows than 24 bits hold.
    span = int(window[-1] - window[0])
    ascending = 0 <= span < (1 << 24) and bool((window[1:] >= window[:-1]).all())
    ranks = window - window[0] if ascending else np.unique(window, return_inverse=True)[1]
    hashes = _mix(k1, k2, k3) & np.uint64((1 << grouping.HASH_BITS) - 1)
    sort_key = (ranks.astype(np.uint64) << np.uint64(grouping.HASH_BITS)) | hashes
    n = sort_key.shape[0]
    position_bits = max(1, (n - 1).bit_length())
    order = grouping.hash_order(ranks, hashes) if ascending else None
    if order is not None:
        h = sort_key.take(order)
    elif int(ranks.max(initial=0)).bit_length() + 40 + position_bits <= 64:
        shift = np.uint64(position_bits)
        packed = np.sort((sort_key << shift) | np.arange(n, dtype=np.uint64))
        order = (packed & np.uint64((1 << position_bits) - 1)).astype(np.intp)
        h = packed >> shift
    else:
        order = np.argsort(sort_key, kind="stable")
        h = sort_key.take(order)
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(h[1:], h[:-1], out=change[1:])
    same = ~change[1:]
    ordered = []
    differs = np.empty(n - 1, dtype=bool)
    for k in (k1, k2, k3):
        sorted_k = k.take(order)
        np.not_equal(sorted_k[1:], sorted_k[:-1], out=differs)
        differs &= same
        if differs.any():  # two keys share a hash
            order = np.lexsort((k3, k2, k1, window))
            keys, change = _changes((window, k1, k2, k3), order)
            starts = np.flatnonzero(change)
            return order, starts, tuple(k[starts] for k in keys)
        ordered.append(sorted_k)
    starts = np.flatnonzero(change)
    return order, starts, (window.take(order.take(starts)), *(k[starts] for k in ordered))


def _changes(
    keys: tuple[np.ndarray, ...], order: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The keys in ``order``, and where any of them differs from the packet before."""
    ordered = tuple(k[order] for k in keys)
    change = np.empty(order.shape[0], dtype=bool)
    change[0] = True
    first = ordered[0]
    np.not_equal(first[1:], first[:-1], out=change[1:])
    for k in ordered[1:]:
        change[1:] |= k[1:] != k[:-1]
    return ordered, change


def _records_everything(policy: RecordingPolicy | None) -> bool:
    return policy is None or policy.records_everything


def _decoder_factory():  # type: ignore[no-untyped-def]
    """The codec library's decoders where it is installed (G.711 needs none)."""
    try:
        from callvault.codecs.registry import decoder_for
    except ImportError:
        return None
    return decoder_for


def _looks_like_sip(data: bytes) -> bool:
    """A SIP start line: "SIP/2.0 …" (status line) or "… SIP/2.0" (request line, RFC 3261 §7.1).

    Keeps MGCP, DNS and other text-ish UDP that starts with a capital out of the SIP parser.
    """
    if data[:4].upper() == b"SIP/":
        return True
    eol = data.find(b"\n", 0, 1024)
    line = data[: eol if eol >= 0 else 1024].rstrip(b"\r \t")
    return line[-8:].upper() == b" SIP/2.0"


def _sorted_by_time(d: DatagramBatch) -> DatagramBatch:
    """Capture order is not always time order (merged interfaces); windows need time order."""
    order = np.argsort(d.ts, kind="stable")
    return DatagramBatch(
        d.data,
        d.ts[order],
        d.start[order],
        d.length[order],
        d.src[order],
        d.dst[order],
        d.sport[order],
        d.dport[order],
        None if d.lead is None else d.lead[:, order],
    )


ProgressCallback = Callable[[int, int], None]
"""Called with (bytes of the file consumed so far, file size)."""


def ingest_file(
    path: Path | str,
    settings: Settings,
    on_call: Callable[[Call], None],
    progress: ProgressCallback | None = None,
    on_window: Callable[[], None] | None = None,
) -> IngestSummary:
    """Read one capture to its end (or to the first unreadable byte) and write its calls.

    A CaptureError ends reading; every call before it is written, and the error is
    recorded in the summary rather than raised. ``on_window``: see :class:`Engine`.
    """
    from callvault.capture.reader import open_capture

    began = time.perf_counter()
    path = Path(path)
    recorder = None
    if settings.record_audio:
        from callvault.recording.consent import ConsentCheck, ConsentDetector
        from callvault.recording.policy import RecordingPolicy
        from callvault.recording.recorder import Recorder
        from callvault.vault.filesystem import FilesystemVault

        policy = RecordingPolicy.from_settings(settings)
        detector = ConsentDetector.from_settings(settings)
        recorder = Recorder(
            FilesystemVault(settings.recordings_dir),
            settings.audio_format,
            _decoder_factory(),
            policy=None if policy.records_everything else policy,
            consent=None if detector is None else ConsentCheck(detector, policy),
        )
    engine = Engine(settings, on_call, source=path.name, recorder=recorder, on_window=on_window)
    try:
        with open_capture(path, batch_packets=settings.batch_packets) as reader:
            engine.summary.bytes = reader.size
            for batch in reader:
                engine.feed(batch)
                if progress is not None:
                    progress(reader.position, reader.size)
    except CaptureError as exc:
        engine.summary.errors.append(str(exc))
    summary = engine.close()
    summary.files = 1
    summary.seconds = time.perf_counter() - began
    return summary
