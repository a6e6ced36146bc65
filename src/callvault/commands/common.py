"""What the commands that use the journal share: where it is, how to open it, how a moment
is written on the command line."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from callvault.config import Settings, load_settings
from callvault.journal import Journal

F = TypeVar("F", bound=Callable[..., Any])


def journal_options(command: F) -> F:
    """Add ``--data-dir`` and ``--db`` (parameters ``data_dir`` and ``db``) to a command."""
    command = click.option(
        "--db",
        metavar="URL",
        help="SQLAlchemy URL of the journal, e.g. postgresql+psycopg://user@host/callvault "
        "[default: journal.sqlite3 in the data directory; env CALLVAULT_DATABASE_URL]",
    )(command)
    command = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where callvault keeps its data "
        "[default: $XDG_DATA_HOME/callvault; env CALLVAULT_DATA_DIR]",
    )(command)
    return command


def settings_from(
    data_dir: Path | None = None, db: str | None = None, **overrides: object
) -> Settings:
    """Settings from the environment, overridden by the options given (None: not given)."""
    return load_settings(data_dir=data_dir, database_url=db, **overrides)


def open_journal(settings: Settings) -> Journal:
    """The journal the settings name, opened (and migrated); close it when done. Calls it
    saves or annotates are enqueued for the webhooks configured."""
    from callvault.webhooks import attach

    journal = Journal.open(settings.journal_url)
    attach(journal)
    return journal


_RELATIVE = re.compile(r"-(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

TIME_FORMS = (
    "an ISO date or date-time (2024-05-01, 2024-05-01T14:30, 2024-05-01 14:30:00+02:00), "
    "'now', 'today', 'yesterday', a time ago (-30m, -2h, -7d, -1w) or @EPOCH-SECONDS"
)


def parse_time(text: str, now: datetime) -> datetime:
    """The moment ``text`` names, ``now`` being the moment it is, in local time (as the TZ
    environment variable says); so are dates and times written without a zone.

    Raises ValueError for anything else (see TIME_FORMS)."""
    word = text.strip().lower()
    midnight = datetime.combine(now.astimezone().date(), time()).astimezone()
    if word == "now":
        return now.astimezone()
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    if relative := _RELATIVE.fullmatch(word):
        return (now - timedelta(**{_UNITS[relative[2]]: int(relative[1])})).astimezone()
    if word.startswith("@"):
        return datetime.fromtimestamp(float(word[1:])).astimezone()
    return datetime.fromisoformat(text.strip()).astimezone()


class TimeParam(click.ParamType):
    """A moment on the command line (see TIME_FORMS); relative to the local clock."""

    name = "TIME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value), datetime.now().astimezone())
        except (ValueError, OverflowError, OSError):
            self.fail(f"{value!r} is not a time; use {TIME_FORMS}", param, ctx)
