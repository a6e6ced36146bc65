"""`callvault audio`: a call's recording out of the vault."""

from __future__ import annotations

from pathlib import Path

import click

from callvault.commands.common import journal_options, open_journal, settings_from
from callvault.recording.export import CHANNELS, export_recording
from callvault.recording.formats import FORMATS
from callvault.vault.filesystem import FilesystemVault


@click.command()
@click.argument("ref")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="wav (16-bit PCM unless copied as stored), flac or opus [default: as stored].")
@click.option("--channel", type=click.Choice(CHANNELS), default="both", show_default=True,
              help="Both parties (stereo: caller left, callee right) or one of them (mono).")
@journal_options
def audio(ref: str, out: Path, fmt: str | None, channel: str, data_dir: Path | None,
          db: str | None) -> None:
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


COMMANDS: list[click.Command] = [audio]
