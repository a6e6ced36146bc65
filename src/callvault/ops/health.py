"""Health: are the recorders alive, and is there room for the recordings?

"ok" unless something needs an operator: a recorder that should be running has not sent
a heartbeat for ``recorder_stale_s`` (it hangs or was killed), a recorder reports an error
(its journal is unreachable) or stopped on one, or the data directory has less than
``disk_free_min_mb`` free ("degraded", with one reason per problem). A recorder that was
stopped cleanly is listed, not a problem.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from callvault.config import Settings
from callvault.ops.stats import RecorderStats, read_stats

OK = "ok"
DEGRADED = "degraded"


@dataclass(slots=True)
class RecorderHealth:
    name: str
    source: str
    detail: str
    running: bool
    up: bool
    heartbeat_age_s: float
    calls_in_progress: int
    error: str | None


@dataclass(slots=True)
class Health:
    status: str
    reasons: list[str] = field(default_factory=list)
    disk_free_bytes: int = 0
    disk_total_bytes: int = 0
    disk_free_min_bytes: int = 0
    recorders: list[RecorderHealth] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def disk_usage(path: Path) -> tuple[int, int]:
    """(free, total) bytes of the file system holding ``path`` (or its nearest existing
    parent: the data directory may not exist yet)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    return int(usage.free), int(usage.total)


def check(settings: Settings, recorders: list[RecorderStats] | None = None,
          now: float | None = None) -> Health:
    """The health of this data directory's recorders and disk now."""
    now = time.time() if now is None else now
    recorders = read_stats(settings.data_dir) if recorders is None else recorders
    free, total = disk_usage(settings.data_dir)
    minimum = settings.disk_free_min_mb * 1024 * 1024
    health = Health(OK, disk_free_bytes=free, disk_total_bytes=total, disk_free_min_bytes=minimum)
    if free < minimum:
        health.reasons.append(
            f"disk: {free // 2**20:,} MB free in {settings.data_dir}, below disk_free_min_mb "
            f"({settings.disk_free_min_mb:,} MB)"
        )
    for stats in recorders:
        age = stats.age(now)
        up = stats.up(settings.recorder_stale_s, now)
        health.recorders.append(RecorderHealth(
            stats.name, stats.source, stats.detail, stats.running, up, round(age, 3),
            stats.calls_in_progress if up else 0, stats.error,
        ))
        if stats.running and not up:
            health.reasons.append(f"recorder {stats.name}: no heartbeat for {age:,.0f} s")
        elif stats.error:
            state = "" if stats.running else " stopped"
            health.reasons.append(f"recorder {stats.name}{state}: {stats.error}")
    if health.reasons:
        health.status = DEGRADED
    return health
