"""`callvault audio`: a call's recording out of the vault."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from callvault.commands.common import TimeParam, journal_options, open_journal, settings_from
from callvault.recording.export import CHANNELS, export_recording
from callvault.recording.formats import FORMATS
from callvault.vault.filesystem import FilesystemVault


@click.command()
@click.argument("ref")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="wav (16-bit PCM unless copied as stored), flac or opus [default: as stored].",
)
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    default="both",
    show_default=True,
    help="Both parties (stereo: caller left, callee right) or one of them (mono).",
)
@journal_options
def audio(
    ref: str, out: Path, fmt: str | None, channel: str, data_dir: Path | None, db: str | None
) -> None:
    """Write the recording of call REF (id, uid or SIP Call-ID) to a file.

    With no --format and both channels the file is copied byte for byte: its SHA-256 is the
    one in the journal.
    """
    settings = settings_from(data_dir=data_dir, db=db)
    with open_journal(settings) as journal:
        call = journal.get_call(ref)
    if call is None:
        raise click.ClickException(f"no call with id, uid or Call-ID {ref!r} in the journal")
    if call.recording is None:
        why = f" ({call.audio_issue})" if call.audio_issue else ""
        raise click.ClickException(f"call {call.id} has no recording{why}")
    export_recording(FilesystemVault(settings.recordings_dir), call.recording, out, fmt, channel)
    click.echo(f"wrote {out}")


@click.command()
@click.option(
    "--older-than",
    "older_than",
    type=TimeParam(),
    default="-30d",
    show_default=True,
    help="Compact recordings of calls that started before this time.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["opus", "flac"]),
    default="opus",
    show_default=True,
    help="The format to re-encode into.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be compacted.")
@journal_options
def compact(
    older_than: datetime, fmt: str, dry_run: bool, data_dir: Path | None, db: str | None
) -> None:
    """Re-encode older recordings into a smaller format; the journal follows."""
    from callvault.recording.compact import compact as run_compact

    settings = settings_from(data_dir=data_dir, db=db)
    with open_journal(settings) as journal:
        summary = run_compact(
            journal, FilesystemVault(settings.recordings_dir), fmt, older_than, dry_run
        )
    verb = "would compact" if dry_run else "compacted"
    saved = ""
    if not dry_run and summary.bytes_before:
        saved = (
            f": {summary.bytes_before:,} → {summary.bytes_after:,} bytes "
            f"({100 * summary.bytes_after / summary.bytes_before:.0f} %)"
        )
    elif dry_run:
        saved = f" ({summary.bytes_before:,} bytes now)"
    click.echo(f"{verb} {summary.recordings} recording(s) to {fmt}{saved}")
    if summary.skipped:
        click.echo(
            f"callvault: {summary.skipped} recording(s) could not be read and were left as they are",
            err=True,
        )


COMMANDS: list[click.Command] = [audio, compact]
