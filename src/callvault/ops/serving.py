"""Recorders beside the API: ``callvault serve --capture-interface IF --record-siprec``.

One process serves the API and records: the capture recorder in a thread of its own (its
engine never waits for a request), the SIPREC server on the API's event loop (it is
asyncio already). Both start with the app and stop with it: uvicorn turns SIGTERM/SIGINT
into the app's shutdown, which stops the recorders gracefully — every call in progress
closed and saved, its recording finished, its live board row removed — before the
process ends. Each recorder keeps its stats file (``ops.stats``) current, so ``/metrics``
and ``/api/health`` see them as they see recorders in other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import click
from fastapi import FastAPI

from callvault.config import Settings
from callvault.ops.capture_recorder import STATS_EVERY_S, CaptureRecorder
from callvault.ops.stats import RecorderStats, write_stats

log = logging.getLogger(__name__)


class Recorders:
    """The recorders one ``callvault serve`` runs (possibly none)."""

    def __init__(
        self,
        settings: Settings,
        capture: CaptureRecorder | None = None,
        siprec: bool = False,
    ) -> None:
        self.settings = settings
        self.capture = capture
        self.siprec = siprec
        self.server: Any = None
        """The SIPREC RecordingServer once started."""
        self._journal: Any = None
        self._stats_task: asyncio.Task[None] | None = None
        self._siprec_stats: SiprecStats | None = None

    def open(self) -> None:
        """Open what can fail (the interface) before the API starts serving: a missing
        interface or permission is one line and no server."""
        if self.capture is not None:
            self.capture.open()

    async def start(self) -> None:
        if self.capture is not None:
            self.capture.start()
        if self.siprec:
            await self._start_siprec()

    async def stop(self) -> None:
        """Graceful: both recorders end every call in progress and save it."""
        if self.capture is not None:
            self.capture.stop()
        if self.server is not None:
            if self._stats_task is not None:
                self._stats_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._stats_task
            await self.server.stop()
            self._write_siprec_stats(running=False)
            self._journal.close()
        if self.capture is not None:
            await asyncio.to_thread(self.capture.join)

    # ---- SIPREC --------------------------------------------------------------------------

    async def _start_siprec(self) -> None:
        from callvault.commands.common import open_journal
        from callvault.live.board import LiveBoard
        from callvault.siprec.server import RecordingServer

        self._journal = open_journal(self.settings)
        try:
            self.server = RecordingServer(
                self.settings, self._journal, board=LiveBoard.attach(self._journal)
            )
            await self.server.start()
        except BaseException:
            self._journal.close()
            self.server = None
            raise
        self._siprec_stats = SiprecStats(self.settings, self.server)
        udp = self.server.addresses_bound["udp"]
        tcp = self.server.addresses_bound["tcp"]
        click.echo(f"callvault: SIPREC recording on udp {udp[0]}:{udp[1]} and tcp "
                   f"{tcp[0]}:{tcp[1]}", err=True)
        self._siprec_stats.write()
        self._stats_task = asyncio.create_task(self._siprec_stats.run())

    def _write_siprec_stats(self, running: bool = True) -> None:
        if self._siprec_stats is not None:
            self._siprec_stats.write(running)


class SiprecStats:
    """A SIPREC recording server's stats file (``ops.stats``), rewritten every
    ``STATS_EVERY_S`` while it runs — by ``callvault serve --record-siprec`` and by a
    standalone ``callvault siprec`` alike, so ``/metrics`` and ``/api/health`` see it."""

    def __init__(self, settings: Settings, server: Any) -> None:
        self.settings = settings
        self.server = server
        udp, tcp = server.addresses_bound["udp"], server.addresses_bound["tcp"]
        self.stats = RecorderStats(
            server.name, "siprec", f"udp {udp[0]}:{udp[1]}, tcp {tcp[0]}:{tcp[1]}"
        )

    async def run(self) -> None:
        """Rewrite the file every second until cancelled."""
        while True:
            await asyncio.sleep(STATS_EVERY_S)
            self.write()

    def write(self, running: bool = True) -> None:
        stats, server = self.stats, self.server
        engine = server.engine
        stats.packets_read = engine.summary.datagrams
        stats.skipped = dict(engine.summary.skipped)
        if server.media.dropped_paused:
            stats.skipped["paused stream"] = server.media.dropped_paused
        stats.calls_in_progress = len(engine.correlator.calls) if running else 0
        stats.calls_finished = server.calls_saved
        stats.heartbeat_at = time.time()
        stats.running = running
        try:
            write_stats(self.settings.data_dir, stats)
        except OSError as exc:
            log.warning("recorder stats not written: %s", exc)


def attach(app: FastAPI, recorders: Recorders) -> None:
    """Run ``recorders`` for as long as ``app`` runs: started after the app's own start-up,
    stopped before its own shutdown (the journal is still open while calls are saved)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            await recorders.start()
            try:
                yield state
            finally:
                await recorders.stop()

    app.router.lifespan_context = lifespan
    app.state.recorders = recorders
