"""`callvault capture`: record calls live from a network interface (docs/capture-live.md)."""

from __future__ import annotations

import json
import signal
import sys
from types import FrameType

import click

from callvault.capture.live import DEFAULT_BUFFER_MB, DEFAULT_SNAPLEN
from callvault.commands.common import journal_options, settings_from
from callvault.commands.ingest import direction_options, summary_dict, summary_table
from callvault.ops.capture_recorder import CaptureRecorder
from callvault.ops.stats import RecorderStats


@click.command()
@click.option(
    "-i", "--interface", required=True, metavar="IF",
    help="The interface to capture on (a mirror/SPAN port; 'any' for all; `ip link` lists them).",
)
@click.option(
    "-f", "--filter", "bpf", metavar="BPF",
    help="A capture filter in tcpdump syntax, e.g. \"udp port 5060 or udp portrange "
    "10000-20000\" [default: everything].",
)
@click.option(
    "--record/--no-record", default=False, show_default=True,
    help="Record each call's audio, as ingest does, or write the journal only.",
)
@click.option(
    "--audio-format", type=click.Choice(["wav", "flac", "opus"]), default=None,
    help="Recording format [default: wav: G.711 kept as sent, others 16-bit PCM].",
)
@click.option(
    "--snaplen", type=click.IntRange(64, 262144), default=DEFAULT_SNAPLEN, show_default=True,
    help="Bytes kept of each packet.",
)
@click.option(
    "--buffer-mb", type=click.IntRange(1, 4096), default=DEFAULT_BUFFER_MB, show_default=True,
    help="Kernel capture buffer; a bigger one rides out longer bursts without drops.",
)
@click.option(
    "--live-board/--no-live-board", default=True, show_default=True,
    help="Publish calls in progress on the live board and apply recording control from it; "
    "without it, a busy logger spends nothing on the board.",
)
@click.option("--name", metavar="NAME", help="This recorder's name on the live board and in "
              "metrics [default: capture-IF@HOSTNAME].")
@click.option(
    "--progress/--no-progress", default=None,
    help="Print the counters every second (default: when stderr is a terminal).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Format of the closing summary.",
)
@journal_options
@direction_options
def capture(
    interface: str,
    bpf: str | None,
    record: bool,
    snaplen: int,
    buffer_mb: int,
    name: str | None,
    live_board: bool,
    progress: bool | None,
    fmt: str,
    **options: object,
) -> None:
    """Record calls live from a network interface until SIGTERM or Ctrl-C.

    Each call is written to the journal the moment it is over; on SIGTERM/SIGINT every
    call in progress is closed and saved. Kernel drops (buffer full, interface) and
    callvault's own are shown as they happen and at the end. Needs root, or CAP_NET_RAW
    and CAP_NET_ADMIN.
    """
    settings = settings_from(record_audio=record, **options)
    recorder = CaptureRecorder(
        settings, interface, bpf, snaplen=snaplen, buffer_mb=buffer_mb, record=record,
        name=name, live_board=live_board,
    )
    recorder.open()  # a missing interface, permission or bad filter: one line, exit 1

    def graceful(number: int, frame: FrameType | None) -> None:
        recorder.stop()
        if number == signal.SIGINT:  # a second Ctrl-C quits at once
            signal.signal(signal.SIGINT, signal.default_int_handler)
        click.echo("callvault capture: stopping; saving the calls in progress", err=True)

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, graceful)
    show = sys.stderr.isatty() if progress is None else progress
    click.echo(
        f"callvault capture: recording from {interface}"
        + (f" (filter {bpf!r})" if bpf else "")
        + f" into {settings.journal_url}; SIGTERM or Ctrl-C stops",
        err=True,
    )
    summary = recorder.run(progress=_progress_line if show else None)
    stats = recorder.stats
    if fmt == "json":
        out = summary_dict(summary, recorder.statuses)
        out.update(_drops(stats))
        out["interface"] = interface
        click.echo(json.dumps(out, indent=2))
    else:
        from rich.console import Console

        table = summary_table(summary, recorder.statuses)
        table.title = f"capture summary ({interface})"
        for key, value in _drops(stats).items():
            if isinstance(value, dict):
                for reason, n in sorted(value.items()):
                    table.add_row(f"own drops: {reason}", f"{n:,}")
            else:
                table.add_row(key.replace("_", " "), f"{value:,}")
        Console().print(table)
    if recorder.failure:
        click.echo(f"callvault: error: {recorder.failure}", err=True)
        sys.exit(1)


def _drops(stats: RecorderStats) -> dict[str, object]:
    return {
        "kernel_received": stats.kernel_received,
        "kernel_dropped": stats.kernel_dropped,
        "interface_dropped": stats.interface_dropped,
        "own_dropped": dict(stats.own_dropped),
    }


def _progress_line(recorder: CaptureRecorder) -> None:
    s = recorder.stats
    own = s.own_dropped.get("queue full", 0)
    batches = s.own_dropped.get("batches", 0)
    click.echo(
        f"capture {recorder.interface}: {s.packets_read:,} packets, "
        f"{s.calls_in_progress} calls in progress, {s.calls_finished:,} saved; "
        f"drops: kernel {s.kernel_dropped:,}, interface {s.interface_dropped:,}, own {own:,}"
        + (f" ({batches:,} batches)" if batches else "")
        + f"; skipped {sum(s.skipped.values()):,}",
        err=True,
    )


COMMANDS: list[click.Command] = [capture]
