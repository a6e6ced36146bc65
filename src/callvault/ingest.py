"""Ingest: capture files into the journal (the library call behind `callvault ingest`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from callvault.calls.model import Call
from callvault.config import Settings
from callvault.engine import IngestSummary, ProgressCallback, ingest_file


def ingest_files(
    paths: Sequence[Path | str],
    settings: Settings,
    on_call: Callable[[Call], None],
    progress: Callable[[Path], ProgressCallback | None] | None = None,
    on_window: Callable[[], None] | None = None,
) -> IngestSummary:
    """Ingest every file in turn (each its own capture); the summaries add up.

    ``on_window`` is called after each window of capture time (see ``Engine``)."""
    total = IngestSummary()
    for path in paths:
        path = Path(path)
        summary = ingest_file(
            path, settings, on_call, progress(path) if progress else None, on_window
        )
        total.files += summary.files
        total.bytes += summary.bytes
        total.packets += summary.packets
        total.datagrams += summary.datagrams
        total.sip_messages += summary.sip_messages
        total.rtp_packets += summary.rtp_packets
        total.rtcp_packets += summary.rtcp_packets
        total.calls += summary.calls
        total.unsignalled += summary.unsignalled
        total.streams += summary.streams
        total.seconds += summary.seconds
        total.merge_skips(summary.skipped)
        total.errors.extend(summary.errors)
    return total
