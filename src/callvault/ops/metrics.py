"""``GET /metrics``: Prometheus text exposition (format 0.0.4), written by hand.

The numbers come from where every process can read them, so the API can serve the metrics
of recorders running in other processes: the recorders' stats files (``ops.stats``: packets,
drops, calls finished, bytes recorded, heartbeat), the live board (calls in progress,
whichever process records them) and the file system (disk free). Counters are the
recorder's since it started (they reset when it restarts, which Prometheus's ``rate``
handles); every recorder-level series carries ``recorder`` and ``source`` labels.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from callvault.config import Settings
from callvault.ops.health import check
from callvault.ops.stats import RecorderStats, read_stats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[dict[str, str], float]


class Exposition:
    """Metric families in order, each with HELP, TYPE and its samples."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> None:
        self._lines.append(f"# HELP {name} {_escape_help(help_text)}")
        self._lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self._lines.append(f"{name}{_labels(labels)} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def render(settings: Settings, calls_in_progress: int | None,
           recorders: list[RecorderStats] | None = None, now: float | None = None) -> str:
    """The metrics page. ``calls_in_progress``: the live board's count (None where there is
    no board: the recorders' own counts are added up instead)."""
    now = time.time() if now is None else now
    recorders = read_stats(settings.data_dir) if recorders is None else recorders
    health = check(settings, recorders, now)
    up = {r.name: r.up for r in health.recorders}
    out = Exposition()

    def each(value) -> list[Sample]:  # type: ignore[no-untyped-def]
        return [({"recorder": r.name, "source": r.source}, value(r)) for r in recorders]

    if calls_in_progress is None:
        calls_in_progress = sum(r.calls_in_progress for r in recorders if up[r.name])
    out.family("callvault_calls_in_progress", "gauge",
               "Calls in progress on every recorder of this journal.",
               [({}, calls_in_progress)])
    out.family("callvault_recorder_up", "gauge",
               "1 while the recorder runs and its heartbeat is fresh.",
               each(lambda r: 1 if up[r.name] else 0))
    out.family("callvault_recorder_heartbeat_age_seconds", "gauge",
               "Seconds since the recorder's last heartbeat.", each(lambda r: r.age(now)))
    out.family("callvault_recorder_calls_in_progress", "gauge",
               "Calls in progress on the recorder.",
               each(lambda r: r.calls_in_progress if up[r.name] else 0))
    out.family("callvault_calls_finished_total", "counter",
               "Calls the recorder finished and saved to the journal.",
               each(lambda r: r.calls_finished))
    out.family("callvault_packets_read_total", "counter",
               "Packets the recorder read and handed to the engine.",
               each(lambda r: r.packets_read))
    drops: list[Sample] = []
    for r in recorders:
        base = {"recorder": r.name, "source": r.source}
        if r.source == "capture":  # a SIPREC server reads its own sockets: no kernel capture
            drops.append(({**base, "where": "kernel", "reason": "buffer full"},
                          r.kernel_dropped))
            drops.append(({**base, "where": "interface", "reason": "interface"},
                          r.interface_dropped))
        for reason, n in sorted(r.own_dropped.items()):
            if reason != "batches":
                drops.append(({**base, "where": "callvault", "reason": reason}, n))
    out.family("callvault_packets_dropped_total", "counter",
               "Packets lost before callvault read them (kernel, interface) or let go by "
               "callvault itself, by reason.", drops)
    out.family("callvault_packets_skipped_total", "counter",
               "Packets read but not used, by reason (not SIP or RTP, malformed, ...).",
               [({"recorder": r.name, "source": r.source, "reason": reason}, n)
                for r in recorders for reason, n in sorted(r.skipped.items())])
    out.family("callvault_recorded_bytes_total", "counter",
               "Bytes of recordings the recorder finished.", each(lambda r: r.bytes_recorded))
    out.family("callvault_disk_free_bytes", "gauge",
               "Free bytes on the file system of the data directory.",
               [({"path": str(settings.data_dir)}, health.disk_free_bytes)])
    out.family("callvault_disk_free_min_bytes", "gauge",
               "Free space below which health is degraded (disk_free_min_mb).",
               [({"path": str(settings.data_dir)}, health.disk_free_min_bytes)])
    out.family("callvault_healthy", "gauge", "1 when health is ok, 0 when degraded.",
               [({}, 1 if health.status == "ok" else 0)])
    return out.text()


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels.items())
    return "{" + inner + "}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return repr(round(float(value), 3))
