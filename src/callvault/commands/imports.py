"""`callvault import …`: PBX call detail records into the journal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from callvault.commands.common import journal_options, open_journal, settings_from
from callvault.importers import ImportResult, asterisk, freeswitch, read_calls, zone_named

SHOWN_LINES = 5
"""Line numbers listed per skip reason in the summary."""

_FILES = click.Path(exists=True, path_type=Path)


@click.group("import")
def import_() -> None:
    """Import PBX call detail records (Asterisk, FreeSWITCH) into the journal.

    Importing a file again changes nothing: each call's uid comes from the format, the
    PBX's call id and the start time.
    """


def _timezone(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--timezone", "timezone", metavar="ZONE",
                        help="IANA zone the PBX wrote its times in, e.g. Europe/Copenhagen "
                        "[default: this machine's zone]")(command)


def _recordings(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--recordings", type=click.Path(exists=True, file_okay=False,
                        path_type=Path), help="Directory of the PBX's recordings, named "
                        "by uniqueid/linkedid/uuid (<id>.wav, <prefix>-<id>.wav).")(command)


def _columns(parse: Callable[[str], tuple[str, ...]]) -> Callable[[Any, Any, str | None],
                                                                   tuple[str, ...] | None]:
    def convert(ctx: Any, param: Any, value: str | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    return convert


def _run(fmt: str, files: Sequence[Path], data_dir: Path | None, db: str | None, *,
         timezone: str | None = None, columns: Sequence[str] | None = None,
         table: str = "cdr", recordings: Path | None = None) -> None:
    settings = settings_from(data_dir=data_dir, db=db)
    result = read_calls(fmt, files, settings, zone=zone_named(timezone), columns=columns,
                        table=table, recordings=recordings)
    with open_journal(settings) as journal:
        journal.save_many(result.calls)
    _summary(result)


def _summary(result: ImportResult) -> None:
    report = result.report
    click.echo(f"{report.rows} rows read, {len(result.calls)} calls written, "
               f"{result.recordings} recordings attached, {len(report.skipped)} rows skipped")
    for reason, lines in report.reasons().items():
        shown = ", ".join(str(n) for n in lines[:SHOWN_LINES])
        more = f" and {len(lines) - SHOWN_LINES} more" if len(lines) > SHOWN_LINES else ""
        click.echo(f"  skipped {len(lines)}: {reason} (line {shown}{more})")


@import_.command("asterisk-csv")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@_timezone
@_recordings
@journal_options
def asterisk_csv(files: tuple[Path, ...], timezone: str | None, recordings: Path | None,
                 data_dir: Path | None, db: str | None) -> None:
    """Asterisk cdr_csv Master.csv files (21 columns, or the older 16-18)."""
    _run("asterisk-csv", files, data_dir, db, timezone=timezone, recordings=recordings)


@import_.command("asterisk-custom")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--columns", callback=_columns(asterisk.parse_columns),
              help="The cdr_custom.conf mapping's fields in order: clid,src,dst,… "
              "[default: the sample cdr_custom.conf mapping]")
@_timezone
@_recordings
@journal_options
def asterisk_custom(files: tuple[Path, ...], columns: tuple[str, ...] | None,
                    timezone: str | None, recordings: Path | None, data_dir: Path | None,
                    db: str | None) -> None:
    """Asterisk cdr_custom CSV files."""
    _run("asterisk-custom", files, data_dir, db, timezone=timezone, columns=columns,
         recordings=recordings)


@import_.command("freeswitch-csv")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--columns", callback=_columns(freeswitch.parse_columns),
              help="The template's variables in order [default: mod_cdr_csv's default "
              "template]")
@_timezone
@_recordings
@journal_options
def freeswitch_csv(files: tuple[Path, ...], columns: tuple[str, ...] | None,
                   timezone: str | None, recordings: Path | None, data_dir: Path | None,
                   db: str | None) -> None:
    """FreeSWITCH mod_cdr_csv files."""
    _run("freeswitch-csv", files, data_dir, db, timezone=timezone, columns=columns,
         recordings=recordings)


@import_.command("freeswitch-sqlite")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--table", default="cdr", show_default=True, help="The CDR table.")
@_timezone
@_recordings
@journal_options
def freeswitch_sqlite(files: tuple[Path, ...], table: str, timezone: str | None,
                      recordings: Path | None, data_dir: Path | None, db: str | None) -> None:
    """FreeSWITCH mod_cdr_sqlite databases, or `sqlite3 .dump` SQL files of them."""
    _run("freeswitch-sqlite", files, data_dir, db, timezone=timezone, table=table,
         recordings=recordings)


@import_.command("freeswitch-json")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@_recordings
@journal_options
def freeswitch_json(files: tuple[Path, ...], recordings: Path | None, data_dir: Path | None,
                    db: str | None) -> None:
    """FreeSWITCH mod_json_cdr files (one call each), or directories of *.json files."""
    _run("freeswitch-json", files, data_dir, db, recordings=recordings)


COMMANDS: list[click.Command] = [import_]
