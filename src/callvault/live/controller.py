"""The live controller: what any recorder process (``callvault siprec``, ``callvault capture``,
``callvault serve --record``) runs beside its engine to keep the live board true.

Two threads meet here, and neither waits for the other:

- the **engine's thread** (the one feeding packets) hands over call news with ``on_live``
  (pass it as ``Engine(on_live=...)``) and ``on_call`` (a call is over), and applies the
  operators' requests with ``apply()`` between batches: the engine is only ever touched
  from its own thread, and it never waits for the database;
- the **controller's thread** (``start``/``stop``, or ``step`` called by hand) writes that
  news to the board, sends the heartbeat, and every ``poll_s`` fetches the requests pending
  for this recorder, then acknowledges the ones applied (``board.applied``).

A request is applied at the moment the operator made it (its ``at``), as far as audio not
yet written allows: the recorder holds the last seconds of audio in memory, so a pause
clicked while a card number is being read leaves that number out.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callvault.calls.model import Call, Direction
from callvault.errors import CallvaultError
from callvault.live.board import LiveBoard, LiveCall, Request

if TYPE_CHECKING:
    from callvault.engine import Engine

log = logging.getLogger(__name__)

POLL_S = 0.2
"""How often pending requests are fetched from the board."""
HEARTBEAT_S = 1.0
"""How often the recorder's rows are marked as still followed."""


@dataclass(slots=True)
class _Outcome:
    call_id: str
    state: str | None
    """The state now recorded; None: the request could not be applied (refused)."""
    reason: str | None = None


class LiveController:
    """Keeps one recorder's calls on the live board and applies the board's requests."""

    def __init__(
        self,
        board: LiveBoard,
        recorder: str,
        source: str,
        *,
        poll_s: float = POLL_S,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.board = board
        self.recorder = recorder
        self.source = source
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.clock = clock
        self.engine: Engine | None = None
        self._news: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        """Engine thread → controller thread: ("started"/"updated", LiveCall), ("ended", id),
        ("outcome", _Outcome)."""
        self._requests: queue.SimpleQueue[Request] = queue.SimpleQueue()
        """Controller thread → engine thread: requests to apply."""
        self._in_flight: set[tuple[str, str, float]] = set()
        self._last_beat = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0
        """Board writes or reads that failed (retried on the next step)."""

    def attach(self, engine: Engine) -> None:
        """The engine whose recorder applies the requests (built with ``on_live=self.on_live``)."""
        self.engine = engine

    # ---- the engine's thread -------------------------------------------------------------

    def on_live(self, event: str, call: Call) -> None:
        """Engine hook: a call started or changed; queued for the board, never waits."""
        self._news.put((event, self._live_call(call)))

    def on_call(self, call: Call) -> None:
        """A call is over (its journal row is being written): off the board."""
        self._news.put(("ended", call.uid))

    def apply(self) -> int:
        """Apply the requests fetched so far to the recorder; returns how many were handled.
        Call it from the thread that feeds the engine (between batches)."""
        handled = 0
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return handled
            handled += 1
            self._news.put(("outcome", self._apply(request)))

    def _apply(self, request: Request) -> _Outcome:
        from callvault.recording.recorder import ControlError

        if self.engine is None or self.engine.recorder is None:
            return _Outcome(request.call_id, None, "this process does not record audio")
        try:
            state = self.engine.control(request.call_id, request.action, request.at, request.by)
        except ControlError as exc:
            return _Outcome(request.call_id, self.engine.recorder.state(request.call_id), str(exc))
        return _Outcome(request.call_id, state)

    def _live_call(self, call: Call) -> LiveCall:
        recorder = self.engine.recorder if self.engine is not None else None
        state = recorder.state(call.uid) if recorder is not None else None
        path = None
        if recorder is not None:
            rec = recorder.calls.get(call.uid)
            if rec is not None and rec.name is not None:
                path = rec.name
        extension = None
        if call.direction == Direction.INBOUND:
            extension = call.callee.number
        elif call.direction == Direction.OUTBOUND:
            extension = call.caller.number
        return LiveCall(
            call_id=call.uid,
            recorder=self.recorder,
            source=self.source,
            started_at=call.started_at,
            sip_call_id=call.sip_call_id,
            answered_at=call.answered_at,
            caller_number=call.caller.e164 or call.caller.number,
            caller_display_name=call.caller.display_name,
            callee_number=call.callee.e164 or call.callee.number,
            callee_display_name=call.callee.display_name,
            direction=call.direction.value,
            extension=extension,
            recording=state or "not recorded",
            recording_path=path,
        )

    # ---- the controller's thread ---------------------------------------------------------

    def step(self) -> None:
        """One round: news to the board, the heartbeat when due, pending requests fetched."""
        self._publish()
        now = self.clock()
        try:
            if now - self._last_beat >= self.heartbeat_s:
                self.board.heartbeat(self.recorder, now=now)
                self._last_beat = now
            for request in self.board.pending(self.recorder):
                key = (request.call_id, request.action, request.at)
                if key not in self._in_flight:
                    self._in_flight.add(key)
                    self._requests.put(request)
        except CallvaultError as exc:
            self.errors += 1
            log.warning("live board: %s", exc)

    def _publish(self) -> None:
        """The news so far in one transaction (a burst of calls starting costs one commit);
        if the board refuses one item, each is written on its own so the others get there."""
        news: list[tuple[str, object]] = []
        while True:
            try:
                news.append(self._news.get_nowait())
            except queue.Empty:
                break
        if not news:
            return
        try:
            with self.board.batch():
                for kind, item in news:
                    self._write(kind, item)
            return
        except CallvaultError:
            pass
        for kind, item in news:
            try:
                self._write(kind, item)
            except CallvaultError as exc:
                self.errors += 1
                log.warning("live board: %s", exc)

    def _write(self, kind: str, item: object) -> None:
        if kind in ("started", "updated"):
            assert isinstance(item, LiveCall)
            self.board.started(item, now=self.clock())
        elif kind == "ended":
            self.board.ended(str(item))
            self._in_flight = {k for k in self._in_flight if k[0] != item}
        else:
            assert isinstance(item, _Outcome)
            self._in_flight = {k for k in self._in_flight if k[0] != item.call_id}
            if item.reason is not None:
                log.warning("recording control of call %s refused: %s", item.call_id, item.reason)
                # the request cannot apply here: withdraw it, so nobody waits for it
                self.board.changed(
                    item.call_id, requested=None, requested_by=None, requested_at=None
                )
            if item.state is not None:
                self.board.applied(item.call_id, item.state, now=self.clock())

    def start(self) -> None:
        """Run ``step`` every ``poll_s`` in a thread of its own until ``stop``."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="live-controller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.poll_s)

    def stop(self) -> None:
        """Graceful stop: the thread ends, then whatever news is left reaches the board
        (call the engine's ``close`` before this, so every call in progress has ended)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self._publish()
