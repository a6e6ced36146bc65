"""`callvault ingest` and `callvault demo`: captures into the journal."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from callvault.calls.model import Call
from callvault.commands.common import journal_options, open_journal, settings_from
from callvault.engine import IngestSummary
from callvault.ingest import ingest_files

if TYPE_CHECKING:  # rich is imported when a progress bar or a table is shown
    from rich.table import Table

COMMIT_AFTER_S = 0.25
"""How long (wall clock) a finished call may wait for the commit that makes it visible."""

GC_GEN0_THRESHOLD = 50_000
"""Container allocations (net of frees) between young collections during an ingest, against
Python's 700: each SIP message makes many small objects, and a collection every 700 of
them cost ≈ 3-5 % of an ingest. Reference counting still frees every acyclic object at
once; only garbage in reference cycles waits, at most this many objects (a few MB)."""


def direction_options(f):  # type: ignore[no-untyped-def]
    f = click.option(
        "--local-net",
        "local_networks",
        multiple=True,
        metavar="CIDR",
        help="A network of the business's own phones/PBX (repeatable).",
    )(f)
    f = click.option(
        "--local-domain",
        "local_domains",
        multiple=True,
        metavar="DOMAIN",
        help="A SIP domain of the business (repeatable).",
    )(f)
    f = click.option(
        "--local-prefix",
        "local_number_prefixes",
        multiple=True,
        metavar="PREFIX",
        help="A number prefix of the business's own lines (repeatable).",
    )(f)
    f = click.option(
        "--region",
        "default_region",
        metavar="CC",
        help="Country for reading national numbers as E.164 (e.g. DK, BR).",
    )(f)
    return f


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@journal_options
@direction_options
@click.option(
    "--audio/--no-audio",
    "record_audio",
    default=None,
    help="Record every call's audio (default) or write the journal only.",
)
@click.option(
    "--audio-format",
    type=click.Choice(["wav", "flac", "opus"]),
    default=None,
    help="Recording format [default: wav: G.711 kept as sent, others 16-bit PCM].",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: when stderr is a terminal).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of the closing summary.",
)
def ingest(files: tuple[Path, ...], progress: bool | None, fmt: str, **options: object) -> None:
    """Read capture files (pcap, pcapng, gzip) and write every call in them to the journal.

    A call is written the moment it is over; a file that is cut short or corrupt is read
    up to the damage (its calls are kept) and reported, and the exit status is 1.
    """
    settings = settings_from(**options)
    summary = run_ingest(files, settings, progress, fmt)
    if summary.errors:
        sys.exit(1)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect the young generation every GC_GEN0_THRESHOLD allocations instead of 700, and
    move everything alive at start-up (modules, classes, the journal's metadata: alive until
    exit) out of the collector's reach with ``gc.freeze()`` so that no full collection walks
    it again. Both are undone on exit, for ``demo`` and the tests that run in one process."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_ingest(files, settings, progress: bool | None, fmt: str) -> IngestSummary:  # type: ignore[no-untyped-def]
    with fewer_collections():
        return _run_ingest(files, settings, progress, fmt)


def _run_ingest(files, settings, progress: bool | None, fmt: str) -> IngestSummary:  # type: ignore[no-untyped-def]
    show = progress
    if show is None:
        from rich.console import Console

        show = Console(stderr=True).is_terminal
    statuses: Counter[str] = Counter()
    with open_journal(settings) as journal:
        # Calls are committed together at the end of a window (≤ 1 s of capture time) once
        # the first of them has waited COMMIT_AFTER_S: a commit rewrites the pages of every
        # index it touches and costs more than the statements of a few calls.
        pending: list[Call] = []
        held_since = 0.0

        def on_call(call: Call) -> None:
            nonlocal held_since
            if not pending:
                held_since = time.monotonic()
            pending.append(call)
            statuses[call.status.value] += 1

        def commit(*, now: bool = False) -> None:
            if pending and (now or time.monotonic() - held_since >= COMMIT_AFTER_S):
                journal.save_many(pending)
                pending.clear()

        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            with bar:

                def progress_for(path: Path):  # type: ignore[no-untyped-def]
                    task = bar.add_task(path.name, total=None)

                    def update(done: int, size: int) -> None:
                        bar.update(task, completed=done, total=size)

                    return update

                summary = ingest_files(files, settings, on_call, progress_for, commit)
        else:
            summary = ingest_files(files, settings, on_call, on_window=commit)
        commit(now=True)
    for line in summary.errors:
        click.echo(f"callvault: error: {line}", err=True)
    if fmt == "json":
        click.echo(json.dumps(summary_dict(summary, statuses), indent=2))
    else:
        from rich.console import Console

        Console().print(summary_table(summary, statuses))
    return summary


def summary_dict(summary: IngestSummary, statuses: Counter[str]) -> dict[str, object]:
    return {
        "files": summary.files,
        "bytes": summary.bytes,
        "packets": summary.packets,
        "sip_messages": summary.sip_messages,
        "rtp_packets": summary.rtp_packets,
        "rtcp_packets": summary.rtcp_packets,
        "calls": summary.calls,
        "unsignalled": summary.unsignalled,
        "streams": summary.streams,
        "statuses": dict(sorted(statuses.items())),
        "skipped": dict(sorted(summary.skipped.items())),
        "errors": summary.errors,
        "seconds": round(summary.seconds, 3),
    }


def summary_table(summary: IngestSummary, statuses: Counter[str]) -> Table:
    from rich.table import Table

    table = Table(title="ingest summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rate = summary.packets / summary.seconds if summary.seconds else 0
    table.add_row("files", f"{summary.files}")
    table.add_row("packets read", f"{summary.packets:,} ({rate:,.0f}/s)")
    table.add_row("SIP messages", f"{summary.sip_messages:,}")
    table.add_row("RTP packets", f"{summary.rtp_packets:,}")
    table.add_row(
        "calls",
        f"{summary.calls:,}"
        + (
            " ("
            + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if s != "unsignalled")
            + ")"
            if statuses
            else ""
        ),
    )
    table.add_row("unsignalled media", f"{summary.unsignalled:,}")
    table.add_row("streams", f"{summary.streams:,}")
    for reason, n in sorted(summary.skipped.items(), key=lambda kv: -kv[1]):
        table.add_row(f"skipped: {reason}", f"{n:,}")
    if summary.errors:
        table.add_row("errors", f"{len(summary.errors)}")
    return table


@click.command()
@journal_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the demo capture [default: demo/demo-capture.pcap in the data directory].",
)
@click.pass_context
def demo(ctx: click.Context, out: Path | None, data_dir: Path | None, db: str | None) -> None:
    """Write a demo capture of a support desk's morning with callvault's own capture writer,
    ingest it into the journal, and list the calls.

    Run it again: the journal does not grow (ingest is idempotent).
    """
    from callvault.commands.journal import calls as calls_command
    from callvault.synth import demo_calls, write_capture

    settings = settings_from(data_dir=data_dir, db=db)
    path = out or settings.data_dir / "demo" / "demo-capture.pcap"
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = write_capture(path, demo_calls())
    click.echo(f"wrote {path} ({frames:,} packets)")
    summary = run_ingest([path], settings, None, "text")
    if summary.errors:
        sys.exit(1)
    ctx.invoke(calls_command, data_dir=data_dir, db=db, oldest_first=True)
    click.echo(
        f"recordings are in {settings.recordings_dir}; one call in detail: callvault call 2; "
        "its audio: callvault audio 2 --out call2.wav"
    )


COMMANDS: list[click.Command] = [ingest, demo]
