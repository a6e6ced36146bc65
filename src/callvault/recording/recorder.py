"""The recorder: RTP payloads of every call in progress into one stereo file per call.

Caller on the left channel, callee on the right, both on one timeline that starts at the
call's INVITE; the file begins at the first sample of audio. Audio is written to the vault
as the call runs (a window that is ``HOLD_S`` behind the capture clock, so reordered packets
still land in place); late packets beyond that are counted, never written out of place.
Gaps, loss, hold and silence suppression are silence of the right length.

Recording windows: a call may be recorded only in parts (policy, or an operator's start,
stop, pause and resume). The switches are kept as capture times and applied when the
held audio is written: what lies outside a window reaches the disk as digital silence, so
both channels stay aligned with call time, and a call never recorded has no file at all.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from callvault.calls.model import Call, CallEvent, Party, Recording, Side
from callvault.codecs.g711 import ALAW_TO_PCM, ULAW_TO_PCM
from callvault.errors import CallvaultError, ParseError
from callvault.recording.clock import MAX_SKEW_S, StreamClock
from callvault.recording.formats import (
    EXTENSIONS,
    AudioFile,
    Layout,
    choose_layout,
    law_to_pcm,
    open_audio,
    pcm_to_law,
)
from callvault.vault.filesystem import FilesystemVault

if TYPE_CHECKING:
    from callvault.calls.media import StreamState
    from callvault.recording.consent import ConsentCheck
    from callvault.recording.policy import RecordingPolicy

MAX_RECORDING_S = 12 * 3600
"""Audio this long after the call's start is not recorded (a broken clock, not a call)."""
MAX_BUFFER_S = 30
"""Audio held in memory per call at most; beyond it the file catches up first."""
BUFFER_S = 6
"""Initial capacity of a call's in-memory audio, seconds (it grows if ever needed)."""
_SPAN = np.arange(4096)
POOL_FRAMES = 8 * 8000
"""Frames per call in the shared G.711 pool: 8 s of 8 kHz stereo."""
POOL_RESERVE = 1024
"""Calls the pool has room for from the start. Its memory is only reserved (the pages of
a row are touched when a call uses it): calls arriving together never wait for the pool
to be copied into a larger one, as doubling it 16, 32, … 1,024 would."""
_G711_CODES = ("ulaw", "alaw")
FLUSH_S = 4
"""Audio waiting this long (behind HOLD_S) is written out."""
HOLD_S = 2.0
"""Audio is written once the capture clock is this far past it."""
CHANNEL = {Side.CALLER: 0, Side.CALLEE: 1}
NOT_AUDIO = ("telephone-event", "cn", "comfort noise")
_G711 = {"PCMU": ("ulaw", ULAW_TO_PCM), "PCMA": ("alaw", ALAW_TO_PCM)}
SIDECAR = ".json"
"""Suffix (after the partial file's name) of what recovery needs to know about a call."""
TRANSITIONS = {
    "start": (("stopped", "not recorded"), "recording", "started"),
    "stop": (("recording", "paused"), "stopped", "stopped"),
    "pause": (("recording",), "paused", "paused"),
    "resume": (("paused",), "recording", "resumed"),
}
"""action → (states it applies to, the state after, the call event's value)."""


class ControlError(CallvaultError):
    """A recording control request that cannot be applied (unknown call, wrong state)."""


@dataclass(slots=True)
class _Source:
    """How one (stream, payload type) becomes samples."""

    clock: StreamClock | None
    law: str | None
    """"ulaw"/"alaw" when the payload is G.711 (decoded by table)."""
    decoder: object | None
    """A codec library decoder for anything else."""
    rate: int
    skip: str | None = None
    """Why this payload is not recorded (an event, comfort noise, not decodable)."""


@dataclass(slots=True)
class CallRecorder:
    """One call's recording while it runs."""

    uid: str
    origin: float
    """Capture time of sample position 0: the call's start."""
    fmt: str
    vault: FilesystemVault
    layout: Layout | None = None
    name: str | None = None
    audio: AudioFile | None = None
    buffer: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.uint8))
    """Frames not yet written, shape (capacity, 2: caller, callee); row 0 is ``base``."""
    base: int = 0
    """Sample position of buffer row 0."""
    first: int | None = None
    """Sample position where the file begins."""
    written: int = 0
    """Sample position up to which the file is written."""
    high: int = 0
    """One past the highest sample position holding audio."""
    sides: set[Side] = field(default_factory=set)
    late_samples: int = 0
    slot: int | None = None
    """Row of the recorder's shared frame pool this call's buffer is (G.711 calls)."""
    sealed: bool = False
    """Some of the audio written turned out to be encrypted: the file is not kept."""
    sources: dict[tuple, _Source] = field(default_factory=dict)
    switches: list[tuple[float, bool]] | None = None
    """Recording windows: (capture time, recording from then on), in time order; None: the
    whole call is recorded (no policy decision, no control)."""
    state: str = "recording"
    """"recording", "paused", "stopped" or "not recorded"."""
    events: list[CallEvent] = field(default_factory=list)
    """"recording" events of the call: each change of state."""
    facts: dict | None = None
    """What recovery needs to save the call after a crash (recoverable recorders only)."""
    partial: str | None = None
    """The partial file's path, once it exists (resolved once, not at each facts write)."""

    def ensure(self, layout: Layout, pooled: bool = False) -> None:
        """The recording's layout, decided by its first audio; ``pooled``: the frames will
        be a row of the recorder's shared pool, no buffer of the call's own is made."""
        if self.layout is None:
            self.layout = layout
            if not pooled:
                self.buffer = np.full(
                    (BUFFER_S * layout.sample_rate, 2), layout.silence, layout.dtype
                )

    def put(
        self,
        channel: int,
        positions: np.ndarray,
        samples: np.ndarray,
        low: int | None = None,
        high: int | None = None,
    ) -> None:
        """Samples (n packets x k samples, the layout's dtype) at their positions;
        ``low``/``high`` are the smallest and largest position when the caller knows them."""
        layout = self.layout
        assert layout is not None
        rate = layout.sample_rate
        k = samples.shape[1]
        floor = self.base if self.first is not None else 0
        if low is None or high is None:
            low, high = int(positions.min()), int(positions.max())
        if low < floor or high >= MAX_RECORDING_S * rate:
            keep = (positions >= floor) & (positions < MAX_RECORDING_S * rate)
            self.late_samples += int((~keep).sum()) * k
            positions, samples = positions[keep], samples[keep]
            if positions.size == 0:
                return
            low, high = int(positions.min()), int(positions.max())
        top = high + k
        if self.high and top - self.base > MAX_BUFFER_S * rate:
            # the capture clock jumped (a long gap in the capture): write what is held,
            # then silence up to the new audio, without holding the gap in memory
            self.flush(self.high)
            if self.first is not None:
                if self.switches is None or self.switches[-1][1]:
                    self._silence_until(low)
                else:
                    self._skip(low)
            self.put(channel, positions, samples)
            return
        if self.first is None and (not self.high or low < self.base):
            self._rebase(low)
        if top - self.base > self.buffer.shape[0]:
            grown = np.full((2 * (top - self.base), 2), layout.silence, layout.dtype)
            grown[: self.buffer.shape[0]] = self.buffer
            self.buffer = grown
        self.buffer[(positions - self.base)[:, None] + _SPAN[:k], channel] = samples
        if top > self.high:
            self.high = top

    def _rebase(self, new_base: int) -> None:
        """Before the first write to the file: let the buffer start at ``new_base``."""
        layout = self.layout
        assert layout is not None
        if self.high and new_base < self.base:
            held = self.high - self.base
            shift = self.base - new_base
            grown = np.full(
                (max(self.buffer.shape[0], held + shift), 2), layout.silence, layout.dtype
            )
            grown[shift : shift + held] = self.buffer[:held]
            self.buffer = grown
        self.base = new_base

    def flush(self, upto: int) -> None:
        """Write everything before sample position ``upto`` (and before the highest audio)."""
        if self.layout is None or not self.high:
            return
        if self.first is None:
            if self.switches is not None:
                start = self._first_recorded(self.base, min(upto, self.high))
                if start is None:
                    self._drop(min(upto, self.high))
                    return
                self._drop(start)
            self.first = self.written = self.base
            self.name = self.vault.name_for(self.uid, self.origin, EXTENSIONS[self.fmt])
            self.audio = open_audio(self.vault.create(self.name), self.layout)
            if self.facts is not None:
                self.write_facts()
        upto = min(upto, self.high)
        if self.switches is not None:
            upto = self._windowed(upto)
        if upto > self.written:
            self._write(upto)
        if self.facts is not None:
            # recoverable: the audio handed to the operating system at every flush, so a
            # kill -9 loses none of it (recovery sizes the header from the data on disk;
            # the writer brings it up to date every few seconds)
            writer = getattr(self.audio, "writer", None)
            if writer is not None:
                writer.file.flush()

    def _spans(self) -> list[tuple[int, int, bool]]:
        """The switches as sample positions: (from, to, recorded) covering the timeline."""
        assert self.switches is not None and self.layout is not None
        rate = self.layout.sample_rate
        points = [(round((at - self.origin) * rate), on) for at, on in self.switches]
        out = []
        for i, (position, on) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else MAX_RECORDING_S * rate
            if end > position:
                out.append((position, end, on))
        if out and out[0][0] > 0:
            out.insert(0, (0, out[0][0], points[0][1]))
        return out

    def _first_recorded(self, lo: int, hi: int) -> int | None:
        """The first sample position in [lo, hi) inside a recording window."""
        for a, b, on in self._spans():
            if on and b > lo and a < hi:
                return max(a, lo)
        return None

    def _silence_outside_windows(self, lo: int, hi: int) -> None:
        """Held frames in [lo, hi) outside every recording window become silence."""
        assert self.layout is not None
        for a, b, on in self._spans():
            if not on and b > lo and a < hi:
                self.buffer[max(a, lo) - self.base : min(b, hi) - self.base] = self.layout.silence

    def _windowed(self, upto: int) -> int:
        """Before writing up to ``upto``: silence outside the windows; while the recording
        is stopped or paused, write only up to that moment and set the rest aside unwritten
        (a file ends where its last window does); once a window opens again, the gap is
        written as silence first. Returns how far to write now."""
        assert self.layout is not None and self.switches is not None
        at, on = self.switches[-1]
        if not on:
            cut = max(round((at - self.origin) * self.layout.sample_rate), self.written)
            if upto > cut:
                if cut > self.base:
                    self._silence_outside_windows(self.base, cut)
                    self._write(cut)
                self._skip(upto)
                return upto if upto <= self.written else self.written
        elif self.base > self.written:
            self._fill_gap()
        self._silence_outside_windows(self.base, upto)
        return upto

    def _write(self, upto: int) -> None:
        n = upto - self.base
        assert self.audio is not None and self.layout is not None
        self.audio.write(self.buffer[:n])
        held = max(self.high - upto, 0)
        buffer = self.buffer
        buffer[:held] = buffer[n : n + held]
        buffer[held : held + n] = self.layout.silence
        self.written = self.base = upto

    def _skip(self, upto: int) -> None:
        """Held frames before ``upto`` are outside every window: dropped, not written."""
        assert self.layout is not None
        n = upto - self.base
        if n <= 0:
            return
        if upto >= self.high:
            self.buffer[:] = self.layout.silence
            self.high = upto
        else:
            held = self.high - upto
            self.buffer[:held] = self.buffer[n : n + held]
            self.buffer[held : held + n] = self.layout.silence
        self.base = upto

    def _fill_gap(self) -> None:
        """Silence from what is written up to the held frames (a stop, then a start)."""
        layout = self.layout
        assert layout is not None and self.audio is not None
        step = 10 * layout.sample_rate
        while self.written < self.base:
            n = min(self.base - self.written, step)
            self.audio.write(np.full((n, 2), layout.silence, layout.dtype))
            self.written += n

    def _drop(self, upto: int) -> None:
        """Before the file exists: forget held audio before ``upto`` (never recorded)."""
        assert self.layout is not None
        n = upto - self.base
        if n <= 0:
            return
        buffer = self.buffer
        if upto >= self.high:
            buffer[:] = self.layout.silence
            self.high = 0
        else:
            held = self.high - upto
            buffer[:held] = buffer[n : n + held]
            buffer[held : held + n] = self.layout.silence
        self.base = upto

    def ever_recorded(self) -> bool:
        return self.switches is None or any(on for _, on in self.switches)

    def partial_path(self) -> str:
        assert self.name is not None
        if self.partial is None:
            self.partial = str(self.vault.path(self.name)) + ".part"
        return self.partial

    def write_facts(self) -> None:
        """Save what recovery needs beside the partial file (atomically: write, rename)."""
        if self.name is None or self.layout is None or self.first is None:
            return
        data = {
            "uid": self.uid,
            "origin": self.origin,
            "name": self.name,
            "format": self.layout.format,
            "encoding": self.layout.encoding,
            "sample_rate": self.layout.sample_rate,
            "first": self.first,
            "switches": self.switches,
            "events": [asdict(e) for e in self.events],
            "call": self.facts,
        }
        path = self.partial_path() + SIDECAR
        text = json.dumps(data)  # one write: json.dump writes each fragment on its own
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def remove_facts(self) -> None:
        if self.facts is not None and self.name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.partial_path() + SIDECAR)

    def _silence_until(self, position: int) -> None:
        layout = self.layout
        assert layout is not None and self.audio is not None
        step = 10 * layout.sample_rate
        while self.written < position:
            n = min(position - self.written, step)
            self.audio.write(np.full((n, 2), layout.silence, layout.dtype))
            self.written += n
        self.base = self.high = self.written
        self.buffer[:] = layout.silence

    def close(self) -> Recording | None:
        self.flush(self.high)
        if self.audio is None or self.name is None or self.layout is None or self.first is None:
            return None
        self.audio.close()
        size, digest = self.vault.finish(self.name)
        self.remove_facts()
        rate = self.layout.sample_rate
        return Recording(
            path=self.name,
            format=self.layout.format,
            encoding=self.layout.encoding,
            sample_rate=rate,
            started_at=self.origin + self.first / rate,
            duration_ms=round((self.written - self.first) * 1000 / rate),
            size=size,
            sha256=digest,
        )


class Recorder:
    """Recordings of every call in progress (see the module docstring)."""

    def __init__(
        self,
        vault: FilesystemVault,
        fmt: str = "wav",
        decoder_for: Callable[..., object] | None = None,
        policy: RecordingPolicy | None = None,
        recoverable: bool = False,
        flush_s: float = FLUSH_S,
        consent: ConsentCheck | None = None,
        opens_per_tick: int | None = None,
    ) -> None:
        """``policy`` decides each call's initial state (None: every call recorded whole);
        ``recoverable``: beside each partial file its call's facts, for ``recovery``, and
        audio handed to the operating system every ``flush_s`` seconds; ``opens_per_tick``:
        recording files a tick creates at most (a live recorder: when many calls' audio
        starts at once, their files are created over a few turns and no single turn holds
        up reading the network for long; the audio waits in memory meanwhile)."""
        self.vault = vault
        self.fmt = fmt
        self._decoder_for = decoder_for
        self.policy = policy
        self.recoverable = recoverable
        self.flush_s = flush_s
        self.opens_per_tick = opens_per_tick
        self.consent = consent
        """Checks each finished recording for the consent notice, when configured."""
        self.calls: dict[str, CallRecorder] = {}
        """Recordings in progress by call uid."""
        self._pool = np.zeros((0, POOL_FRAMES, 2), dtype=np.uint8)
        self._pooled: dict[int, CallRecorder] = {}
        self._free: list[int] = []
        self.skipped: dict[str, int] = {}

    def _recorder(self, uid: str, origin: float) -> CallRecorder:
        found = self.calls.get(uid)
        if found is None:
            found = CallRecorder(uid, origin, self.fmt, self.vault)
            self.calls[uid] = found
        return found

    def begin(self, call: Call) -> str:
        """A call has started (its first INVITE): its initial recording state from the
        policy; returns it."""
        rec = self._recorder(call.uid, call.started_at)
        record = True
        if self.policy is not None:
            decision = self.policy.decide(call)
            record = decision.record
            if record and not self.policy.records_everything:
                rec.events.append(
                    CallEvent("recording", call.started_at, None, "started", "policy")
                )
        rec.switches = [(call.started_at, record)]
        rec.state = "recording" if record else "not recorded"
        if self.recoverable:
            rec.facts = _facts(call)
        return rec.state

    def update(self, call: Call) -> None:
        """Newer facts of a call in progress (answered, hold…), kept for recovery."""
        rec = self.calls.get(call.uid)
        if rec is not None and self.recoverable:
            facts = _facts(call)
            if facts == rec.facts:
                return  # news of the call that recovery does not keep (a new stream)
            rec.facts = facts
            if rec.audio is not None:
                rec.write_facts()

    def state(self, uid: str) -> str | None:
        """The recording state of a call in progress; None for a call not known here."""
        rec = self.calls.get(uid)
        return None if rec is None else rec.state

    def control(self, uid: str, action: str, at_ts: float, by: str | None = None) -> str:
        """Start, stop, pause or resume the recording of a call in progress at capture time
        ``at_ts`` (not before what is already on disk); returns the new state. The change
        becomes a "recording" call event. ControlError says why a request cannot apply."""
        if action not in TRANSITIONS:
            raise ControlError(f"unknown action {action!r}: use start, stop, pause or resume")
        if self.policy is not None and not self.policy.controllable:
            raise ControlError("recording is switched off by policy (recording mode none)")
        rec = self.calls.get(uid)
        if rec is None:
            raise ControlError(f"no call {uid} in progress on this recorder")
        sources, after, value = TRANSITIONS[action]
        if rec.state not in sources:
            raise ControlError(f"cannot {action} the recording of call {uid}: it is {rec.state}")
        if rec.switches is None:
            rec.switches = [(rec.origin, True)]
        floor = rec.switches[-1][0]
        if rec.layout is not None:  # not before what is written or set aside already
            floor = max(floor, rec.origin + max(rec.written, rec.base) / rec.layout.sample_rate)
        at = max(at_ts, floor)
        rec.switches.append((at, after == "recording"))
        rec.state = after
        rec.events.append(CallEvent("recording", at, None, value, by))
        if rec.facts is not None and rec.audio is not None:
            rec.write_facts()
        return after

    def source_for(
        self,
        uid: str,
        origin: float,
        stream: StreamState,
        pt: int,
        codec: str | None,
        not_decodable: str | None,
    ) -> tuple[CallRecorder, _Source] | None:
        """The recording and payload source a group of ``stream`` goes to; None: not audio."""
        if stream.side is None:
            return None
        rec = self._recorder(uid, origin)
        source = rec.sources.get((stream.key, pt))
        if source is None:
            source = self._source(rec, codec, not_decodable)
            rec.sources[(stream.key, pt)] = source
        elif not_decodable and source.skip is None:
            source.skip = not_decodable  # found out late (ZRTP after the first packets)
            rec.sealed = True
        if source.skip is not None:
            if source.skip not in NOT_AUDIO:
                stream.not_decodable = source.skip
            return None
        rec.sides.add(stream.side)
        return rec, source

    def write_g711(
        self,
        payload: bytes,
        work: list[tuple[CallRecorder, _Source, int]],
        members: list[np.ndarray],
        ts: np.ndarray,
        arrival: np.ndarray,
        payload_start: np.ndarray,
        length: int,
    ) -> None:
        """Many groups of G.711 packets, all ``length`` bytes, into their recordings at once.

        ``members[j]`` are item j's packets; ``ts``, ``arrival``, ``payload_start`` hold every
        item's packets back to back. Positions and payload gathers are vectorised; only the
        final store is per item (one fancy assignment).
        """
        counts = np.array([m.shape[0] for m in members], dtype=np.int64)
        bounds = np.concatenate(([0], np.cumsum(counts)))
        item = np.repeat(np.arange(len(work)), counts)
        anchor_ts = np.empty(len(work), dtype=np.int64)
        anchor_pos = np.empty(len(work), dtype=np.int64)
        origin = np.empty(len(work), dtype=np.float64)
        for j, (rec, source, _) in enumerate(work):
            clock = source.clock
            assert clock is not None
            origin[j] = rec.origin
            if clock.anchor_ts is None:
                first = int(bounds[j])
                clock.anchor(
                    int(ts[first]), round((float(arrival[first]) - rec.origin) * 8000)
                )
            anchor_ts[j] = clock.anchor_ts
            anchor_pos[j] = clock.anchor_pos
        arrival_pos = np.rint((arrival - origin[item]) * 8000).astype(np.int64)
        delta = (ts - anchor_ts[item]) & 0xFFFFFFFF
        delta = np.where(delta >= 1 << 31, delta - (1 << 32), delta)
        positions = anchor_pos[item] + delta
        jumped = np.abs(arrival_pos - positions) > MAX_SKEW_S * 8000
        if jumped.any():
            for j in np.unique(item[jumped]).tolist():
                a, b = int(bounds[j]), int(bounds[j + 1])
                clock = work[j][1].clock
                assert clock is not None
                positions[a:b] = clock.positions(ts[a:b], arrival_pos[a:b])
        codes = _gather(payload, payload_start, length)
        lows = np.minimum.reduceat(positions, bounds[:-1])
        highs = np.maximum.reduceat(positions, bounds[:-1])
        fast = np.zeros(len(work), dtype=bool)
        slots = np.zeros(len(work), dtype=np.int64)
        bases = np.zeros(len(work), dtype=np.int64)
        channels = np.zeros(len(work), dtype=np.int64)
        for j, (rec, source, channel) in enumerate(work):
            if rec.slot is None and rec.layout is not None and rec.layout.encoding in _G711_CODES:
                self._take_slot(rec)
            if (
                rec.slot is not None
                and rec.first is not None
                and rec.layout is not None
                and rec.layout.encoding == source.law
            ):
                fast[j] = True
                slots[j], bases[j], channels[j] = rec.slot, rec.base, channel
        floors = np.array([rec.base for rec, _, _ in work], dtype=np.int64)
        fast &= (lows >= floors) & (highs + length - bases <= POOL_FRAMES)
        # packets that follow each other exactly (the usual case) are one contiguous run
        steady = np.ones(positions.shape[0], dtype=bool)
        steady[1:] = np.diff(positions) == length
        steady[bounds[:-1]] = True
        run = np.logical_and.reduceat(steady, bounds[:-1]) & fast
        scattered = fast & ~run
        if scattered.any():
            take = scattered[item]
            offset = (slots[item][take] * POOL_FRAMES + positions[take] - bases[item][take]) * 2
            flat = (offset[:, None] + 2 * np.arange(length)) + channels[item][take][:, None]
            self._pool.reshape(-1)[flat] = codes[take]
        starts = bounds.tolist()
        tops = (highs + length).tolist()
        runs = run.tolist()
        low_list = lows.tolist()
        pool = self._pool
        for j, (rec, source, channel) in enumerate(work):
            if fast[j]:
                if runs[j]:
                    a, b = starts[j], starts[j + 1]
                    at = low_list[j] - rec.base
                    pool[rec.slot, at : at + (b - a) * length, channel] = codes[a:b].reshape(-1)
                if tops[j] > rec.high:
                    rec.high = tops[j]
                continue
            a, b = starts[j], starts[j + 1]
            assert rec.layout is not None and source.law is not None
            samples = codes[a:b]
            if rec.layout.encoding != source.law:
                samples = self._from_law(samples, source.law, rec.layout)
            rec.put(channel, positions[a:b], samples, int(lows[j]), int(highs[j]))
            self._check_slot(rec)

    def _take_slot(self, rec: CallRecorder) -> None:
        """Move a G.711 call's frames into the shared pool (one vectorised store for all)."""
        assert rec.layout is not None
        if rec.buffer.shape[0] > POOL_FRAMES or rec.high - rec.base > POOL_FRAMES:
            return
        if not self._free:
            old = self._pool
            grown = max(POOL_RESERVE, 2 * old.shape[0])
            self._pool = np.zeros((grown, POOL_FRAMES, 2), dtype=np.uint8)
            self._pool[: old.shape[0]] = old
            for slot, pooled in self._pooled.items():
                pooled.buffer = self._pool[slot]
            self._free = list(range(grown - 1, old.shape[0] - 1, -1))
        slot = self._free.pop()
        row = self._pool[slot]
        row[:] = rec.layout.silence
        held = min(rec.buffer.shape[0], POOL_FRAMES)
        row[:held] = rec.buffer[:held]
        rec.buffer, rec.slot = row, slot
        self._pooled[slot] = rec

    def _check_slot(self, rec: CallRecorder) -> None:
        """A pooled buffer that had to grow is the call's own now: free its row."""
        if rec.slot is not None and rec.buffer.base is not self._pool:
            self._release(rec, keep=False)

    def _release(self, rec: CallRecorder, keep: bool = True) -> None:
        if rec.slot is None:
            return
        if keep:
            rec.buffer = rec.buffer.copy()
        self._pooled.pop(rec.slot, None)
        self._free.append(rec.slot)
        rec.slot = None

    def packets_from(
        self,
        rec: CallRecorder,
        source: _Source,
        channel: int,
        payload: bytes,
        payload_start: np.ndarray,
        payload_length: np.ndarray,
        rtp_ts: np.ndarray,
        arrival: np.ndarray,
    ) -> None:
        """One group of packets decoded one by one (codecs other than fixed-size G.711)."""
        layout = rec.layout
        assert layout is not None and source.clock is not None
        arrival_pos = np.rint((arrival - rec.origin) * layout.sample_rate).astype(np.int64)
        positions = source.clock.positions(rtp_ts, arrival_pos)
        for i in range(rtp_ts.shape[0]):
            start = int(payload_start[i])
            pcm = self._decode(source, payload[start : start + int(payload_length[i])])
            if pcm is None or pcm.size == 0:
                continue
            if source.rate != layout.sample_rate:
                pcm = _resample(pcm, source.rate, layout.sample_rate)
            samples = pcm_to_law(pcm, layout.encoding) if layout.encoding != "pcm16" else pcm
            rec.put(channel, positions[i : i + 1], samples[None, :])

    def _from_law(self, codes: np.ndarray, law: str, layout: Layout) -> np.ndarray:
        if layout.encoding == law:
            return codes
        pcm = law_to_pcm(codes, law)
        if layout.encoding == "pcm16":
            if layout.sample_rate != 8000:
                return np.stack([_resample(row, 8000, layout.sample_rate) for row in pcm])
            return pcm
        return pcm_to_law(pcm, layout.encoding)

    def _decode(self, source: _Source, data: bytes) -> np.ndarray | None:
        if source.law is not None:
            return law_to_pcm(np.frombuffer(data, dtype=np.uint8), source.law)
        try:
            return source.decoder.decode(data)  # type: ignore[union-attr]
        except ParseError:
            self.skipped["undecodable audio payload"] = (
                self.skipped.get("undecodable audio payload", 0) + 1
            )
            return None

    def _source(self, rec: CallRecorder, codec: str | None, not_decodable: str | None) -> _Source:
        if not_decodable:
            return _Source(None, None, None, 0, skip=not_decodable)
        if codec is None:
            return _Source(None, None, None, 0, skip="unknown payload type")
        encoding, _, rest = codec.partition("/")
        if encoding.lower() in NOT_AUDIO or encoding.lower() == "cn":
            return _Source(None, None, None, 0, skip=encoding.lower())
        clock_text, _, channels = rest.partition("/")
        clock = int(clock_text) if clock_text.isdigit() else 8000
        law = _G711.get(encoding.upper())
        if law is not None:
            if rec.layout is None:
                layout = choose_layout(self.fmt, codec, 8000)
                pooled = layout.encoding in _G711_CODES
                rec.ensure(layout, pooled)
                if pooled:
                    self._take_slot(rec)
            assert rec.layout is not None
            return _Source(StreamClock(rec.layout.sample_rate, clock), law[0], None, 8000)
        decoder = None
        if self._decoder_for is not None:
            decoder = self._decoder_for(encoding, clock, int(channels or 1))
        if decoder is None or getattr(decoder, "kind", "audio") != "audio":
            kind = getattr(decoder, "kind", None)
            reason = kind if kind in ("event", "comfort-noise") else f"unsupported codec {codec}"
            return _Source(
                None,
                None,
                None,
                0,
                skip="cn"
                if kind == "comfort-noise"
                else ("telephone-event" if kind == "event" else reason),
            )
        rate = int(getattr(decoder, "sample_rate", 8000))
        rec.ensure(choose_layout(self.fmt, codec, rate))
        assert rec.layout is not None
        rtp_clock = int(getattr(decoder, "rtp_clock", clock))
        return _Source(StreamClock(rec.layout.sample_rate, rtp_clock), None, decoder, rate)

    def tick(self, now: float) -> None:
        """Write out audio that is HOLD_S behind the capture clock, once a few seconds of it
        are waiting (fewer, larger writes; a crash loses those seconds at most)."""
        opens = self.opens_per_tick
        for rec in self.calls.values():
            layout = rec.layout
            if layout is None:
                continue
            upto = int((now - HOLD_S - rec.origin) * layout.sample_rate)
            if rec.first is None:
                if opens is not None:
                    if opens <= 0:
                        continue  # its file next time
                    opens -= 1
                rec.flush(upto)
            elif upto - rec.written >= self.flush_s * layout.sample_rate:
                rec.flush(upto)

    def finish(self, call: Call) -> None:
        """Close the call's recording; put it and what is wrong with the audio on ``call``."""
        rec = self.calls.pop(call.uid, None)
        answered = call.answered_at is not None
        if rec is not None and rec.events:
            call.events = sorted([*call.events, *rec.events], key=lambda e: e.at)
        if rec is not None and rec.sealed:
            self.calls[call.uid] = rec
            self.discard(call.uid)
            rec.sides.clear()
            rec = None
        recording = rec.close() if rec is not None else None
        if rec is not None:
            self._release(rec, keep=False)
        call.recording = recording
        if self.consent is not None and recording is not None:
            self.consent.finished(call, self.vault.path(recording.path))
        if rec is not None and rec.late_samples:
            self.skipped["late audio (samples)"] = (
                self.skipped.get("late audio (samples)", 0) + rec.late_samples
            )
        undecodable = sorted({s.not_decodable for s in call.streams if s.not_decodable})
        sides: set[Side] = rec.sides if rec is not None else set()
        if undecodable and not sides:
            call.audio_issue = "not decodable: " + ", ".join(undecodable)
        elif not sides:
            call.audio_issue = "no audio" if answered else None
        elif len(sides) == 1:
            missing = Side.CALLEE if Side.CALLER in sides else Side.CALLER
            call.audio_issue = f"one-sided: the {missing.value}'s audio is missing"
        else:
            call.audio_issue = None
        if rec is not None and not rec.ever_recorded():
            call.audio_issue = "not recorded"

    def discard(self, uid: str) -> None:
        """Drop a recording in progress (media that turned out not to be a call of its own)."""
        rec = self.calls.pop(uid, None)
        if rec is None:
            return
        self._release(rec, keep=False)
        if rec.audio is not None and rec.name is not None:
            rec.audio.close()
            self.vault.discard(rec.name)
            rec.remove_facts()

    def abandon(self) -> None:
        """Drop every recording still in progress."""
        for uid in list(self.calls):
            self.discard(uid)


def _facts(call: Call) -> dict:
    """The call's facts as recovery saves them (no streams: those are not known then)."""
    return {
        "uid": call.uid,
        "sip_call_id": call.sip_call_id,
        "started_at": call.started_at,
        "ringing_at": call.ringing_at,
        "answered_at": call.answered_at,
        "caller": _party(call.caller),
        "callee": _party(call.callee),
        "direction": call.direction.value,
        "transport": call.transport,
        "codecs": list(call.codecs),
        "source": call.source,
    }


_PARTY_FIELDS = tuple(f.name for f in fields(Party))


def _party(party: Party) -> dict:
    """``asdict(party)`` for a dataclass of plain values, without its deep copy."""
    return {name: getattr(party, name) for name in _PARTY_FIELDS}


def _gather(data: bytes, starts: np.ndarray, length: int) -> np.ndarray:
    """Payload bytes of many packets, shape (n, length): 8 bytes per index where possible
    (an unaligned 64-bit view of the buffer) — G.711 payloads are multiples of 8 bytes."""
    if length % 8 == 0 and len(data) >= 8:
        words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
        return (
            words[starts[:, None] + 8 * np.arange(length // 8)].view(np.uint8).reshape(-1, length)
        )
    return np.frombuffer(data, dtype=np.uint8)[starts[:, None] + np.arange(length)]


def _resample(pcm: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Linear interpolation between rates (wideband audio on a narrowband call, or back)."""
    if rate_in == rate_out:
        return pcm
    n_out = round(pcm.shape[0] * rate_out / rate_in)
    x = np.arange(n_out) * (rate_in / rate_out)
    return np.interp(x, np.arange(pcm.shape[0]), pcm.astype(np.float64)).astype(np.int16)
