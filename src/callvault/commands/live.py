"""`callvault live`: the calls in progress and their recording control (docs/live.md)."""

from __future__ import annotations

import getpass
import json
import time
from datetime import datetime
from pathlib import Path

import click

from callvault.commands.common import journal_options, settings_from
from callvault.live import LiveBoard, LiveCall


def _board(data_dir: Path | None, db: str | None) -> LiveBoard:
    return LiveBoard.open(settings_from(data_dir, db).journal_url)


@click.group()
def live() -> None:
    """Watch the calls in progress and start, stop, pause or resume their recording."""


@live.command("calls")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@journal_options
def calls(as_json: bool, data_dir: Path | None, db: str | None) -> None:
    """List the calls in progress, oldest first."""
    with _board(data_dir, db) as board:
        found = board.calls()
    if as_json:
        click.echo(json.dumps([call.to_dict() for call in found], indent=2))
        return
    if not found:
        click.echo("No calls in progress.")
        return
    now = time.time()
    header = ("CALL", "STARTED", "DURATION", "CALLER", "CALLEE", "RECORDING", "REQUESTED",
              "RECORDER")
    rows = [header, *(_row(call, now) for call in found)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                   .rstrip())


def _row(call: LiveCall, now: float) -> tuple[str, ...]:
    seconds = max(0, int(now - call.started_at))
    requested = f"{call.requested} by {call.requested_by}" if call.requested else ""
    return (
        call.call_id,
        datetime.fromtimestamp(call.started_at).astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}",
        _party(call.caller_number, call.caller_display_name),
        _party(call.callee_number, call.callee_display_name),
        call.recording,
        requested,
        f"{call.recorder} ({call.source})",
    )


def _party(number: str | None, name: str | None) -> str:
    if name and number:
        return f"{name} <{number}>"
    return name or number or "?"


def _control(action: str, summary: str) -> click.Command:
    @click.command(action, help=f"{summary} the recording of a call in progress (its recorder "
                   "applies the request within a second or two).")
    @click.argument("call_id")
    @click.option("--by", metavar="NAME", help="Who asks, for the call's events "
                  "[default: cli:<your login>].")
    @journal_options
    def command(call_id: str, by: str | None, data_dir: Path | None, db: str | None) -> None:
        with _board(data_dir, db) as board:
            asked = board.request(call_id, action, by or f"cli:{_login()}")
        click.echo(f"{action} requested for call {asked.call_id}: its recording will be "
                   f"{asked.state} once its recorder applies it")

    return command


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


for _action, _summary in (("start", "Start"), ("stop", "Stop"), ("pause", "Pause"),
                          ("resume", "Resume")):
    live.add_command(_control(_action, _summary))

COMMANDS: list[click.Command] = [live]
