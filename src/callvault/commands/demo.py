"""`callvault demo`: a demo capture ingested, then a living call center generated."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from callvault.commands.common import journal_options, open_journal, settings_from
from callvault.config import Settings

if TYPE_CHECKING:
    from callvault.demo import DemoSummary


@click.command()
@journal_options
@click.option("--agents", type=click.IntRange(min=4), default=20, show_default=True,
              help="Agents in the generated center (4 queues, teams of 12).")
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True,
              help="Days of calls, ending with --end.")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The last day (YYYY-MM-DD) [default: today].")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Same seed, size and period: the same journal.")
@click.option("--recordings", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many of the most recent answered calls get a recording.")
@click.option("--staffing", type=click.FloatRange(0.05, 5), default=1.0, show_default=True,
              help="Agents on shift as a multiple of what 80/20 needs (0.7: understaffed).")
@click.option("--timezone", "zone", default=None,
              help="The center's time zone, e.g. Europe/Copenhagen [default: $TZ, else UTC].")
@click.option("--capture/--no-capture", default=True, show_default=True,
              help="First write the demo capture, ingest it and list its calls.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the demo capture "
              "[default: demo/demo-capture.pcap in the data directory].")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def demo(data_dir: Path | None, db: str | None, agents: int, days: int,
         end: datetime | None, seed: int, recordings: int, staffing: float, zone: str | None,
         capture: bool, out: Path | None, progress: bool | None) -> None:
    """Show callvault with something in it: write a demo capture with callvault's own
    capture writer, ingest it and list its calls; then generate a call center — teams,
    agents, queues, tracked marketing numbers, weeks of calls with daily and weekly
    rhythms, queueing and abandonment, outcomes, ratings, and recordings of the most
    recent calls — into the same journal.

    Run it again: the journal does not grow (the same seed gives the same calls).
    """
    import sqlalchemy as sa

    from callvault.demo import DemoConfig, generate
    from callvault.journal.engine import create_engine
    from callvault.vault.filesystem import FilesystemVault

    settings = settings_from(data_dir=data_dir, db=db)
    zone = zone or os.environ.get("TZ") or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{zone!r} is not a time zone (e.g. Europe/Copenhagen)",
                                 param_hint="--timezone") from None
    config = DemoConfig(agents=agents, days=days, end=end.date() if end else None, seed=seed,
                        recordings=recordings, staffing=staffing, timezone=zone)
    if capture:
        _capture(settings, out, data_dir, db)

    err = Console(stderr=True)
    show = err.is_terminal if progress is None else progress
    journal = open_journal(settings)
    engine = create_engine(sa.make_url(settings.journal_url))
    try:
        vault = FilesystemVault(settings.recordings_dir)
        if show:
            with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("days · {task.fields[calls]:,} calls"),
                          TimeRemainingColumn(), console=err, transient=True) as bar:
                task = bar.add_task("days", total=days, calls=0)
                summary = generate(journal, engine, vault, config,
                                   lambda done, calls: bar.update(task, completed=done,
                                                                  calls=calls))
        else:
            summary = generate(journal, engine, vault, config)
    finally:
        engine.dispose()
        journal.close()
    Console().print(_summary_table(summary, zone))
    click.echo(
        f"try: callvault calls --since {summary.last_day} --status missed · "
        f"callvault calls --queue Sales --since -2d · recordings are in {settings.recordings_dir}"
    )


def _capture(settings: Settings, out: Path | None, data_dir: Path | None,
             db: str | None) -> None:
    """The original demo: a support desk's morning as a capture, ingested and listed."""
    from callvault.commands.ingest import run_ingest
    from callvault.commands.journal import calls as calls_command
    from callvault.synth import demo_calls, write_capture

    path = out or settings.data_dir / "demo" / "demo-capture.pcap"
    path.parent.mkdir(parents=True, exist_ok=True)
    plans = demo_calls()
    frames = write_capture(path, plans)
    click.echo(f"wrote {path} ({frames:,} packets)")
    summary = run_ingest([path], settings, None, "text")
    if summary.errors:
        sys.exit(1)
    first = min(plan.start for plan in plans)
    last = max(plan.start for plan in plans)
    # the capture's calls alone, through the command's own options (its stable interface)
    listing = ["--oldest-first", "--since", f"@{first:.0f}", "--until", f"@{last + 1:.0f}"]
    if data_dir is not None:
        listing += ["--data-dir", str(data_dir)]
    if db is not None:
        listing += ["--db", db]
    calls_command.main(listing, prog_name="callvault calls", standalone_mode=False)
    click.echo(
        f"recordings are in {settings.recordings_dir}; one call in detail: callvault call 2; "
        "its audio: callvault audio 2 --out call2.wav"
    )


def _summary_table(summary: DemoSummary, zone: str) -> Table:
    table = Table(title="demo call center", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("period", f"{summary.first_day} – {summary.last_day} ({zone})")
    table.add_row("agents", f"{summary.agents:,} in {summary.teams} teams, "
                  f"{summary.queues} queues")
    table.add_row("tracked numbers", f"{summary.tracked_numbers}")
    table.add_row("calls", f"{summary.calls:,} (" + ", ".join(
        f"{n:,} {d}" for d, n in sorted(summary.by_direction.items())) + ")")
    table.add_row("by status",
                  ", ".join(f"{n:,} {s}" for s, n in sorted(summary.by_status.items())))
    table.add_row("inbound abandoned", f"{summary.inbound_abandoned:,} "
                  f"({summary.abandon_share:.1%})")
    table.add_row("recordings", f"{summary.recordings:,} "
                  f"({summary.recording_bytes / 1e6:,.1f} MB)")
    rate = summary.calls / summary.seconds if summary.seconds else 0.0
    saved = summary.calls / summary.save_seconds if summary.save_seconds else 0.0
    table.add_row("time", f"{summary.seconds:,.1f} s ({rate:,.0f} calls/s; "
                  f"journal writes {saved:,.0f} calls/s)")
    return table


COMMANDS: list[click.Command] = [demo]
