"""Each recorder's counters, shared with other processes as one small JSON file.

A recorder (``callvault capture``, ``callvault serve --capture-interface``) rewrites
``<data dir>/recorders/<name>.json`` with each heartbeat (about once a second), atomically
(written beside it, then renamed), so the API process — which may be another process, or
another machine sharing the data directory — reads whole numbers for ``/metrics`` and
``/api/health``. A file is the cheapest thing every reader can see without a table or a
socket; a recorder that stops cleanly says so in its last write (``running`` false), one
that crashed stops updating ``heartbeat_at``: its age tells.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RECORDERS_DIR = "recorders"
_SAFE = re.compile(r"[^A-Za-z0-9_.@-]")


@dataclass(slots=True)
class RecorderStats:
    """One recorder's state and counters since it started."""

    name: str
    source: str
    """"capture" (an interface) or "siprec"."""
    detail: str = ""
    """What it records from: the interface and filter."""
    pid: int = field(default_factory=os.getpid)
    started_at: float = field(default_factory=time.time)
    heartbeat_at: float = field(default_factory=time.time)
    running: bool = True
    packets_read: int = 0
    kernel_received: int = 0
    kernel_dropped: int = 0
    """ps_drop: lost because the capture buffer was full."""
    interface_dropped: int = 0
    """ps_ifdrop: dropped by the interface or its driver."""
    own_dropped: dict[str, int] = field(default_factory=dict)
    """Packets callvault itself let go, by reason (e.g. "queue full")."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Packets read but not used, by reason (the engine's skip counters)."""
    calls_in_progress: int = 0
    calls_finished: int = 0
    bytes_recorded: int = 0
    error: str | None = None
    """Why the recorder stopped, when it stopped on an error."""

    def age(self, now: float | None = None) -> float:
        """Seconds since the last heartbeat."""
        return max(0.0, (time.time() if now is None else now) - self.heartbeat_at)

    def up(self, stale_after_s: float, now: float | None = None) -> bool:
        """Running, and its heartbeat is fresh."""
        return self.running and self.age(now) <= stale_after_s


def stats_dir(data_dir: Path) -> Path:
    return Path(data_dir) / RECORDERS_DIR


def stats_path(data_dir: Path, name: str) -> Path:
    return stats_dir(data_dir) / f"{_SAFE.sub('_', name)}.json"


def write_stats(data_dir: Path, stats: RecorderStats) -> None:
    """Replace the recorder's file atomically."""
    path = stats_path(data_dir, stats.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(asdict(stats), sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def read_stats(data_dir: Path) -> list[RecorderStats]:
    """Every recorder's last word, by name; files that cannot be read are left out (a
    recorder writes the next one within a second)."""
    found = []
    folder = stats_dir(data_dir)
    if not folder.is_dir():
        return []
    for path in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            found.append(RecorderStats(**raw))
        except (OSError, ValueError, TypeError):
            continue
    return found
