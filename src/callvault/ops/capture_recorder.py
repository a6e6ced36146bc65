"""The capture recorder: a live interface through the engine into the journal, as it happens.

Two threads, so that the kernel's buffer is drained even while a window of calls is
being saved:

- the **reader** takes frames from libpcap (``LiveInterface.read``) into a bounded queue;
  when the queue is full (the engine cannot keep up) the batch is let go and counted as
  callvault's own drop ("queue full"), rather than letting the kernel drop blindly;
- the **engine thread** (the caller of ``run``) feeds the engine, commits each window's
  finished calls to the journal (``on_window``), moves the call timers on with the wall
  clock while the line is quiet (a call ends ``bye_linger_s`` after its BYE even when no
  packet follows), applies the live board's recording requests, and rewrites the stats
  file (``ops.stats``) about once a second.

``stop()`` (SIGTERM, SIGINT, or the API server shutting down) ends reading; what is in
the queue is processed, then every call in progress is closed and saved (the engine's
``close``), its recording finished, and its live board row removed.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from callvault.calls.model import Call
from callvault.capture.batch import PacketBatch
from callvault.capture.live import DEFAULT_BUFFER_MB, DEFAULT_SNAPLEN, LiveInterface, merge
from callvault.config import Settings
from callvault.engine import Engine, IngestSummary
from callvault.errors import CallvaultError, JournalError
from callvault.ops.stats import RecorderStats, write_stats

if TYPE_CHECKING:
    from callvault.journal import Journal

log = logging.getLogger(__name__)

QUEUE_PACKETS = 500_000
"""Packets waiting for the engine at most (about 5 s of 1,000 G.711 calls; some 100 MB)."""
READ_TIMEOUT_S = 0.05
STATS_EVERY_S = 1.0
QUIET_MARGIN_S = 0.5
"""While the line is quiet, timers move to the wall clock less this (packets still in
flight from the kernel are never older than that)."""
QUEUE_FULL = "queue full"


class CaptureRecorder:
    """Records what one interface carries (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        interface: str,
        bpf: str | None = None,
        *,
        snaplen: int = DEFAULT_SNAPLEN,
        buffer_mb: int = DEFAULT_BUFFER_MB,
        record: bool | None = None,
        name: str | None = None,
        queue_packets: int = QUEUE_PACKETS,
        live_board: bool = True,
    ) -> None:
        self.settings = settings
        self.interface = interface
        self.bpf = bpf
        self.snaplen = snaplen
        self.buffer_mb = buffer_mb
        self.record = settings.record_audio if record is None else record
        self.live_board = live_board
        self.name = name or f"capture-{interface}@{socket.gethostname()}"
        self.stats = RecorderStats(
            self.name, "capture", f"{interface}" + (f" ({bpf})" if bpf else "")
        )
        self.statuses: Counter[str] = Counter()
        self.summary: IngestSummary | None = None
        self._queue: queue.SimpleQueue[PacketBatch | None] = queue.SimpleQueue()
        self._queue_limit = queue_packets
        self._queued = 0
        """Packets in the queue now (the reader adds, the engine thread takes away)."""
        self._queued_lock = threading.Lock()
        self._stop = threading.Event()
        self._source: LiveInterface | None = None
        self._thread: threading.Thread | None = None
        self.failure: str | None = None
        """Why recording stopped early (a capture error), when it did."""

    # ---- life cycle ----------------------------------------------------------------------

    def open(self) -> None:
        """Open the interface now (LiveCaptureError says what is wrong), before any thread."""
        if self._source is None:
            self._source = LiveInterface.open(
                self.interface, self.bpf, snaplen=self.snaplen, buffer_mb=self.buffer_mb
            )

    def stop(self) -> None:
        """Ask the recorder to end gracefully (from any thread or a signal handler)."""
        self._stop.set()

    def start(self) -> None:
        """Run in a background thread (``callvault serve``); ``join`` after ``stop``."""
        self.open()
        self._thread = threading.Thread(target=self._run_logged, name=self.name, daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run_logged(self) -> None:
        try:
            self.run()
        except CallvaultError as exc:
            log.error("recorder %s stopped: %s", self.name, exc)

    # ---- the engine thread ---------------------------------------------------------------

    def run(self, progress: Callable[[CaptureRecorder], None] | None = None) -> IngestSummary:
        """Record until ``stop()``; returns the summary of everything read. ``progress`` is
        called about once a second with this recorder (its ``stats`` current)."""
        from callvault.commands.common import open_journal

        self.open()
        assert self._source is not None
        journal = open_journal(self.settings)
        controller = _live_controller(journal, self.name) if self.live_board else None
        _recover(journal, self.settings, controller, self.name)
        pending: list[Call] = []

        def on_call(call: Call) -> None:
            pending.append(call)
            self.statuses[call.status.value] += 1
            if call.recording is not None:
                self.stats.bytes_recorded += call.recording.size
            if controller is not None:
                controller.on_call(call)

        def commit() -> None:
            if not pending:
                return
            try:
                journal.save_many(pending)
            except JournalError as exc:  # the database is away: keep them, retry next window
                if self.stats.error is None:
                    log.warning("recorder %s: calls not saved yet: %s", self.name, exc)
                self.stats.error = f"journal: {exc}"
                return
            self.stats.error = None
            self.stats.calls_finished += len(pending)
            pending.clear()

        engine = _engine(self.settings, self.record, self.interface, on_call, commit, controller)
        reader = threading.Thread(target=self._read, name=f"{self.name}-reader", daemon=True)
        reader.start()
        if controller is not None:
            controller.start()
        last_stats = 0.0
        try:
            while True:
                try:
                    batch = self._queue.get(timeout=0.2)
                except queue.Empty:
                    batch = _QUIET  # the line is quiet: only the timers move
                if batch is None:
                    break
                if batch is _QUIET:
                    _move_timers(engine, time.time() - QUIET_MARGIN_S)
                    commit()
                else:
                    self._taken(batch)
                    batch, ended = self._waiting(batch)
                    engine.feed(batch)
                    if ended:
                        break
                if controller is not None:
                    controller.apply()
                now = time.monotonic()
                if now - last_stats >= STATS_EVERY_S:
                    last_stats = now
                    self._refresh(engine)
                    if progress is not None:
                        progress(self)
        finally:
            self._stop.set()
            reader.join()
            summary = engine.close()  # every call in progress closed and saved
            commit()
            if pending:
                self.failure = f"{len(pending)} finished calls could not be saved: " + (
                    self.stats.error or "journal unavailable"
                )
            if controller is not None:
                controller.stop()
            journal.close()
            self._source.close()
            self._refresh(engine, running=False)
            self.summary = summary
        return summary

    def _waiting(self, first: PacketBatch) -> tuple[PacketBatch, bool]:
        """``first`` with the batches queued behind it, as one (up to ``batch_packets``);
        and whether the end of input was among them."""
        batches = [first]
        size = len(first)
        limit = max(1, self.settings.batch_packets)
        while size < limit:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return merge(batches), True
            self._taken(more)
            batches.append(more)
            size += len(more)
        return merge(batches), False

    def _refresh(self, engine: Engine, running: bool = True) -> None:
        s = self.stats
        assert self._source is not None
        kernel = self._source.stats()
        s.kernel_received = kernel.received
        s.kernel_dropped = kernel.dropped
        s.interface_dropped = kernel.interface_dropped
        s.packets_read = engine.summary.packets
        skipped = dict(engine.summary.skipped)
        for source in (engine.net.counters.skipped, engine.correlator.counters.skipped):
            for reason, n in source.items():
                skipped[reason] = skipped.get(reason, 0) + n
        s.skipped = skipped
        s.calls_in_progress = len(engine.correlator.calls) if running else 0
        s.heartbeat_at = time.time()
        s.running = running
        if self.failure:
            s.error = self.failure
        try:
            write_stats(self.settings.data_dir, s)
        except OSError as exc:
            log.warning("recorder stats not written: %s", exc)

    # ---- the reader thread ---------------------------------------------------------------

    def _read(self) -> None:
        source = self._source
        assert source is not None
        limit = max(1, self.settings.batch_packets)
        try:
            while not self._stop.is_set():
                batch = source.read(READ_TIMEOUT_S, limit)
                if batch is not None:
                    self._hand_over(batch)
            while (batch := source.read(0, limit)) is not None:  # what the kernel still holds
                self._hand_over(batch)
        except CallvaultError as exc:
            self.failure = str(exc)
        finally:
            self._queue.put(None)

    def _hand_over(self, batch: PacketBatch) -> None:
        with self._queued_lock:
            full = self._queued + len(batch) > self._queue_limit
            if not full:
                self._queued += len(batch)
        if full:
            own = self.stats.own_dropped
            own[QUEUE_FULL] = own.get(QUEUE_FULL, 0) + len(batch)
            own["batches"] = own.get("batches", 0) + 1
            return
        self._queue.put(batch)

    def _taken(self, batch: PacketBatch) -> None:
        with self._queued_lock:
            self._queued -= len(batch)


_QUIET: Any = object()
"""Queue marker for "nothing arrived": the timers move on."""


def _move_timers(engine: Engine, now: float) -> None:
    """Calls that are over by wall-clock ``now`` are written though no packet came since."""
    if now <= engine.correlator.now:
        return
    engine.correlator.tick(now)
    if engine.recorder is not None:
        engine.recorder.tick(now)


def _engine(
    settings: Settings,
    record: bool,
    interface: str,
    on_call: Callable[[Call], None],
    on_window: Callable[[], None],
    controller: Any,
) -> Engine:
    engine = Engine(
        settings,
        on_call,
        source=f"capture:{interface}",
        recorder=_recorder(settings) if record else None,
        on_window=on_window,
        on_live=controller.on_live if controller is not None else None,
    )
    if controller is not None:
        controller.attach(engine)
    return engine


def _recorder(settings: Settings) -> Any:
    """The recorder as ingest builds it, with the recording policy (which calls start
    recorded) and recoverable: audio on disk as it arrives, the call's facts beside it."""
    from callvault.engine import _decoder_factory
    from callvault.recording.policy import RecordingPolicy
    from callvault.recording.recorder import Recorder
    from callvault.vault.filesystem import FilesystemVault

    policy = RecordingPolicy.from_settings(settings)
    return Recorder(
        FilesystemVault(settings.recordings_dir),
        settings.audio_format,
        _decoder_factory(),
        policy=None if policy.records_everything else policy,
        recoverable=True,
    )


def _recover(journal: Journal, settings: Settings, controller: Any, name: str) -> None:
    """What a recorder that died left behind (this one before a restart, or another that
    stopped heartbeating): partial recordings repaired, those calls saved as interrupted."""
    from callvault.recording.recovery import recover

    board = controller.board if controller is not None else None
    report = recover(journal, settings.data_dir, board, name, settings.recorder_stale_s)
    if report.calls:
        log.warning("recovered %d calls interrupted by a recorder that died", len(report.calls))


def _live_controller(journal: Journal, name: str) -> Any:
    """The live board's controller for this recorder, where the live board is installed."""
    try:
        from callvault.live.board import LiveBoard
        from callvault.live.controller import LiveController
    except ImportError:
        return None
    return LiveController(LiveBoard.attach(journal), name, "capture")
