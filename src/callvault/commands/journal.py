"""`callvault calls` and `callvault call`: read the journal."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from callvault.calls.model import Call, CallStatus, Direction, Party, Side
from callvault.commands.common import (
    TimeParam,
    journal_options,
    open_journal,
    settings_from,
)
from callvault.journal import CallFilter
from callvault.journal.filters import SORT_KEYS, FilterError
from callvault.journal.export import CSV_FIELDS, call_record, csv_row
from callvault.journal.rows import PARTY_FIELDS

TABLE_LIMIT = 50
"""Calls in a table when --limit is not given (exports have no default limit)."""

WIDE = 200
"""Columns for tables written to a file or a pipe, where the terminal's width means nothing."""

NONE = "-"

COUNT_CAP = 1_000
"""A table's footer counts matching calls up to this many (cheap on any journal)."""

F = TypeVar("F", bound=Callable[..., Any])


_SEVERAL = " Repeat for several (any of them)."
_CHOICE_OPTIONS = {"status": CallStatus, "direction": Direction}
_TEXT_OPTIONS = ("outcome", "channel", "campaign", "codec", "transport", "source")
_ID_OPTIONS = ("agent_id", "team_id", "queue_id", "tracked_number_id")
_RANGE_OPTIONS = ("duration", "talk", "ring")


def filter_options(command: F) -> F:
    """Every ``CallFilter`` field as an option (the API's query parameters, dashed)."""
    options = [
        click.option("--since", type=TimeParam(), help="Calls that started at or after this time."),
        click.option("--until", type=TimeParam(), help="Calls that started before this time."),
        click.option("--number", metavar="N", help="Part of the caller's or callee's number."),
        click.option("--party", metavar="N", help="A whole number as caller or callee."),
        click.option("--caller", metavar="N", help="A whole number as the caller."),
        click.option("--callee", metavar="N", help="A whole number as the callee."),
        *(
            click.option(
                f"--{name}",
                multiple=True,
                type=click.Choice([member.value for member in enum], case_sensitive=False),
                help=f"{name.capitalize()}.{_SEVERAL}",
            )
            for name, enum in _CHOICE_OPTIONS.items()
        ),
        *(
            click.option(
                f"--{name.replace('_', '-')}",
                multiple=True,
                type=click.IntRange(min=0),
                metavar="ID",
                help=f"{name.removesuffix('_id').replace('_', ' ').capitalize()} id.{_SEVERAL}",
            )
            for name in _ID_OPTIONS
        ),
        click.option("--agent", metavar="NAME", help="An agent's name (whole, any case)."),
        click.option("--team", metavar="NAME", help="A team's name."),
        click.option("--queue", metavar="NAME", help="A queue's name."),
        *(
            click.option(
                f"--{bound}-{name}-ms",
                type=click.IntRange(min=0),
                metavar="MS",
                help=f"{'At least' if bound == 'min' else 'At most'} this {name} time, in ms.",
            )
            for name in _RANGE_OPTIONS
            for bound in ("min", "max")
        ),
        click.option(
            "--recorded/--not-recorded",
            "has_recording",
            default=None,
            help="Only calls with (without) a recording.",
        ),
        click.option(
            "--audio-issue/--no-audio-issue",
            "has_audio_issue",
            default=None,
            help="Only calls whose audio was (was not) unusable.",
        ),
        *(
            click.option(
                f"--{name}", multiple=True, metavar="TEXT", help=f"{name.capitalize()}.{_SEVERAL}"
            )
            for name in _TEXT_OPTIONS
        ),
        click.option(
            "--tag", "tags", multiple=True, metavar="TAG", help="A tag; repeated: every one."
        ),
        click.option(
            "--sip-code",
            multiple=True,
            type=click.IntRange(100, 699),
            help=f"Final SIP code.{_SEVERAL}",
        ),
        click.option(
            "--hangup-by", type=click.Choice([side.value for side in Side]), help="Who hung up."
        ),
        click.option("--comment", metavar="TEXT", help="Text in the comment (any case)."),
        click.option(
            "--sort",
            type=click.Choice(list(SORT_KEYS)),
            default="started_at",
            show_default=True,
            help="Sort key; the call id breaks ties.",
        ),
        click.option(
            "--oldest-first", "--asc", "ascending", is_flag=True,
            help="Ascending order (default: descending, newest first).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def call_filter(
    given: dict[str, Any], *, limit: int | None = None, offset: int = 0, cursor: str | None = None
) -> CallFilter:
    """The CallFilter ``filter_options`` collected; a bad combination is a usage error
    naming the option."""
    fields = {
        name: (tuple(value) if isinstance(value, tuple | list) else value)
        for name, value in given.items()
        if value is not None and value != ()
    }
    ascending = bool(fields.pop("ascending", False))
    try:
        return CallFilter(
            **fields, newest_first=not ascending, limit=limit, offset=offset, cursor=cursor
        )
    except FilterError as exc:
        option = {"tags": "tag", "newest_first": "oldest-first"}.get(exc.field, exc.field)
        raise click.UsageError(f"--{option.replace('_', '-')}: {exc}") from None


@click.command()
@filter_options
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help=f"At most N calls [default: {TABLE_LIMIT} in a table, all in csv and json].",
)
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip the first N calls.")
@click.option(
    "--cursor", metavar="CURSOR", help="Continue after a previous page (the cursor it printed)."
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="csv and json: every field, times in UTC.",
)
@journal_options
def calls(
    limit: int | None,
    offset: int,
    cursor: str | None,
    output: str,
    data_dir: Path | None,
    db: str | None,
    **given: Any,
) -> None:
    """List calls from the journal, newest first.

    TIME is an ISO date or date-time (local time unless it has a zone), 'now', 'today',
    'yesterday', a time ago such as -30m, -2h, -7d, -1w, or @EPOCH-SECONDS.
    """
    if limit is None and output == "table":
        limit = TABLE_LIMIT
    wanted = call_filter(given, limit=limit, offset=offset, cursor=cursor)
    with open_journal(settings_from(data_dir, db)) as journal:
        page = journal.page_calls(wanted)
        found = page.calls
        if output == "json":
            click.echo(json.dumps([call_record(c) for c in found], ensure_ascii=False, indent=2))
        elif output == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS)
            writer.writeheader()
            writer.writerows(csv_row(call) for call in found)
        elif found:
            console = _console()
            console.print(_calls_table(found))
            total = journal.count_calls(wanted, cap=COUNT_CAP)
            footer = _shown(offset, len(found), total, cursor, page.next_cursor)
            console.print(footer, style="dim", overflow="ignore", crop=False, soft_wrap=True)
        elif (everything := journal.count_calls(cap=COUNT_CAP)) == 0:
            click.echo(
                "The journal has no calls yet: `callvault ingest CAPTURE` records some "
                f"({journal.url})."
            )
        else:
            many = _count(everything) if everything <= COUNT_CAP else f"over {COUNT_CAP:,} calls"
            click.echo(f"No calls match; {many} in the journal.")


@click.command()
@click.argument("ref")
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@journal_options
def call(ref: str, output: str, data_dir: Path | None, db: str | None) -> None:
    """Show one call, every stream and event: REF is its id, uid or SIP Call-ID."""
    with open_journal(settings_from(data_dir, db)) as journal:
        found = journal.get_call(ref)
    if found is None:
        raise click.ClickException(f"no call with id, uid or Call-ID '{ref}' in the journal")
    if output == "json":
        click.echo(json.dumps(call_record(found, detail=True), ensure_ascii=False, indent=2))
    else:
        _console().print(_call_text(found))


COMMANDS: list[click.Command] = [calls, call]


# -- rendering -----------------------------------------------------------------------------


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = WIDE
    return console


def local_time(moment: float, *, milliseconds: bool = False) -> str:
    """Local time with its offset, e.g. 2024-05-01 14:51:30+02:00."""
    spec = "milliseconds" if milliseconds else "seconds"
    return datetime.fromtimestamp(moment).astimezone().isoformat(sep=" ", timespec=spec)


def hms(ms: int | None) -> str:
    """Milliseconds as h:mm:ss, rounded to the second."""
    if ms is None:
        return NONE
    minutes, seconds = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _status(call: Call) -> str:
    return call.status.value if call.sip_code is None else f"{call.status.value} {call.sip_code}"


def _who(party: Party) -> str:
    return party.e164 or party.number or party.uri or NONE


def _calls_table(found: Iterable[Call]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for heading in ("id", "start", "caller", "callee", "direction", "status", "ring", "talk"):
        table.add_column(heading, justify="right" if heading in ("id", "ring", "talk") else "left")
    table.add_column("streams", justify="right")
    for c in found:
        table.add_row(
            str(c.id),
            local_time(c.started_at),
            _who(c.caller),
            _who(c.callee),
            c.direction.value,
            _status(c),
            hms(c.ring_ms),
            hms(c.talk_ms),
            str(len(c.streams)),
        )
    return table


def _count(n: int) -> str:
    return f"{n:,} call" + ("" if n == 1 else "s")


def _shown(
    offset: int, shown: int, total: int, cursor: str | None, next_cursor: str | None
) -> str:
    """The table's footer: which calls it shows, and how to ask for the next page."""
    if offset == 0 and cursor is None and next_cursor is None:
        return f"{_count(shown)}."
    of = f"more than {COUNT_CAP:,}" if total > COUNT_CAP else f"{total:,}"
    where = f"Calls {offset + 1:,}-{offset + shown:,} of {of}"
    if cursor is not None:
        where = f"{_count(shown)} of {of}"
    if next_cursor is None:
        return f"{where}."
    return f"{where}; the next page: --cursor {next_cursor}"


def _call_text(c: Call) -> Group:
    return Group(
        Text(f"Call {c.id}: {c.direction.value}, {_status(c)}", style="bold"),
        _facts(c),
        Text(),
        _parties(c),
        Text(),
        _streams(c),
        Text(),
        _events(c),
    )


def _facts(c: Call) -> Table:
    def moment(at: float | None) -> str:
        if at is None:
            return NONE
        return f"{local_time(at, milliseconds=True)}  ({c.offset_ms(at):+,} ms)"

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    rows = [
        ("uid", c.uid),
        ("Call-ID", c.sip_call_id or NONE),
        ("started", local_time(c.started_at, milliseconds=True)),
        ("ringing", moment(c.ringing_at)),
        ("answered", moment(c.answered_at)),
        ("ended", moment(c.ended_at)),
        ("ring", f"{hms(c.ring_ms)}  ({_ms(c.ring_ms)})"),
        ("talk", f"{hms(c.talk_ms)}  ({_ms(c.talk_ms)})"),
        ("duration", f"{hms(c.duration_ms)}  ({_ms(c.duration_ms)})"),
        ("status", _status(c)),
        ("reason", c.reason or NONE),
        ("hung up by", c.hangup_by.value if c.hangup_by else NONE),
        ("end", c.end_cause or NONE),
        ("direction", c.direction.value),
        ("transport", c.transport or NONE),
        ("codecs", ", ".join(c.codecs) or NONE),
        ("source", c.source or NONE),
        ("recording", _recording(c)),
    ]
    for label, value in rows:
        facts.add_row(label, Text(value))
    return facts


def _recording(c: Call) -> str:
    r = c.recording
    issue = f"  [{c.audio_issue}]" if c.audio_issue else ""
    if r is None:
        return (c.audio_issue or NONE)
    return (f"{r.path}  {r.format} {r.encoding} {r.sample_rate} Hz, {hms(r.duration_ms)}, "
            f"{r.size:,} bytes, sha256 {r.sha256[:16]}…{issue}")


def _ms(ms: int | None) -> str:
    return NONE if ms is None else f"{ms:,} ms"


def _parties(c: Call) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for heading in ("", "caller", "callee"):
        table.add_column(heading)
    for name in PARTY_FIELDS:
        values = (getattr(c.caller, name), getattr(c.callee, name))
        table.add_row(name.replace("_", " "), *(Text(v or NONE) for v in values))
    return table


def _streams(c: Call) -> Table:
    table = Table(
        title=f"Streams ({len(c.streams)})", title_justify="left", box=None, pad_edge=False
    )
    table.title_style = "bold"
    headings = ("side", "ssrc", "from", "to", "codec", "PT", "packets", "bytes", "rtcp")
    for heading in (*headings, "first ms", "last ms", "lost", "jitter ms", "MOS"):
        numeric = heading in ("packets", "bytes", "rtcp", "first ms", "last ms", "lost",
                              "jitter ms", "MOS")
        table.add_column(heading, justify="right" if numeric else "left")
    for s in c.streams:
        table.add_row(
            s.side.value if s.side else NONE,
            f"0x{s.ssrc:08X}",
            f"{_host(s.src_ip)}:{s.src_port}",
            f"{_host(s.dst_ip)}:{s.dst_port}",
            s.codec or NONE,
            " ".join(str(pt) for pt in s.payload_types) or NONE,
            f"{s.packets:,}",
            f"{s.bytes:,}",
            f"{s.rtcp_packets:,}",
            f"{c.offset_ms(s.first_at):+,}",
            f"{c.offset_ms(s.last_at):+,}",
            NONE if s.lost is None else f"{s.lost:,}",
            NONE if s.jitter_mean_ms is None else f"{s.jitter_mean_ms:.1f}",
            NONE if s.mos is None else f"{s.mos:.2f}",
        )
    return table


def _events(c: Call) -> Table:
    table = Table(title=f"Events ({len(c.events)})", title_justify="left", box=None, pad_edge=False)
    table.title_style = "bold"
    for heading in ("ms", "kind", "party", "value", "detail"):
        table.add_column(heading, justify="right" if heading == "ms" else "left")
    for e in c.events:
        table.add_row(
            f"{c.offset_ms(e.at):+,}",
            e.kind,
            e.party.value if e.party else NONE,
            Text(e.value or NONE),
            Text(e.detail or NONE),
        )
    return table


def _host(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip
